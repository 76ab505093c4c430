/** RESP2 and RESP3 type bytes (the first byte of every value). */
export const STAR = 0x2a; // * array
export const DOLLAR = 0x24; // $ bulk string
export const PLUS = 0x2b; // + simple string
export const MINUS = 0x2d; // - simple error
export const COLON = 0x3a; // : integer
export const UNDERSCORE = 0x5f; // _ null (RESP3)
export const COMMA = 0x2c; // , double (RESP3)
export const HASH = 0x23; // # boolean (RESP3)
export const PAREN = 0x28; // ( big number (RESP3)
export const EQUALS = 0x3d; // = verbatim string (RESP3)
export const BANG = 0x21; // ! blob error (RESP3)
export const PERCENT = 0x25; // % map (RESP3)
export const TILDE = 0x7e; // ~ set (RESP3)
export const PIPE = 0x7c; // | attribute (RESP3): annotates the value that follows it
export const GREATER = 0x3e; // > push (RESP3): out-of-band, never a reply

export const CR = 0x0d;
export const LF = 0x0a;

/** The record's `response.type` per RESP type byte. */
export const TYPE_NAMES: Readonly<Record<number, string>> = {
  [STAR]: 'array',
  [DOLLAR]: 'bulk_string',
  [PLUS]: 'simple_string',
  [MINUS]: 'error',
  [COLON]: 'integer',
  [UNDERSCORE]: 'null',
  [COMMA]: 'double',
  [HASH]: 'boolean',
  [PAREN]: 'big_number',
  [EQUALS]: 'verbatim_string',
  [BANG]: 'blob_error',
  [PERCENT]: 'map',
  [TILDE]: 'set',
  [GREATER]: 'push',
};

/** Not a valid length line. */
export const BAD_LENGTH = -2;
/** Longest length line accepted: lengths are at most 512 MiB, counts fit in 15 digits. */
const MAX_LENGTH_DIGITS = 15;

/**
 * The length or count of a `$`, `*`, … header between `from` and `end` (the CR): digits, or
 * `-1` for null. Anything else (including RESP3 streamed `?`) is `BAD_LENGTH`.
 */
export function parseLength(buf: Buffer, from: number, end: number): number {
  if (end === from || end - from > MAX_LENGTH_DIGITS) return BAD_LENGTH;
  if (buf[from] === MINUS) return end - from === 2 && buf[from + 1] === 0x31 ? -1 : BAD_LENGTH;
  let n = 0;
  for (let i = from; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return BAD_LENGTH;
    n = n * 10 + d;
  }
  return n;
}
