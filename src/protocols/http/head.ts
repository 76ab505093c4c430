import { findLf } from '../shared/find-lf.js';
import type { Counter, Stats } from '../../pipeline/stats.js';
import { isDigit, isTokenChar, knownMethod, versionEnd } from './detect.js';

/**
 * Ways a head departs from RFC 9112 that servers still read (nginx 1.22 answers each; see
 * captures/http-lenient.pcap), so the message is decoded and the departure named:
 * - `space_in_target`: the request target holds spaces or tabs (`GET /a b HTTP/1.1`);
 * - `http09`: a request line with no version (HTTP/0.9: no headers, the answer is a bare body);
 * - `version`: a version other than 1.0 and 1.1 (`HTTP/1.10`, `HTTP/1.2`);
 * - `status_code_range`: a status code outside 100–599 (`042`, `000`, `999`);
 * - `bare_lf`: a line of the head ends with LF alone (also the `LF CR LF` head end);
 * - `duplicate_content_length`: Content-Length repeated, or a list (`5, 5`);
 * - `content_length_and_transfer_encoding`: both, which RFC 9112 §6.1 forbids (request smuggling);
 * - `transfer_encoding_not_chunked`: a request whose last transfer coding is not chunked, so its
 *   length cannot be known (RFC 9112 §6.3; nginx answers 501 to an unknown coding, 400 else).
 */
export type HttpAnomaly =
  | 'space_in_target'
  | 'http09'
  | 'version'
  | 'status_code_range'
  | 'bare_lf'
  | 'duplicate_content_length'
  | 'content_length_and_transfer_encoding'
  | 'transfer_encoding_not_chunked';

/** A parsed start line and header block of one HTTP/1.x message. */
export interface MessageHead {
  /** Request only. */
  method: string;
  target: string;
  /** Response only (0 for requests). */
  statusCode: number;
  /** "1.0" or "1.1"; what the line said otherwise ("1.10", "1.2"), "0.9" for an HTTP/0.9 request or its answer. */
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
  /** What the head does that RFC 9112 does not allow, in the order found; undefined when nothing. */
  anomalies: HttpAnomaly[] | undefined;
}

function addAnomaly(head: MessageHead, anomaly: HttpAnomaly): void {
  const anomalies = head.anomalies;
  if (anomalies === undefined) head.anomalies = [anomaly];
  else if (!anomalies.includes(anomaly)) anomalies.push(anomaly);
}

/** An interim response (1xx other than 101): the final one to the same request is still to come. */
export function isInterim(head: MessageHead): boolean {
  return head.statusCode >= 100 && head.statusCode < 200 && head.statusCode !== 101 && head.version !== '0.9';
}

/**
 * A response that is an error: a 5xx, or a code outside 100–599, which RFC 9110 §15 says to
 * treat as a 5xx. The bare body answering an HTTP/0.9 request has no status: not an error.
 */
export function isErrorResponse(head: MessageHead): boolean {
  const code = head.statusCode;
  return head.version !== '0.9' && (code >= 500 || code < 100);
}

/**
 * The head of the answer to an HTTP/0.9 request, which has none: the bytes from the server are
 * all body, until the connection closes (version "0.9", no status code, anomaly `http09`).
 */
export function http09ResponseHead(keepAllHeaders: boolean): MessageHead {
  const head = newHead('', '', 0, '0.9', keepAllHeaders);
  head.anomalies = ['http09'];
  return head;
}

/**
 * Counts each anomaly of a head in `packetd_http_anomalies_total{anomaly}`. The counters are
 * looked up once per Stats: a lookup builds the series key, too much to do per message on
 * traffic where every head has one (clients that end lines with a bare LF).
 */
export function countAnomalies(stats: Stats, head: MessageHead): void {
  const anomalies = head.anomalies;
  if (anomalies === undefined) return;
  let counters = ANOMALY_COUNTERS.get(stats);
  if (counters === undefined) {
    counters = new Map();
    ANOMALY_COUNTERS.set(stats, counters);
  }
  for (const anomaly of anomalies) {
    let counter = counters.get(anomaly);
    if (counter === undefined) {
      counter = stats.counter('packetd_http_anomalies_total', 'HTTP/1 heads decoded despite departing from RFC 9112, by departure (docs/protocols.md)', { anomaly });
      counters.set(anomaly, counter);
    }
    counter.inc();
  }
}

const ANOMALY_COUNTERS = new WeakMap<Stats, Map<HttpAnomaly, Counter>>();

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
/** Set by parseContentLength: the value it read was a list (`5, 5`). */
let contentLengthWasList = false;

function parseContentLength(buf: Buffer, from: number, to: number): number {
  contentLengthWasList = false;
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
      if (i < to) contentLengthWasList = true;
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

/**
 * The version at buf[at, end) (ends there: see versionEnd) as "1.x", else undefined. 1.0 and
 * 1.1 are shared strings; any other is flagged on the head.
 */
function versionText(buf: Buffer, at: number, end: number, head: { anomaly: boolean }): string | undefined {
  if (end - at === 8 && buf[at + 7] === 0x31) return '1.1';
  if (end - at === 8 && buf[at + 7] === 0x30) return '1.0';
  head.anomaly = true;
  let minor = 0;
  for (let i = at + 7; i < end; i++) minor = minor * 10 + buf[i]! - 0x30;
  return `1.${minor}`;
}

/** Scratch for versionText: whether the last version read was unusual. */
const versionFlag = { anomaly: false };

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
    anomalies: undefined,
  };
}

/** `HTTP/1.1` or `HTTP/1.0` at `at` (the caller knows 8 bytes are there). */
function plainVersionAt(buf: Buffer, at: number): boolean {
  const minor = buf[at + 7];
  return (
    buf[at] === 0x48 && buf[at + 1] === 0x54 && buf[at + 2] === 0x54 && buf[at + 3] === 0x50 &&
    buf[at + 4] === 0x2f && buf[at + 5] === 0x31 && buf[at + 6] === 0x2e && (minor === 0x31 || minor === 0x30)
  );
}

function parseStatusLine(buf: Buffer, from: number, to: number, keepAllHeaders: boolean): MessageHead | undefined {
  const afterVersion = to - from > 8 && plainVersionAt(buf, from) && isSpace(buf[from + 8]!) ? from + 8 : versionEnd(buf, from, to);
  let i = afterVersion;
  if (i < 0 || i >= to || !isSpace(buf[i]!)) return undefined;
  while (i < to && isSpace(buf[i]!)) i++;
  if (i + 3 > to || !isDigit(buf[i]!) || !isDigit(buf[i + 1]!) || !isDigit(buf[i + 2]!)) return undefined;
  if (i + 3 < to && !isSpace(buf[i + 3]!)) return undefined;
  const statusCode = (buf[i]! - 0x30) * 100 + (buf[i + 1]! - 0x30) * 10 + (buf[i + 2]! - 0x30);
  versionFlag.anomaly = false;
  const head = newHead('', '', statusCode, versionText(buf, from, afterVersion, versionFlag)!, keepAllHeaders);
  if (versionFlag.anomaly) addAnomaly(head, 'version');
  if (statusCode < 100 || statusCode > 599) addAnomaly(head, 'status_code_range');
  return head;
}

/**
 * `METHOD SP target SP HTTP/1.x`; leniently, as servers read it, a target with spaces (the
 * version is the last word), a longer version number, or no version at all (HTTP/0.9: a known
 * method and a one-word target).
 */
function parseRequestLine(buf: Buffer, from: number, to: number, keepAllHeaders: boolean): MessageHead | undefined {
  let i = from;
  while (i < to && isTokenChar(buf[i]!)) i++;
  const methodEnd = i;
  if (methodEnd === from || i >= to || !isSpace(buf[i]!)) return undefined;
  while (i < to && isSpace(buf[i]!)) i++;
  const targetStart = i;
  while (i < to && buf[i]! > SP) i++;
  let targetEnd = i;
  if (targetEnd === targetStart) return undefined;
  while (i < to && isSpace(buf[i]!)) i++;
  // The line nearly every client sends (`METHOD SP target SP HTTP/1.1`), read without the
  // lenient search for where the version is.
  if (to - i === 8 && plainVersionAt(buf, i)) {
    const method = knownMethod(buf, from, methodEnd) ?? buf.toString('latin1', from, methodEnd);
    return newHead(method, buf.toString('latin1', targetStart, targetEnd), 0, buf[i + 7] === 0x31 ? '1.1' : '1.0', keepAllHeaders);
  }
  let lineEnd = to;
  while (lineEnd > i && isSpace(buf[lineEnd - 1]!)) lineEnd--;
  let versionStart = i;
  let spaceInTarget = false;
  if (i < lineEnd && versionEnd(buf, i, lineEnd) !== lineEnd) {
    // Not the version right after the first word: the version is the last word, if any.
    versionStart = lineEnd;
    while (versionStart > i && !isSpace(buf[versionStart - 1]!)) versionStart--;
    if (versionStart === i || versionEnd(buf, versionStart, lineEnd) !== lineEnd) return undefined;
    targetEnd = versionStart;
    while (isSpace(buf[targetEnd - 1]!)) targetEnd--;
    for (let t = targetStart; t < targetEnd; t++) if (buf[t]! < SP && buf[t] !== HT) return undefined;
    spaceInTarget = true;
  }
  const knownName = knownMethod(buf, from, methodEnd);
  let version: string;
  versionFlag.anomaly = false;
  if (versionStart === lineEnd) {
    // "GET HTTP/1.1" lacks the target, not the version.
    if (knownName === undefined || versionEnd(buf, targetStart, targetEnd) === targetEnd) return undefined;
    version = '0.9';
  } else {
    version = versionText(buf, versionStart, lineEnd, versionFlag)!;
  }
  const method = knownName ?? buf.toString('latin1', from, methodEnd);
  const head = newHead(method, buf.toString('latin1', targetStart, targetEnd), 0, version, keepAllHeaders);
  if (spaceInTarget) addAnomaly(head, 'space_in_target');
  if (version === '0.9') addAnomaly(head, 'http09');
  if (versionFlag.anomaly) addAnomaly(head, 'version');
  return head;
}

/** An HTTP/0.9 request line (no version) at buf[from, to): its head is that one line. */
function isHttp09RequestLine(buf: Buffer, from: number, to: number): boolean {
  return parseRequestLine(buf, from, to, false)?.version === '0.9';
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
    const contentEnd = lineContentEnd(buf, lineStart, lf);
    if (contentEnd === lineStart ? lineStart > off : lineStart === off && isHttp09RequestLine(buf, off, contentEnd)) return lf + 1;
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
 * obsolete line folding and header lines without a colon (skipped), and reads the start lines
 * servers read though RFC 9112 does not allow them (HttpAnomaly: each is named on the head).
 * An HTTP/0.9 request's head is its request line. Returns undefined when the start line is not
 * HTTP/1.x.
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
  const startLineEnd = lineContentEnd(buf, off, lf);
  const head = isRequest ? parseRequestLine(buf, off, startLineEnd, keepAllHeaders) : parseStatusLine(buf, off, startLineEnd, keepAllHeaders);
  if (head === undefined) return undefined;
  let bareLf = startLineEnd === lf;
  if (head.version === '0.9') {
    headEnd.at = lf + 1;
    if (bareLf) addAnomaly(head, 'bare_lf');
    return head;
  }
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
    if (lineEnd === lf) bareLf = true;
    if (lineEnd === lineStart) {
      headEnd.at = lf + 1;
      headRead(head, isRequest, bareLf);
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

/** Anomalies only the whole head shows. */
function headRead(head: MessageHead, isRequest: boolean, bareLf: boolean): void {
  if (bareLf) addAnomaly(head, 'bare_lf');
  if (head.transferEncoding === undefined) return;
  if (head.contentLength !== undefined) addAnomaly(head, 'content_length_and_transfer_encoding');
  if (isRequest && !isChunked(head)) addAnomaly(head, 'transfer_encoding_not_chunked');
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
    if (previous !== undefined || contentLengthWasList) addAnomaly(head, 'duplicate_content_length');
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
