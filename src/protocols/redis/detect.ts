import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';
import type { Detection } from '../types.js';
import { CR, DOLLAR, LF, STAR } from './resp.js';

/** Most arguments a command detected by content may announce (far above real commands' first packets). */
const MAX_COUNT_DIGITS = 7;

/**
 * Redis by content: a client's first bytes are a RESP command, `*<count>\r\n$`. Replies alone
 * (`+OK`, `:1`) are too common a shape in other text protocols to claim a conversation, and
 * inline commands are plain text lines: both are decoded only on Redis's ports.
 */
export function detectRedis(payload: Buffer, dir: Direction): Detection {
  if (dir !== CLIENT_TO_SERVER) return { verdict: 'no' };
  if (payload.length === 0) return { verdict: 'more' };
  if (payload[0] !== STAR) return { verdict: 'no' };
  let i = 1;
  while (i < payload.length && payload[i]! >= 0x30 && payload[i]! <= 0x39) i++;
  const digits = i - 1;
  if (digits > MAX_COUNT_DIGITS) return { verdict: 'no' };
  const expected = [CR, LF, DOLLAR];
  for (let k = 0; k < expected.length; k++, i++) {
    if (i >= payload.length) return { verdict: 'more' };
    if (payload[i] !== expected[k] || digits === 0 || payload[1] === 0x30) return { verdict: 'no' };
  }
  return { verdict: 'yes' };
}
