import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';
import type { Detection } from '../types.js';
import { HEADER_BYTES, isPlausible, readHeader, REQUEST_MAGIC, RESPONSE_MAGIC } from './binary.js';
import { parseCommandLine, Shape } from './text.js';

/** A first command line longer than this is not worth waiting for (a multi-get of 8 long keys). */
const MAX_DETECT_LINE = 2048;
const LF = 0x0a;
/** Printable ASCII and space: all a command line may hold. */
const LINE = /^[\x20-\x7e]*$/;
/** An HTTP request line in lower case is still not memcached. */
const HTTP_VERSION = / HTTP\/\d(\.\d)?$/i;
/** Commands without keys that start a memcached conversation; `quit` and the like are too generic. */
const DETECTED_OTHERS: ReadonlySet<string> = new Set(['stats', 'version', 'flush_all', 'verbosity']);

/**
 * memcached by content: a binary request header (magic 0x80, known opcode, parts fitting the
 * body) from the client, or a binary response header (0x81) from the guessed client (the
 * roles were swapped); or a client's first line that reads as a text command by its exact
 * grammar (`get <key>…`, `set <key> <flags> <exptime> <bytes> [noreply]`, …), ended by CR LF.
 * Text replies alone are too common a shape to claim a conversation.
 */
export function detectMemcached(payload: Buffer, dir: Direction): Detection {
  if (payload.length === 0) return { verdict: 'more' };
  const first = payload[0]!;
  if (first === REQUEST_MAGIC || first === RESPONSE_MAGIC) {
    if (payload.length < HEADER_BYTES) return { verdict: 'more' };
    const header = readHeader(payload, 0);
    const fromClient = dir === CLIENT_TO_SERVER;
    if (isPlausible(header, fromClient ? REQUEST_MAGIC : RESPONSE_MAGIC)) return { verdict: 'yes' };
    if (isPlausible(header, fromClient ? RESPONSE_MAGIC : REQUEST_MAGIC)) return { verdict: 'yes', swapRoles: true };
    return { verdict: 'no' };
  }
  if (dir !== CLIENT_TO_SERVER) return { verdict: 'no' };
  const lf = payload.indexOf(LF);
  if (lf < 0) return payload.length > MAX_DETECT_LINE ? { verdict: 'no' } : { verdict: 'more' };
  if (lf === 0 || payload[lf - 1] !== 0x0d) return { verdict: 'no' };
  const line = payload.toString('latin1', 0, lf - 1);
  if (!LINE.test(line) || HTTP_VERSION.test(line)) return { verdict: 'no' };
  const command = parseCommandLine(line.split(' '));
  if (command === undefined || (command.shape === Shape.Other && !DETECTED_OTHERS.has(command.name))) return { verdict: 'no' };
  return { verdict: 'yes' };
}
