import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';
import type { Detection } from '../types.js';
import {
  COM_INIT_DB, COM_PING, COM_QUERY, COM_QUIT, COM_STATISTICS, COM_STMT_CLOSE, COM_STMT_EXECUTE, COM_STMT_PREPARE,
  PACKET_ERR, PACKET_OK,
} from './wire.js';

const HANDSHAKE_V10 = 10;
/** Detection decides on what it has once this many bytes are in. */
const ENOUGH_BYTES = 4096;
const MAX_VERSION_LENGTH = 64;

function isText(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d || c >= 0x80;
}

/** Printable text over `[from, end)` (at most the first 64 bytes are looked at). */
function textAt(buf: Buffer, from: number, end: number): boolean {
  if (end <= from) return false;
  const stop = Math.min(end, from + 64);
  for (let i = from; i < stop; i++) if (!isText(buf[i]!)) return false;
  return true;
}

/** A statement starts with a letter, a parenthesis, a comment or white space. */
function statementStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x28 || c === 0x2f || c === 0x2d || c === 0x20 || c === 0x0a || c === 0x09;
}

/** The server's protocol-10 greeting: version string (starting with a digit), NUL, then at least the fixed fields. */
export function isGreeting(buf: Buffer, off: number, length: number): boolean {
  if (buf[off + 4] !== HANDSHAKE_V10 || buf[off + 5]! < 0x30 || buf[off + 5]! > 0x39) return false;
  const nul = buf.indexOf(0, off + 5);
  if (nul < 0 || nul - off - 5 > MAX_VERSION_LENGTH || !textAt(buf, off + 5, nul)) return false;
  return nul + 1 + 4 + 8 + 1 + 2 <= off + 4 + length;
}

/** A whole command packet (sequence id 0) whose command byte and body fit that command. */
export function isCommand(buf: Buffer, off: number, length: number): boolean {
  const body = off + 4;
  const end = body + length;
  switch (buf[body]) {
    case COM_QUERY:
    case COM_STMT_PREPARE:
      return length >= 2 && statementStart(buf[body + 1]!) && textAt(buf, body + 1, end);
    case COM_INIT_DB:
      return length >= 2 && textAt(buf, body + 1, end);
    case COM_PING:
    case COM_QUIT:
    case COM_STATISTICS:
      return length === 1;
    case COM_STMT_CLOSE:
      return length === 5;
    case COM_STMT_EXECUTE:
      // statement id, flags (cursor type), iteration count always 1
      return length >= 10 && buf[body + 5]! <= 0x0f && buf.readUInt32LE(body + 6) === 1;
    default:
      return false;
  }
}

/**
 * A compressed-protocol frame (3-byte length, sequence id 0, 3-byte uncompressed length) filling
 * the bytes and holding a command: stored as is (a whole command packet inside), or deflated
 * (a zlib header inside). How a conversation joined mid-stream shows it uses compression.
 */
export function isCompressedCommand(buf: Buffer, off: number): boolean {
  if (buf.length - off < 12) return false;
  const length = buf.readUIntLE(off, 3);
  if (buf[off + 3] !== 0 || off + 7 + length !== buf.length) return false;
  if (buf.readUIntLE(off + 4, 3) > 0) return buf[off + 7] === 0x78;
  const inner = buf.readUIntLE(off + 7, 3);
  return buf[off + 10] === 0 && inner + 4 === length && isCommand(buf, off + 7, inner);
}

/** The first packet of a response: OK or ERR (with its `#` SQL state marker). */
function isOkOrErr(buf: Buffer, length: number): boolean {
  if (buf[4] === PACKET_ERR) return length >= 9 && buf[7] === 0x23;
  return buf[4] === PACKET_OK && length >= 7 && length <= 64;
}

/**
 * MySQL / MariaDB from a conversation's first bytes: the server's greeting, or (joined
 * mid-stream) a whole command packet with sequence id 0 and a known command (possibly in a
 * compressed frame), or an OK/ERR with
 * sequence id 1 from the server. Each must fill the bytes exactly, so HTTP, Redis or
 * PostgreSQL bytes read as a packet header do not pass.
 */
export function detectMysql(payload: Buffer, dir: Direction): Detection {
  if (payload.length < 5) return { verdict: 'more' };
  const length = payload.readUIntLE(0, 3);
  const seq = payload[3];
  const fromClient = dir === CLIENT_TO_SERVER;
  const whole = payload.length === 4 + length;
  if (seq === 0 && payload[4] === HANDSHAKE_V10) {
    if (payload.length < 4 + length) return payload.length < ENOUGH_BYTES && length < ENOUGH_BYTES ? { verdict: 'more' } : { verdict: 'no' };
    if (isGreeting(payload, 0, length)) return fromClient ? { verdict: 'yes', swapRoles: true } : { verdict: 'yes' };
  }
  if (seq === 0 && payload.length < 4 + length && length < ENOUGH_BYTES && !isCompressedCommand(payload, 0)) return { verdict: 'more' };
  if (seq === 0 && ((whole && isCommand(payload, 0, length)) || isCompressedCommand(payload, 0))) return fromClient ? { verdict: 'yes' } : { verdict: 'yes', swapRoles: true };
  if (seq === 1 && whole && isOkOrErr(payload, length)) return fromClient ? { verdict: 'yes', swapRoles: true } : { verdict: 'yes' };
  return { verdict: 'no' };
}
