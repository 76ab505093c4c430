import type { Detection } from '../types.js';
import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';

/** Methods recognised from their first bytes; any other token needs a whole `… HTTP/1.x` line. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT', 'PURGE',
]);

/** The known methods by length, to find one in the bytes without making a string first. */
const KNOWN_METHODS_BY_LENGTH: string[][] = [];
for (const method of KNOWN_METHODS) (KNOWN_METHODS_BY_LENGTH[method.length] ??= []).push(method);

/** The known method spelled by buf[from, to) (case-sensitive, as RFC 9110 says), as a shared string. */
export function knownMethod(buf: Buffer, from: number, to: number): string | undefined {
  const candidates = KNOWN_METHODS_BY_LENGTH[to - from];
  if (candidates === undefined) return undefined;
  next: for (const method of candidates) {
    for (let i = 0; i < method.length; i++) if (buf[from + i] !== method.charCodeAt(i)) continue next;
    return method;
  }
  return undefined;
}
/** An unknown-token request line longer than this is not worth waiting for. */
export const MAX_START_LINE = 8192;

export enum StartLine {
  No,
  More,
  Request,
  Status,
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const STATUS_PREFIX = Buffer.from('HTTP/1.');

export function isTokenChar(c: number): boolean {
  // RFC 9110 tchar: letters, digits and !#$%&'*+-.^_`|~
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
    c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e
  );
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Digits a version number may have: RFC 9112 allows one; servers read more (nginx: up to 999). */
const MAX_VERSION_DIGITS = 3;

/**
 * `HTTP/` 1*3DIGIT `.` 1*3DIGIT at `at`, before `end`: its end, else -1. RFC 9112 has one
 * digit each; servers read `HTTP/1.10` as a version all the same. Only major 1 is HTTP/1
 * (the HTTP/2 preface says `HTTP/2.0`).
 */
export function versionEnd(buf: Buffer, at: number, end: number): number {
  if (at + 8 > end) return -1;
  // Byte by byte: a native compare per head cost more in profiles.
  if (buf[at] !== 0x48 || buf[at + 1] !== 0x54 || buf[at + 2] !== 0x54 || buf[at + 3] !== 0x50 || buf[at + 4] !== 0x2f) return -1;
  let i = at + 5;
  let major = 0;
  const majorStart = i;
  while (i < end && isDigit(buf[i]!) && i - majorStart < MAX_VERSION_DIGITS) major = major * 10 + buf[i++]! - 0x30;
  if (i === majorStart || major !== 1 || i >= end || buf[i] !== 0x2e /* . */) return -1;
  const minorStart = ++i;
  while (i < end && isDigit(buf[i]!) && i - minorStart < MAX_VERSION_DIGITS) i++;
  if (i === minorStart || (i < end && isDigit(buf[i]!))) return -1;
  return i;
}

/** `HTTP/1.x SP 3DIGIT` at `off` (a longer minor version too). */
function classifyStatus(buf: Buffer, off: number): StartLine {
  const prefixLength = Math.min(buf.length - off, STATUS_PREFIX.length);
  for (let i = 0; i < prefixLength; i++) if (buf[off + i] !== STATUS_PREFIX[i]) return StartLine.No;
  const minorStart = off + STATUS_PREFIX.length;
  if (buf.length <= minorStart) return StartLine.More;
  // After "HTTP/1.": the minor version digits, a space, three status digits.
  let base = minorStart;
  while (base < buf.length && isDigit(buf[base]!) && base - minorStart < MAX_VERSION_DIGITS) base++;
  if (base === minorStart) return StartLine.No;
  for (let i = 0; i < 4; i++) {
    if (base + i >= buf.length) return StartLine.More;
    const c = buf[base + i]!;
    if (i === 0 ? c !== SP : !isDigit(c)) return StartLine.No;
  }
  return StartLine.Status;
}

/**
 * `METHOD SP target SP HTTP/1.x` at `off`. A known method is enough unless `wholeLine`; another
 * token always needs the line, whose last word must be the version (the target may hold
 * spaces: servers read such lines, and answer them).
 */
function classifyRequest(buf: Buffer, off: number, wholeLine: boolean): StartLine {
  let i = off;
  while (i < buf.length && isTokenChar(buf[i]!)) i++;
  if (i === buf.length) return i - off > MAX_START_LINE ? StartLine.No : StartLine.More;
  if (buf[i] !== SP || i === off) return StartLine.No;
  if (!wholeLine && knownMethod(buf, off, i) !== undefined) return StartLine.Request;
  const lineEnd = buf.indexOf(LF, i);
  if (lineEnd < 0) return buf.length - off > MAX_START_LINE ? StartLine.No : StartLine.More;
  let end = buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
  while (end > i && isSpaceOrTab(buf[end - 1]!)) end--;
  let wordStart = end;
  while (wordStart > i && !isSpaceOrTab(buf[wordStart - 1]!)) wordStart--;
  // A target between the method and the version.
  let target = i;
  while (target < wordStart && isSpaceOrTab(buf[target]!)) target++;
  if (target === wordStart) return StartLine.No;
  return versionEnd(buf, wordStart, end) === end ? StartLine.Request : StartLine.No;
}

function isSpaceOrTab(c: number): boolean {
  return c === SP || c === 0x09;
}

/**
 * What the line starting at `off` looks like; `More` when `buf` ends before it can tell.
 * `wholeLine` asks for the full request line even for a known method (resyncing inside a body,
 * where "GET " alone is weak evidence).
 */
export function classifyStartLine(buf: Buffer, off: number, wholeLine: boolean): StartLine {
  if (off >= buf.length) return StartLine.More;
  if (buf[off] === 0x48 /* H */) {
    const status = classifyStatus(buf, off);
    if (status !== StartLine.No) return status;
  }
  return classifyRequest(buf, off, wholeLine);
}

/** Skips the empty lines RFC 9112 lets a peer send between messages. */
export function skipEmptyLines(buf: Buffer, off: number): number {
  while (off < buf.length && (buf[off] === CR || buf[off] === LF)) off++;
  return off;
}

/**
 * HTTP/1.x from the first bytes of a direction: a request line from the client or a status line
 * from the server. The opposite (a status line from the guessed client) means the roles are swapped.
 */
export function detectHttp(payload: Buffer, dir: Direction): Detection {
  const kind = classifyStartLine(payload, skipEmptyLines(payload, 0), false);
  switch (kind) {
    case StartLine.More:
      return { verdict: 'more' };
    case StartLine.No:
      return { verdict: 'no' };
    default: {
      const fromClient = dir === CLIENT_TO_SERVER;
      const isRequest = kind === StartLine.Request;
      return isRequest === fromClient ? { verdict: 'yes' } : { verdict: 'yes', swapRoles: true };
    }
  }
}
