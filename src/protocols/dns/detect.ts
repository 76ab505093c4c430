import { u16 } from '../../frames/bytes.js';
import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';
import type { Detection } from '../types.js';
import { OPCODE_QUERY } from './codes.js';
import { DnsParser, HEADER_BYTES } from './message.js';

/** TCP carries each message behind a two-byte length (RFC 1035 §4.2.2). */
export const TCP_LENGTH_BYTES = 2;

const Z_BIT = 0x0040;
/** QUERY, STATUS, NOTIFY, UPDATE: the opcodes in use (IQUERY is obsolete, 3 unassigned). */
const KNOWN_OPCODES = 0b110101;
/** IN, CH, HS, NONE (UPDATE), ANY. */
const KNOWN_CLASSES: ReadonlySet<number> = new Set([1, 3, 4, 254, 255]);

const no: Detection = { verdict: 'no' };
const more: Detection = { verdict: 'more' };
const yes: Detection = { verdict: 'yes' };
const yesSwapped: Detection = { verdict: 'yes', swapRoles: true };

const parser = new DnsParser();

/**
 * Whether the 12-byte header at `off` can start a DNS message: Z clear, a known opcode, one
 * question, and a query carrying no answers. Cheap enough to test any stream's first bytes.
 */
export function plausibleHeader(buf: Buffer, off: number): boolean {
  const flags = u16(buf, off + 2);
  const isResponse = (flags & 0x8000) !== 0;
  const opcode = (flags >>> 11) & 0x0f;
  if ((flags & Z_BIT) !== 0 || ((KNOWN_OPCODES >>> opcode) & 1) === 0 || u16(buf, off + 4) !== 1) return false;
  return isResponse || opcode !== OPCODE_QUERY || (u16(buf, off + 6) === 0 && u16(buf, off + 8) === 0 && (flags & 0x0f) === 0);
}

/** A whole message that reads cleanly to its last byte, with a plausible header and question class. */
function wholeMessage(buf: Buffer, from: number, to: number, dir: Direction): Detection {
  if (to - from < HEADER_BYTES || !plausibleHeader(buf, from)) return no;
  const message = parser.parse(buf, from, to, 0);
  if (message === undefined || message.recordError !== undefined || parser.parsedEnd !== to) return no;
  if (!KNOWN_CLASSES.has(message.question!.class)) return no;
  return message.isResponse === (dir === CLIENT_TO_SERVER) ? yesSwapped : yes;
}

/**
 * DNS from a direction's first bytes: over UDP one datagram holding exactly one message, over
 * TCP a length prefix and the message it announces. A response from the guessed client means
 * the roles are swapped.
 */
export function detectDns(payload: Buffer, dir: Direction, transport: 'tcp' | 'udp'): Detection {
  if (transport === 'udp') return wholeMessage(payload, 0, payload.length, dir);
  if (payload.length < TCP_LENGTH_BYTES) return more;
  const end = TCP_LENGTH_BYTES + u16(payload, 0);
  if (end - TCP_LENGTH_BYTES < HEADER_BYTES) return no;
  if (payload.length < TCP_LENGTH_BYTES + HEADER_BYTES) return more;
  if (!plausibleHeader(payload, TCP_LENGTH_BYTES)) return no;
  if (payload.length < end) return more;
  return wholeMessage(payload, TCP_LENGTH_BYTES, end, dir);
}
