import type { Attributes } from '../../model/message.js';

/** Hits and misses of a retrieval, under the names the protocol's index.ts documents. */
export const HITS = 'memcached.hits';
export const MISSES = 'memcached.misses';

/** A command's attributes: its name and its text with arguments as `?` (or as sent). */
export function commandAttributes(name: string, args: readonly string[], includeArguments: boolean): Attributes {
  let text = name;
  // `noreply` is grammar, not data: it stays in the redacted text.
  for (const arg of args) text += includeArguments || arg === 'noreply' ? ` ${arg}` : ' ?';
  return { 'db.system.name': 'memcached', 'db.operation.name': name, 'db.query.text': text };
}

/** A failed reply: its status as `db.response.status_code` and `error.type`. */
export function failureAttributes(status: string): Attributes {
  return { 'db.response.status_code': status, 'error.type': status };
}

export function retrievalAttributes(keys: number, hits: number): Attributes {
  return { [HITS]: hits, [MISSES]: Math.max(0, keys - hits) };
}
