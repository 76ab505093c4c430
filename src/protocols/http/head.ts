import { isDigit, isTokenChar } from './detect.js';

/** A parsed start line and header block of one HTTP/1.x message. */
export interface MessageHead {
  /** Request only. */
  method: string;
  target: string;
  /** Response only (0 for requests). */
  statusCode: number;
  /** "1.0" or "1.1". */
  version: string;
  /**
   * Lower-case names; repeated headers joined with ", " except Set-Cookie, kept as a list.
   * Holds every header only when the parser was asked to keep them all, else just the ones
   * the decoder itself reads (FRAMING_HEADERS).
   */
  headers: Record<string, string | string[]>;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/**
 * Headers the decoder needs for framing, attributes and trace context. Only these become strings
 * when headers are not recorded: building a string per header of every message was the largest
 * cost of HTTP decoding in profiles.
 */
const FRAMING_HEADERS: ReadonlySet<string> = new Set([
  'host', 'content-length', 'transfer-encoding', 'user-agent', 'traceparent', 'tracestate', 'upgrade',
]);
const FRAMING_HEADER_LENGTHS: ReadonlySet<number> = new Set([...FRAMING_HEADERS].map((name) => name.length));

function isLowerCaseMatch(buf: Buffer, from: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    if ((buf[from + i]! | 0x20) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Which framing header, if any, the name at buf[from, to) is (case-insensitive). */
function framingHeaderName(buf: Buffer, from: number, to: number): string | undefined {
  if (!FRAMING_HEADER_LENGTHS.has(to - from)) return undefined;
  for (const name of FRAMING_HEADERS) {
    if (name.length === to - from && isLowerCaseMatch(buf, from, name)) return name;
  }
  return undefined;
}

function addHeader(headers: Record<string, string | string[]>, name: string, value: string): void {
  const previous = headers[name];
  if (previous === undefined) headers[name] = value;
  else if (name === 'set-cookie') headers[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  else headers[name] = `${previous as string}, ${value}`;
}

function isSpace(c: number): boolean {
  return c === SP || c === HT;
}

/** "HTTP/1.x" at `at` (and within `end`): the minor version digit as "1.x", else undefined. */
function versionAt(buf: Buffer, at: number, end: number): string | undefined {
  if (at + 8 > end) return undefined;
  if (buf[at] !== 0x48 || buf[at + 1] !== 0x54 || buf[at + 2] !== 0x54 || buf[at + 3] !== 0x50) return undefined;
  if (buf[at + 4] !== 0x2f || buf[at + 5] !== 0x31 || buf[at + 6] !== 0x2e || !isDigit(buf[at + 7]!)) return undefined;
  return buf[at + 7] === 0x31 ? '1.1' : buf[at + 7] === 0x30 ? '1.0' : `1.${String.fromCharCode(buf[at + 7]!)}`;
}

/**
 * The next LF at or after `from` (before `end`), or -1. A plain loop: header lines are short,
 * and Buffer#indexOf's call overhead cost more than the scan in profiles.
 */
function nextLf(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === LF) return i;
  return -1;
}

function lineContentEnd(buf: Buffer, lineStart: number, lf: number): number {
  return lf > lineStart && buf[lf - 1] === CR ? lf - 1 : lf;
}

/** Trims spaces and tabs off buf[from, to) and returns it as latin1 text. */
function trimmedText(buf: Buffer, from: number, to: number): string {
  while (from < to && isSpace(buf[from]!)) from++;
  while (to > from && isSpace(buf[to - 1]!)) to--;
  return buf.toString('latin1', from, to);
}

function parseStartLine(buf: Buffer, from: number, to: number, isRequest: boolean): MessageHead | undefined {
  const headers = Object.create(null) as Record<string, string | string[]>;
  if (!isRequest) {
    const version = versionAt(buf, from, to);
    let i = from + 8;
    if (version === undefined || i >= to || !isSpace(buf[i]!)) return undefined;
    while (i < to && isSpace(buf[i]!)) i++;
    if (i + 3 > to || !isDigit(buf[i]!) || !isDigit(buf[i + 1]!) || !isDigit(buf[i + 2]!)) return undefined;
    if (i + 3 < to && !isSpace(buf[i + 3]!)) return undefined;
    const statusCode = (buf[i]! - 0x30) * 100 + (buf[i + 1]! - 0x30) * 10 + (buf[i + 2]! - 0x30);
    return { method: '', target: '', statusCode, version, headers };
  }
  let i = from;
  while (i < to && isTokenChar(buf[i]!)) i++;
  const methodEnd = i;
  if (methodEnd === from || i >= to || !isSpace(buf[i]!)) return undefined;
  while (i < to && isSpace(buf[i]!)) i++;
  const targetStart = i;
  while (i < to && buf[i]! > SP) i++;
  const targetEnd = i;
  if (targetEnd === targetStart || i >= to || !isSpace(buf[i]!)) return undefined;
  while (i < to && isSpace(buf[i]!)) i++;
  const version = versionAt(buf, i, to);
  if (version === undefined) return undefined;
  for (i += 8; i < to; i++) if (!isSpace(buf[i]!)) return undefined;
  return {
    method: buf.toString('latin1', from, methodEnd),
    target: buf.toString('latin1', targetStart, targetEnd),
    statusCode: 0,
    version,
    headers,
  };
}

/**
 * Where the head starting at `off` ends (just past its empty line), or -1 when `buf` ends first.
 * `from` lets a caller resume the search where an earlier, shorter buffer ended.
 */
export function findHeadEnd(buf: Buffer, off: number, from: number): number {
  let lineStart = Math.max(off, from);
  // Resume at the start of the line the earlier search stopped in.
  if (lineStart > off) {
    const previousLf = buf.lastIndexOf(LF, lineStart - 1);
    lineStart = previousLf < off ? off : previousLf + 1;
  }
  const end = buf.length;
  for (;;) {
    const lf = nextLf(buf, lineStart, end);
    if (lf < 0) return -1;
    if (lineContentEnd(buf, lineStart, lf) === lineStart && lineStart > off) return lf + 1;
    lineStart = lf + 1;
  }
}

/** Where parseHead stopped: just past the head's empty line, or -1 when `end` came first. */
export interface HeadEnd {
  at: number;
}

/**
 * Parses the head in buf[off, end) (start line through the first empty line, whose end goes to
 * `headEnd`: a caller may parse first and learn the head was complete after, so that the bytes
 * of a head are scanned once). Tolerates bare LF line ends, extra spaces in the start line,
 * obsolete line folding and header lines without a colon (skipped). Returns undefined when the
 * start line is not HTTP/1.x.
 */
export function parseHead(
  buf: Buffer,
  off: number,
  end: number,
  isRequest: boolean,
  keepAllHeaders: boolean,
  headEnd: HeadEnd,
): MessageHead | undefined {
  headEnd.at = -1;
  let lf = nextLf(buf, off, end);
  if (lf < 0) return undefined;
  const head = parseStartLine(buf, off, lineContentEnd(buf, off, lf), isRequest);
  if (head === undefined) return undefined;
  const headers = head.headers;
  let lastName: string | undefined;
  for (let lineStart = lf + 1; lineStart < end; lineStart = lf + 1) {
    lf = nextLf(buf, lineStart, end);
    if (lf < 0) return head;
    const lineEnd = lineContentEnd(buf, lineStart, lf);
    if (lineEnd === lineStart) {
      headEnd.at = lf + 1;
      return head;
    }
    if (isSpace(buf[lineStart]!)) {
      const previous = lastName === undefined ? undefined : headers[lastName];
      if (typeof previous === 'string') headers[lastName!] = `${previous} ${trimmedText(buf, lineStart, lineEnd)}`;
      continue;
    }
    let colon = lineStart;
    while (colon < lineEnd && buf[colon] !== COLON) colon++;
    if (colon === lineStart || colon === lineEnd) continue;
    let nameEnd = colon;
    while (nameEnd > lineStart && isSpace(buf[nameEnd - 1]!)) nameEnd--;
    const name = keepAllHeaders
      ? buf.toString('latin1', lineStart, nameEnd).toLowerCase()
      : framingHeaderName(buf, lineStart, nameEnd);
    lastName = name;
    if (name !== undefined) addHeader(headers, name, trimmedText(buf, colon + 1, lineEnd));
  }
  return head;
}

/** The single value of a header (the last one when repeated as a list). */
export function headerValue(head: MessageHead, name: string): string | undefined {
  const value = head.headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

const DIGITS_ONLY = /^\d{1,15}$/;

/**
 * Content-Length as a number, undefined when absent, NaN when invalid (non-digits, or
 * repeated with different values).
 */
export function contentLength(head: MessageHead): number | undefined {
  const value = headerValue(head, 'content-length');
  if (value === undefined) return undefined;
  if (DIGITS_ONLY.test(value)) return Number(value);
  let length = NaN;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!DIGITS_ONLY.test(text)) return NaN;
    const n = Number(text);
    if (!Number.isNaN(length) && n !== length) return NaN;
    length = n;
  }
  return length;
}

const CHUNKED_LAST = /(?:^|,)\s*chunked\s*$/i;

/** Transfer-Encoding whose last coding is chunked. */
export function isChunked(head: MessageHead): boolean {
  const value = headerValue(head, 'transfer-encoding');
  return value !== undefined && CHUNKED_LAST.test(value);
}
