import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';
import type { Detection } from '../types.js';
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_LENGTH, FrameType, isPlausibleFrameHeader } from './frame.js';

/**
 * HTTP/2 without TLS from the first bytes of a direction: the client preface, or, joined
 * mid-stream, whole plausible frames back to back to the end of the bytes, one of them HEADERS
 * or SETTINGS (strict: a run of binary that happens to parse as frames is not enough).
 */
export function detectHttp2(payload: Buffer, dir: Direction): Detection {
  if (dir === CLIENT_TO_SERVER && payload.length > 0 && payload[0] === CLIENT_PREFACE[0]) {
    const n = Math.min(payload.length, CLIENT_PREFACE.length);
    if (payload.compare(CLIENT_PREFACE, 0, n, 0, n) === 0) return n === CLIENT_PREFACE.length ? { verdict: 'yes' } : { verdict: 'more' };
  }
  if (payload.length < FRAME_HEADER_LENGTH) return { verdict: 'more' };
  let off = 0;
  let meaningful = false;
  while (off + FRAME_HEADER_LENGTH <= payload.length) {
    if (!isPlausibleFrameHeader(payload, off, DEFAULT_MAX_FRAME_SIZE)) return { verdict: 'no' };
    const type = payload[off + 3];
    const end = off + FRAME_HEADER_LENGTH + payload.readUIntBE(off, 3);
    if (end <= payload.length && (type === FrameType.Headers || type === FrameType.Settings)) meaningful = true;
    off = end;
  }
  return meaningful ? { verdict: 'yes' } : { verdict: 'more' };
}
