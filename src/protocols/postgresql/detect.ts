import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';
import type { Detection } from '../types.js';
import {
  BACKEND_ONLY, BACKEND_TYPES, CANCEL_REQUEST, FRONTEND_ONLY, FRONTEND_TYPES, GSSENC_REQUEST, MAX_STARTUP_LENGTH, PROTOCOL_3, SSL_REQUEST,
} from './wire.js';

/** Detection decides on what it has once this many bytes are in. */
const ENOUGH_BYTES = 2048;
/** First messages of a conversation joined mid-stream are rarely this long; longer is suspect. */
const MAX_FIRST_MESSAGE = 1 << 20;
/** ReadyForQuery's transaction status: idle, in a transaction, in a failed one. */
const READY_STATUS: ReadonlySet<number> = new Set([0x49, 0x54, 0x45]);
const USER_PARAMETER = Buffer.from('user\0');

/** What a run of typed messages looks like: whose it can be. */
export interface TypedRun {
  /** A header fits neither side (bad type or length, or a body that cannot be that type). */
  bad: boolean;
  /** Headers read, the last possibly of a message still arriving. */
  messages: number;
  frontend: boolean;
  backend: boolean;
  /** A type only that side sends was seen. */
  frontendOnly: boolean;
  backendOnly: boolean;
}

/** Walks typed messages (type byte, int32 length) from `off` to the end of `buf`. */
export function walkTyped(buf: Buffer, off: number, maxLength: number): TypedRun {
  const run: TypedRun = { bad: false, messages: 0, frontend: true, backend: true, frontendOnly: false, backendOnly: false };
  while (off + 5 <= buf.length) {
    const type = buf[off]!;
    const length = buf.readUInt32BE(off + 1);
    if (FRONTEND_TYPES[type] === 0) run.frontend = false;
    if (BACKEND_TYPES[type] === 0) run.backend = false;
    if (length < 4 || length > maxLength || (!run.frontend && !run.backend) || !sane(buf, off, type, length)) {
      run.bad = true;
      return run;
    }
    if (FRONTEND_ONLY[type] === 1) run.frontendOnly = true;
    if (BACKEND_ONLY[type] === 1) run.backendOnly = true;
    run.messages++;
    off += 1 + length;
  }
  return run;
}

/** Checks the messages whose body is cheap to verify: ReadyForQuery's status, Query's final NUL. */
function sane(buf: Buffer, off: number, type: number, length: number): boolean {
  const end = off + 1 + length;
  if (type === 0x5a /* Z */) return length === 5 && (end > buf.length || READY_STATUS.has(buf[off + 5]!));
  if (type === 0x51 /* Q */ && end <= buf.length) return buf[end - 1] === 0;
  return true;
}

/** Whether `buf[off]` starts a startup-family message (no type byte): length, then a known code. */
export function untypedKind(buf: Buffer, off: number): 'startup' | 'ssl' | 'gssenc' | 'cancel' | 'more' | undefined {
  if (buf.length - off < 8) return 'more';
  const length = buf.readUInt32BE(off);
  const code = buf.readUInt32BE(off + 4);
  if (code === SSL_REQUEST) return length === 8 ? 'ssl' : undefined;
  if (code === GSSENC_REQUEST) return length === 8 ? 'gssenc' : undefined;
  if (code === CANCEL_REQUEST) return length === 16 ? 'cancel' : undefined;
  return code >>> 16 === PROTOCOL_3 && length > 8 && length <= MAX_STARTUP_LENGTH ? 'startup' : undefined;
}

/**
 * PostgreSQL from a conversation's first bytes: a startup, SSLRequest, GSSENCRequest or
 * CancelRequest from the client, or (joined mid-stream) a run of well-formed typed messages
 * that only one side sends. A run with only types both sides use (`C`, `D`, `E`, `S`, …) waits
 * for more bytes or the other direction.
 */
export function detectPostgresql(payload: Buffer, dir: Direction): Detection {
  if (payload.length < 5) return { verdict: 'more' };
  const fromClient = dir === CLIENT_TO_SERVER;
  if (payload[0] === 0) {
    const kind = untypedKind(payload, 0);
    if (kind === 'more') return { verdict: 'more' };
    if (kind === undefined) return { verdict: 'no' };
    if (kind === 'startup') {
      const length = payload.readUInt32BE(0);
      if (payload.length < length) return { verdict: 'more' };
      if (payload.indexOf(USER_PARAMETER, 8) < 0 || payload.indexOf(USER_PARAMETER, 8) >= length) return { verdict: 'no' };
    }
    return fromClient ? { verdict: 'yes' } : { verdict: 'yes', swapRoles: true };
  }
  const run = walkTyped(payload, 0, MAX_FIRST_MESSAGE);
  if (run.bad) return { verdict: 'no' };
  const client = run.frontend && (run.frontendOnly || !run.backend);
  const server = run.backend && (run.backendOnly || !run.frontend);
  if (client === server) return payload.length < ENOUGH_BYTES ? { verdict: 'more' } : { verdict: 'no' };
  return client === fromClient ? { verdict: 'yes' } : { verdict: 'yes', swapRoles: true };
}
