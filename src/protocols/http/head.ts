import { findLf } from '../shared/find-lf.js';
import { isDigit, isTokenChar, knownMethod } from './detect.js';

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
   * Content-Length: undefined when absent, NaN when invalid (non-digits, or repeated with
   * different values). Parsed from the bytes: it is in almost every response.
   */
  contentLength: number | undefined;
  /** The headers the decoder itself reads; repeated ones joined with ", ". */
  transferEncoding: string | undefined;
  host: string | undefined;
  userAgent: string | undefined;
  traceparent: string | undefined;
  tracestate: string | undefined;
  upgrade: string | undefined;
  /**
   * Every header, only when the parser was asked to keep them all: lower-case names, repeated
   * headers joined with ", " except Set-Cookie, kept as a list.
   */
  headers: Record<string, string | string[]> | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * The headers the decoder reads, as codes: only these are looked at when headers are not
 * recorded (a string per header of every message was the largest cost of HTTP decoding in
 * profiles), and they land in typed fields of the head rather than in a dictionary.
 */
const enum Known {
  None,
  Host,
  ContentLength,
  TransferEncoding,
  UserAgent,
  Traceparent,
  Tracestate,
  Upgrade,
}

function isLowerCaseMatch(buf: Buffer, from: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    if ((buf[from + i]! | 0x20) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Which header the decoder reads, if any, the name at buf[from, to) is (case-insensitive). */
function knownHeader(buf: Buffer, from: number, to: number): Known {
  switch (to - from) {
    case 4:
      return isLowerCaseMatch(buf, from, 'host') ? Known.Host : Known.None;
    case 7:
      return isLowerCaseMatch(buf, from, 'upgrade') ? Known.Upgrade : Known.None;
    case 10:
      if (isLowerCaseMatch(buf, from, 'user-agent')) return Known.UserAgent;
      return isLowerCaseMatch(buf, from, 'tracestate') ? Known.Tracestate : Known.None;
    case 11:
      return isLowerCaseMatch(buf, from, 'traceparent') ? Known.Traceparent : Known.None;
    case 14:
      return isLowerCaseMatch(buf, from, 'content-length') ? Known.ContentLength : Known.None;
    case 17:
      return isLowerCaseMatch(buf, from, 'transfer-encoding') ? Known.TransferEncoding : Known.None;
    default:
      return Known.None;
  }
}

function joined(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}

function addHeader(headers: Record<string, string | string[]>, name: string, value: string): void {
  const previous = headers[name];
  if (previous === undefined) headers[name] = value;
  else if (name === 'set-cookie') headers[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  else headers[name] = `${previous as string}, ${value}`;
}

/**
 * A Content-Length value (1*DIGIT, or a comma list of equal values as some senders repeat it)
 * in buf[from, to): the number, or NaN. At most 15 digits, so the number is exact.
 */
function parseContentLength(buf: Buffer, from: number, to: number): number {
  let length = NaN;
  let n = 0;
  let digits = 0;
  let afterDigits = false;
  for (let i = from; i <= to; i++) {
    const c = i < to ? buf[i]! : COMMA;
    if (c >= 0x30 && c <= 0x39) {
      if (afterDigits || ++digits > 15) return NaN;
      n = n * 10 + (c - 0x30);
    } else if (c === COMMA) {
      if (digits === 0 || (!Number.isNaN(length) && n !== length)) return NaN;
      length = n;
      n = 0;
      digits = 0;
      afterDigits = false;
    } else if (c === SP || c === HT) {
      afterDigits = digits > 0;
    } else {
      return NaN;
    }
  }
  return length;
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

function lineContentEnd(buf: Buffer, lineStart: number, lf: number): number {
  return lf > lineStart && buf[lf - 1] === CR ? lf - 1 : lf;
}

/** Trims spaces and tabs off buf[from, to) and returns it as latin1 text. */
function trimmedText(buf: Buffer, from: number, to: number): string {
  while (from < to && isSpace(buf[from]!)) from++;
  while (to > from && isSpace(buf[to - 1]!)) to--;
  return buf.toString('latin1', from, to);
}

/** A head with none of the known headers set yet (HTTP/2 builds one from its fields for the shared attribute code). */
export function newHead(method: string, target: string, statusCode: number, version: string, keepAllHeaders: boolean): MessageHead {
  return {
    method,
    target,
    statusCode,
    version,
    contentLength: undefined,
    transferEncoding: undefined,
    host: undefined,
    userAgent: undefined,
    traceparent: undefined,
    tracestate: undefined,
    upgrade: undefined,
    headers: keepAllHeaders ? (Object.create(null) as Record<string, string | string[]>) : undefined,
  };
}

function parseStartLine(buf: Buffer, from: number, to: number, isRequest: boolean, keepAllHeaders: boolean): MessageHead | undefined {
  if (!isRequest) {
    const version = versionAt(buf, from, to);
    let i = from + 8;
    if (version === undefined || i >= to || !isSpace(buf[i]!)) return undefined;
    while (i < to && isSpace(buf[i]!)) i++;
    if (i + 3 > to || !isDigit(buf[i]!) || !isDigit(buf[i + 1]!) || !isDigit(buf[i + 2]!)) return undefined;
    if (i + 3 < to && !isSpace(buf[i + 3]!)) return undefined;
    const statusCode = (buf[i]! - 0x30) * 100 + (buf[i + 1]! - 0x30) * 10 + (buf[i + 2]! - 0x30);
    return newHead('', '', statusCode, version, keepAllHeaders);
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
  const method = knownMethod(buf, from, methodEnd) ?? buf.toString('latin1', from, methodEnd);
  return newHead(method, buf.toString('latin1', targetStart, targetEnd), 0, version, keepAllHeaders);
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
    const lf = findLf(buf, lineStart, end);
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
  let lf = findLf(buf, off, end);
  if (lf < 0) return undefined;
  const head = parseStartLine(buf, off, lineContentEnd(buf, off, lf), isRequest, keepAllHeaders);
  if (head === undefined) return undefined;
  const headers = head.headers;
  let lastKnown = Known.None;
  let lastName: string | undefined;
  for (let lineStart = lf + 1; lineStart < end; lineStart = lf + 1) {
    // One pass over the line: the name up to the colon, then the value up to the LF.
    let colon = lineStart;
    while (colon < end && buf[colon] !== COLON && buf[colon] !== LF) colon++;
    lf = colon < end && buf[colon] === LF ? colon : findLf(buf, colon, end);
    if (lf < 0) return head;
    const lineEnd = lineContentEnd(buf, lineStart, lf);
    if (lineEnd === lineStart) {
      headEnd.at = lf + 1;
      return head;
    }
    if (isSpace(buf[lineStart]!)) {
      const text = trimmedText(buf, lineStart, lineEnd);
      appendFolded(head, lastKnown, text);
      const previous = headers === undefined || lastName === undefined ? undefined : headers[lastName];
      if (typeof previous === 'string') headers![lastName!] = `${previous} ${text}`;
      continue;
    }
    if (colon === lineStart || colon >= lineEnd) {
      lastKnown = Known.None;
      lastName = undefined;
      continue;
    }
    let nameEnd = colon;
    while (nameEnd > lineStart && isSpace(buf[nameEnd - 1]!)) nameEnd--;
    lastKnown = knownHeader(buf, lineStart, nameEnd);
    let valueStart = colon + 1;
    let valueEnd = lineEnd;
    while (valueStart < valueEnd && isSpace(buf[valueStart]!)) valueStart++;
    while (valueEnd > valueStart && isSpace(buf[valueEnd - 1]!)) valueEnd--;
    if (lastKnown !== Known.None) setKnown(head, lastKnown, buf, valueStart, valueEnd);
    if (headers !== undefined) {
      lastName = buf.toString('latin1', lineStart, nameEnd).toLowerCase();
      addHeader(headers, lastName, buf.toString('latin1', valueStart, valueEnd));
    }
  }
  return head;
}

/** Where each known header other than Content-Length is kept. */
const TEXT_FIELDS = {
  [Known.Host]: 'host',
  [Known.TransferEncoding]: 'transferEncoding',
  [Known.UserAgent]: 'userAgent',
  [Known.Traceparent]: 'traceparent',
  [Known.Tracestate]: 'tracestate',
  [Known.Upgrade]: 'upgrade',
} as const satisfies Partial<Record<Known, keyof MessageHead>>;

type TextKnown = keyof typeof TEXT_FIELDS;

function setKnown(head: MessageHead, known: Known, buf: Buffer, from: number, to: number): void {
  if (known === Known.ContentLength) {
    const length = parseContentLength(buf, from, to);
    const previous = head.contentLength;
    head.contentLength = previous === undefined || previous === length ? length : NaN;
    return;
  }
  const field = TEXT_FIELDS[known as TextKnown];
  head[field] = joined(head[field], buf.toString('latin1', from, to));
}

/** Obsolete line folding: the continuation joins the last header's value with a space. */
function appendFolded(head: MessageHead, known: Known, text: string): void {
  if (known === Known.None) return;
  // "12 34" was never a valid length.
  if (known === Known.ContentLength) head.contentLength = NaN;
  else head[TEXT_FIELDS[known as TextKnown]] += ` ${text}`;
}

const CHUNKED_LAST = /(?:^|,)\s*chunked\s*$/i;

/** Transfer-Encoding whose last coding is chunked. */
export function isChunked(head: MessageHead): boolean {
  const value = head.transferEncoding;
  return value !== undefined && CHUNKED_LAST.test(value);
}
