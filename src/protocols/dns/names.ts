/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4): length-prefixed labels ending in a zero
 * byte, or in a compression pointer to a suffix written elsewhere in the message.
 */

/** A name's wire form may not exceed 255 bytes (labels with their length bytes, and the root). */
export const MAX_NAME_BYTES = 255;
/**
 * A name has at most 127 labels, so a longer chain of jumps is one no encoder writes: refused,
 * so that a message of many names pointing into one long chain cannot cost names × chain.
 */
const MAX_POINTER_JUMPS = 127;
/** A pointer holds a 14-bit offset from the message's start. */
const POINTER_TARGETS = 0x4000;

const DOT = 0x2e;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/**
 * Where a name read ended: `next` is the offset just past it in the message (after the first
 * pointer when it jumped); `error` is set instead when the name is malformed; `truncated` when
 * its labels run past 255 bytes (the text then holds the labels that fit).
 */
export interface NameCursor {
  next: number;
  error: string | undefined;
  truncated: boolean;
}

/**
 * Pointer targets visited by the current read: `visited[target] === read` marks one. Numbering
 * the reads spares clearing the table for each name.
 */
const visited = new Uint32Array(POINTER_TARGETS);
let read = 0;

/**
 * Reads the name at `off` of the message `msg[base, end)`. Returns its text ("www.example.com",
 * "." for the root; bytes a name cannot show plainly as `\DDD`, dots and backslashes inside a
 * label escaped) when `wantText`, else "" (skipping costs no string building). On a malformed
 * name returns undefined with `cursor.error` set.
 *
 * Pointers may point backwards or forwards (RFC 1035 only says "a prior occurrence", and
 * decoders follow either). Loop guard: a read that comes back to a pointer target it already
 * visited is a loop (`name_pointer_loop`); and jumps are capped (`name_pointer_chain`). A name
 * whose labels exceed 255 bytes is kept, cut after the labels that fit, with
 * `cursor.truncated`: its end is still found (in place; pointers are not followed once cut).
 */
export function readName(msg: Buffer, base: number, end: number, off: number, wantText: boolean, cursor: NameCursor): string | undefined {
  if (++read === 0xffffffff) {
    visited.fill(0);
    read = 1;
  }
  let p = off;
  let after = -1;
  let jumps = 0;
  let wireLength = 1;
  let truncated = false;
  let text = '';
  for (;;) {
    if (p >= end) return fail(cursor, 'truncated');
    const length = msg[p]!;
    if (length === 0) {
      p++;
      break;
    }
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= end) return fail(cursor, 'truncated');
      if (after < 0) after = p + 2;
      if (truncated) break;
      const target = ((length & 0x3f) << 8) | msg[p + 1]!;
      if (base + target >= end) return fail(cursor, 'bad_pointer');
      if (visited[target] === read) return fail(cursor, 'name_pointer_loop');
      if (++jumps > MAX_POINTER_JUMPS) return fail(cursor, 'name_pointer_chain');
      visited[target] = read;
      p = base + target;
      continue;
    }
    if (kind !== 0) return fail(cursor, 'bad_label_type');
    if (p + 1 + length > end) return fail(cursor, 'truncated');
    wireLength += length + 1;
    if (wireLength > MAX_NAME_BYTES) {
      truncated = true;
      // The end is the first pointer's, already seen.
      if (after >= 0) break;
    } else if (wantText) text = text.length === 0 ? labelText(msg, p + 1, p + 1 + length) : `${text}.${labelText(msg, p + 1, p + 1 + length)}`;
    p += 1 + length;
  }
  cursor.next = after < 0 ? p : after;
  cursor.error = undefined;
  cursor.truncated = truncated;
  return wantText && text.length === 0 ? '.' : text;
}

function fail(cursor: NameCursor, reason: string): undefined {
  cursor.error = reason;
  return undefined;
}

function isPlain(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== DOT && c !== BACKSLASH;
}

/** A label in presentation form: plain bytes as they are, others escaped (RFC 4343 §2.1). */
function labelText(msg: Buffer, from: number, to: number): string {
  for (let i = from; i < to; i++) {
    if (!isPlain(msg[i]!)) return escaped(msg, from, to, isPlain);
  }
  return msg.toString('latin1', from, to);
}

function isPlainInQuotes(c: number): boolean {
  return c >= 0x20 && c < 0x7f && c !== QUOTE && c !== BACKSLASH;
}

/** A <character-string> (TXT, URI, …) in double quotes, as dig prints it. */
export function quotedText(msg: Buffer, from: number, to: number): string {
  for (let i = from; i < to; i++) {
    if (!isPlainInQuotes(msg[i]!)) return `"${escaped(msg, from, to, isPlainInQuotes)}"`;
  }
  return `"${msg.toString('latin1', from, to)}"`;
}

function escaped(msg: Buffer, from: number, to: number, plain: (c: number) => boolean): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const c = msg[i]!;
    if (plain(c)) out += String.fromCharCode(c);
    else if (c === DOT || c === BACKSLASH || c === QUOTE) out += `\\${String.fromCharCode(c)}`;
    else out += `\\${String(c).padStart(3, '0')}`;
  }
  return out;
}
