import { describe, expect, it } from 'vitest';
import { sanitizeSql } from '../../../src/protocols/sql/sanitize.js';
import { operationName, readStatement } from '../../../src/protocols/sql/statement.js';

const pg = (text: string, max = 2048) => sanitizeSql(text, 'postgresql', max);
const my = (text: string, max = 2048) => sanitizeSql(text, 'mysql', max);

describe('sanitizeSql', () => {
  it('replaces string and number literals, keeps identifiers, parameters and comments', () => {
    expect(pg("SELECT * FROM t1 WHERE name = 'o''brien' AND id > 42 AND x = $1 -- note 7\n")).toBe('SELECT * FROM t1 WHERE name = ? AND id > ? AND x = $1 -- note 7\n');
    expect(pg('SELECT "col 1", 1.5e-3, .5, 0x1F FROM "t2"')).toBe('SELECT "col 1", ?, ?, ? FROM "t2"');
    expect(pg("SELECT E'a\\'b', X'FF', $$it's$$, $tag$x$tag$ /* 9 */")).toBe('SELECT ?, ?, ?, ? /* 9 */');
  });

  it('reads MySQL quoting: double-quoted strings, backslash escapes, backticks, # comments', () => {
    expect(my('INSERT INTO `t` VALUES ("a\\"b", \'c\\\'d\', -3) # 5')).toBe('INSERT INTO `t` VALUES (?, ?, -?) # 5');
  });

  it('caps the text, also inside a literal', () => {
    expect(pg("SELECT 'aaaaaaaaaaaaaaaaaaaa', 1", 10)).toBe('SELECT ?, ');
    expect(pg('SELECT 1', 4)).toBe('SELE');
    expect(pg("SELECT 'unterminated")).toBe('SELECT ?');
  });
});

describe('statements', () => {
  it('names the operation by its first keyword past comments and parentheses', () => {
    expect(operationName('  /* hint */ -- x\n (select 1)')).toBe('SELECT');
    expect(operationName('with a as (select 1) select * from a')).toBe('WITH');
    expect(operationName('123')).toBeUndefined();
  });

  it('keeps literals only when asked, and reads a bounded prefix', () => {
    const bytes = Buffer.from("UPDATE t SET a = 'secret' WHERE id = 7");
    expect(readStatement(bytes, 0, bytes.length, 'postgresql', { includeLiterals: false, maxQueryBytes: 2048 })).toEqual({ text: 'UPDATE t SET a = ? WHERE id = ?', operation: 'UPDATE' });
    expect(readStatement(bytes, 0, bytes.length, 'postgresql', { includeLiterals: true, maxQueryBytes: 12 }).text).toBe('UPDATE t SET');
  });
});
