/** Which quoting rules apply: PostgreSQL (`"ident"`, `$tag$…$tag$`, `E'…'`) or MySQL (`"string"`, `` `ident` ``, `#`, backslashes). */
export type SqlDialect = 'postgresql' | 'mysql';

const QUOTE = 0x27; // '
const DQUOTE = 0x22; // "
const BACKTICK = 0x60;
const BACKSLASH = 0x5c;
const DOLLAR = 0x24;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const HASH = 0x23;
const DOT = 0x2e;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** Part of an identifier or keyword: a number after one of these is part of the name (`t1`, `$1`). */
function isWordChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 0x5f || c === DOLLAR || c > 0x7f;
}

/** End of a quoted run starting after the opening quote at `from`; doubled quotes and (optionally) backslashes escape. */
function quotedEnd(text: string, from: number, quote: number, backslashEscapes: boolean): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && backslashEscapes) i += 2;
    else if (c === quote) {
      if (text.charCodeAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else i++;
  }
  return text.length;
}

/** End of a `/* … *\/` comment (PostgreSQL nests them) starting at `from`. */
function blockCommentEnd(text: string, from: number): number {
  const end = text.indexOf('*/', from + 2);
  return end < 0 ? text.length : end + 2;
}

/** `$tag$` at `from` (tag: letters, digits, underscores, not starting with a digit) → its length, else 0. */
function dollarTagLength(text: string, from: number): number {
  let i = from + 1;
  if (isDigit(text.charCodeAt(i))) return 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === DOLLAR) return i + 1 - from;
    if (!(isLetter(c) || isDigit(c) || c === 0x5f)) return 0;
    i++;
  }
  return 0;
}

/** End of a numeric literal at `from`: digits, a fraction, an exponent, or hex (`0x1F`). */
function numberEnd(text: string, from: number): number {
  let i = from;
  if (text.charCodeAt(i) === 0x30 && (text.charCodeAt(i + 1) | 0x20) === 0x78) {
    i += 2;
    while (i < text.length && (isDigit(text.charCodeAt(i)) || ((text.charCodeAt(i) | 0x20) >= 0x61 && (text.charCodeAt(i) | 0x20) <= 0x66))) i++;
    return i;
  }
  while (i < text.length && (isDigit(text.charCodeAt(i)) || text.charCodeAt(i) === DOT)) i++;
  if ((text.charCodeAt(i) | 0x20) === 0x65) {
    let j = i + 1;
    if (text.charCodeAt(j) === 0x2b || text.charCodeAt(j) === DASH) j++;
    if (isDigit(text.charCodeAt(j))) {
      i = j;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    }
  }
  return i;
}

/** A one-letter string prefix (`E'…'`, `X'…'`, `B'…'`, `N'…'`) just before the quote at `quote`. */
function prefixStart(text: string, quote: number): number {
  if (quote === 0) return quote;
  const c = text.charCodeAt(quote - 1) | 0x20;
  if (c !== 0x65 && c !== 0x78 && c !== 0x62 && c !== 0x6e) return quote;
  return quote >= 2 && isWordChar(text.charCodeAt(quote - 2)) ? quote : quote - 1;
}

/**
 * The statement with every string and number literal replaced by `?` (comments, identifiers
 * and `$1`-style parameters kept), cut to `maxLength` characters. Literals are what carries
 * user data (names, ids, secrets) into the query text; the shape of the statement stays.
 */
export function sanitizeSql(text: string, dialect: SqlDialect, maxLength: number): string {
  const mysql = dialect === 'mysql';
  let out = '';
  let copyFrom = 0;
  let i = 0;
  const n = text.length;
  while (i < n && out.length + (i - copyFrom) < maxLength) {
    const c = text.charCodeAt(i);
    let literalStart = -1;
    let literalEnd = i + 1;
    if (c === QUOTE) {
      literalStart = prefixStart(text, i);
      const backslashes = mysql || (literalStart < i && (text.charCodeAt(literalStart) | 0x20) === 0x65);
      literalEnd = quotedEnd(text, i + 1, QUOTE, backslashes);
    } else if (c === DQUOTE) {
      if (mysql) {
        literalStart = i;
        literalEnd = quotedEnd(text, i + 1, DQUOTE, true);
      } else literalEnd = quotedEnd(text, i + 1, DQUOTE, false);
    } else if (c === BACKTICK && mysql) {
      literalEnd = quotedEnd(text, i + 1, BACKTICK, false);
    } else if ((c === DASH && text.charCodeAt(i + 1) === DASH) || (c === HASH && mysql)) {
      const lf = text.indexOf('\n', i);
      literalEnd = lf < 0 ? n : lf + 1;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      literalEnd = blockCommentEnd(text, i);
    } else if (c === DOLLAR && !mysql && (i === 0 || !isWordChar(text.charCodeAt(i - 1)))) {
      const tag = dollarTagLength(text, i);
      if (tag > 0) {
        literalStart = i;
        const close = text.indexOf(text.slice(i, i + tag), i + tag);
        literalEnd = close < 0 ? n : close + tag;
      } else {
        literalEnd = i + 1;
        while (literalEnd < n && isDigit(text.charCodeAt(literalEnd))) literalEnd++;
      }
    } else if ((isDigit(c) || (c === DOT && isDigit(text.charCodeAt(i + 1)))) && (i === 0 || !isWordChar(text.charCodeAt(i - 1)))) {
      literalStart = i;
      literalEnd = numberEnd(text, i);
    } else if (isWordChar(c)) {
      while (literalEnd < n && isWordChar(text.charCodeAt(literalEnd))) literalEnd++;
    }
    if (literalStart >= 0) {
      out += text.slice(copyFrom, literalStart) + '?';
      copyFrom = literalEnd;
    }
    i = literalEnd;
  }
  if (copyFrom < n && out.length < maxLength) out += text.slice(copyFrom, Math.min(n, copyFrom + maxLength - out.length));
  return out.length > maxLength ? out.slice(0, maxLength) : out;
}
