import { isDigit, knownMethod } from './detect.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const STATUS_PREFIX = Buffer.from('HTTP/1.');
const VERSION_WORD = Buffer.from(' HTTP/1.');
/** The longest method `knownMethod` knows (PROPPATCH) and the shortest (GET, PUT). */
const LONGEST_METHOD = 9;
const SHORTEST_METHOD = 3;
/** A request line longer than this is not looked for. */
export const MAX_REQUEST_LINE = 8192;
/** Digits a version number may have (servers read `HTTP/1.10`). */
const MAX_VERSION_DIGITS = 3;

/**
 * Where a search for the next message start stopped: `at` ≥ 0 is a message start; else
 * `keep` is the first byte that may still begin one, to carry over to the next data.
 */
export interface StartSearch {
  at: number;
  keep: number;
}

const YES = 1;
const NO = 0;
const MORE = -1;

/** After `HTTP/1.` at `at`: minor digits, a space, three status digits, then a space or the line end. */
function statusAt(buf: Buffer, at: number): number {
  let i = at + STATUS_PREFIX.length;
  const minorStart = i;
  while (i < buf.length && isDigit(buf[i]!) && i - minorStart < MAX_VERSION_DIGITS) i++;
  if (i === buf.length) return MORE;
  if (i === minorStart || buf[i] !== SP) return NO;
  for (let k = 1; k <= 3; k++) {
    if (i + k >= buf.length) return MORE;
    if (!isDigit(buf[i + k]!)) return NO;
  }
  if (i + 4 >= buf.length) return MORE;
  const c = buf[i + 4];
  return c === SP || c === CR || c === LF ? YES : NO;
}

/**
 * The next status line (`HTTP/1.x NNN` then a space or the line end) starting anywhere in
 * buf[from, …): after lost bytes a response may begin right after body bytes, mid-segment.
 * Native search for the prefix, so the scan is linear.
 */
export function findStatusLine(buf: Buffer, from: number, out: StartSearch): StartSearch {
  let i = from;
  for (;;) {
    const at = buf.indexOf(STATUS_PREFIX, i);
    if (at < 0) {
      out.at = -1;
      out.keep = Math.max(from, buf.length - (STATUS_PREFIX.length - 1));
      return out;
    }
    const verdict = statusAt(buf, at);
    if (verdict === YES) {
      out.at = at;
      return out;
    }
    if (verdict === MORE) {
      out.at = -1;
      out.keep = at;
      return out;
    }
    i = at + 1;
  }
}

/** After ` HTTP/1.` at `at`: minor digits, then the line end (CR LF or LF). */
function versionEndsLine(buf: Buffer, at: number): number {
  let i = at + VERSION_WORD.length;
  const minorStart = i;
  while (i < buf.length && isDigit(buf[i]!) && i - minorStart < MAX_VERSION_DIGITS) i++;
  if (i === buf.length) return MORE;
  if (i === minorStart) return NO;
  if (buf[i] === LF) return YES;
  if (buf[i] !== CR) return NO;
  if (i + 1 === buf.length) return MORE;
  return buf[i + 1] === LF ? YES : NO;
}

/** Where the line holding `at` may start, no earlier than `from` nor MAX_REQUEST_LINE back. */
function lineStartBound(buf: Buffer, from: number, at: number): number {
  const lf = at > from ? buf.lastIndexOf(LF, at - 1) : -1;
  return Math.max(from, lf + 1, at - MAX_REQUEST_LINE);
}

/**
 * The next request line starting anywhere in buf[from, …): a known method, a space, a target
 * without spaces, ` HTTP/1.x` and the line end. Found from its version word (native search),
 * then read backwards; a target cannot hold a space, so reading back never passes the previous
 * candidate and the scan stays linear. `searchFrom` (≥ from) skips bytes already searched.
 */
export function findRequestLine(buf: Buffer, from: number, searchFrom: number, out: StartSearch): StartSearch {
  let i = Math.max(from, searchFrom);
  for (;;) {
    const version = buf.indexOf(VERSION_WORD, i);
    if (version < 0) {
      out.at = -1;
      out.keep = lineStartBound(buf, from, buf.length);
      return out;
    }
    const verdict = versionEndsLine(buf, version);
    if (verdict === MORE) {
      out.at = -1;
      out.keep = lineStartBound(buf, from, version);
      return out;
    }
    if (verdict === YES) {
      const at = methodBefore(buf, from, version);
      if (at >= 0) {
        out.at = at;
        return out;
      }
    }
    i = version + 1;
  }
}

/** The start of `METHOD SP target` ending at `version`, or -1. */
function methodBefore(buf: Buffer, from: number, version: number): number {
  let target = version;
  while (target > from && buf[target - 1]! > SP && version - target < MAX_REQUEST_LINE) target--;
  const space = target - 1;
  if (target === version || space < from || buf[space] !== SP) return -1;
  // The longest method that ends at the space: "UNLOCK" rather than "LOCK".
  for (let length = LONGEST_METHOD; length >= SHORTEST_METHOD; length--) {
    const start = space - length;
    if (start >= from && knownMethod(buf, start, space) !== undefined) return start;
  }
  return -1;
}
