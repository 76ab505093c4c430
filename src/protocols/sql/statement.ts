import type { Attributes } from '../../model/message.js';
import type { SqlOptions } from './options.js';
import { sanitizeSql, type SqlDialect } from './sanitize.js';

const SPACE_OR_PAREN = /^[\s(]+/;
const COMMENT = /^(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?(?:\*\/|$)|#[^\n]*(?:\n|$))/;
const KEYWORD = /^[A-Za-z]+/;
const MAX_LEADING_COMMENTS = 16;

/** A statement as the record shows it: text ready for `db.query.text`, and its first keyword. */
export interface Statement {
  text: string;
  operation: string | undefined;
}

/** The statement's first keyword, upper-cased (`SELECT`, `INSERT`, `WITH`, …), past comments and parentheses. */
export function operationName(text: string): string | undefined {
  let rest = text;
  for (let i = 0; i < MAX_LEADING_COMMENTS; i++) {
    const before = rest.length;
    rest = rest.replace(SPACE_OR_PAREN, '');
    const comment = COMMENT.exec(rest);
    if (comment) rest = rest.slice(comment[0].length);
    if (rest.length === before) break;
  }
  const keyword = KEYWORD.exec(rest);
  return keyword ? keyword[0].toUpperCase() : undefined;
}

/**
 * Reads a statement from `bytes[start, end)`: literals replaced by `?` unless
 * `include_literals`, cut to `max_query_bytes`. Only a bounded prefix is decoded.
 */
export function readStatement(bytes: Buffer, start: number, end: number, dialect: SqlDialect, options: SqlOptions): Statement {
  const limit = Math.min(end, start + options.maxQueryBytes * 4);
  const raw = bytes.toString('utf8', start, limit);
  return {
    text: options.includeLiterals ? raw.slice(0, options.maxQueryBytes) : sanitizeSql(raw, dialect, options.maxQueryBytes),
    operation: operationName(raw),
  };
}

/** `db.query.text` and `db.operation.name`; `operation` overrides the keyword (e.g. `PREPARE`). */
export function setStatementAttributes(attributes: Attributes, statement: Statement | undefined, operation?: string): void {
  if (statement !== undefined) attributes['db.query.text'] = statement.text;
  const name = operation ?? statement?.operation;
  if (name !== undefined) attributes['db.operation.name'] = name;
}
