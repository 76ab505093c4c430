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

/** NetBIOS name service (RFC 1002, udp/137): a DNS-shaped header, but not DNS. */
const NETBIOS_ENCODED_LABEL = 32;
const NETBIOS_TYPE_NB = 0x20;
const NETBIOS_TYPE_NBSTAT = 0x21;
const LETTER_A = 0x41;
const LETTER_P = 0x50;

/**
 * A NetBIOS name service question: the name's first label is a NetBIOS name in its 32-letter
 * first-level encoding (each half-byte as a letter A–P, RFC 1001 §14.1) and the type NB or
 * NBSTAT. (As DNS types those are NIMLOC and SRV; no DNS name starts with such a label.)
 */
function isNetbiosQuestion(buf: Buffer, from: number, type: number): boolean {
  const label = from + HEADER_BYTES;
  if (buf[label] !== NETBIOS_ENCODED_LABEL || (type !== NETBIOS_TYPE_NB && type !== NETBIOS_TYPE_NBSTAT)) return false;
  for (let i = label + 1; i <= label + NETBIOS_ENCODED_LABEL; i++) {
    const c = buf[i]!;
    if (c < LETTER_A || c > LETTER_P) return false;
  }
  return true;
}

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

/**
 * A whole message that reads cleanly to its last byte (no name past 255 bytes), with a
 * plausible header and question class, and not NetBIOS.
 */
function wholeMessage(buf: Buffer, from: number, to: number, dir: Direction): Detection {
  if (to - from < HEADER_BYTES || !plausibleHeader(buf, from)) return no;
  const message = parser.parse(buf, from, to, 0);
  if (message === undefined || message.recordError !== undefined || message.nameTruncated || parser.parsedEnd !== to) return no;
  const question = message.question!;
  if (!KNOWN_CLASSES.has(question.class) || isNetbiosQuestion(buf, from, question.type)) return no;
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
