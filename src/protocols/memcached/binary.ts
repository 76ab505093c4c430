/** The memcached binary protocol: its 24-byte header and its opcodes. */

export const REQUEST_MAGIC = 0x80;
export const RESPONSE_MAGIC = 0x81;
export const HEADER_BYTES = 24;
/** Bodies beyond this are not believed (memcached's item size limit tops out at 1 GiB). */
export const MAX_BODY = 1024 * 1024 * 1024;

export const OPCODE_STAT = 0x10;

export interface Opcode {
  name: string;
  /** Quiet: the server answers only on a hit (gets) or on an error (mutations). */
  quiet: boolean;
  /** A get: a reply with a value is a hit, "not found" a miss. */
  retrieval: boolean;
}

const op = (name: string, quiet = false, retrieval = false): Opcode => ({ name, quiet, retrieval });

/** Opcodes by number (protocol_binary.h); names as the text protocol spells them where it has one. */
const OPCODES: ReadonlyMap<number, Opcode> = new Map([
  [0x00, op('get', false, true)],
  [0x01, op('set')],
  [0x02, op('add')],
  [0x03, op('replace')],
  [0x04, op('delete')],
  [0x05, op('incr')],
  [0x06, op('decr')],
  [0x07, op('quit')],
  [0x08, op('flush_all')],
  [0x09, op('getq', true, true)],
  [0x0a, op('noop')],
  [0x0b, op('version')],
  [0x0c, op('getk', false, true)],
  [0x0d, op('getkq', true, true)],
  [0x0e, op('append')],
  [0x0f, op('prepend')],
  [0x10, op('stats')],
  [0x11, op('setq', true)],
  [0x12, op('addq', true)],
  [0x13, op('replaceq', true)],
  [0x14, op('deleteq', true)],
  [0x15, op('incrq', true)],
  [0x16, op('decrq', true)],
  [0x17, op('quitq', true)],
  [0x18, op('flush_allq', true)],
  [0x19, op('appendq', true)],
  [0x1a, op('prependq', true)],
  [0x1b, op('verbosity')],
  [0x1c, op('touch')],
  [0x1d, op('gat', false, true)],
  [0x1e, op('gatq', true, true)],
  [0x20, op('sasl_list_mechs')],
  [0x21, op('sasl_auth')],
  [0x22, op('sasl_step')],
  [0x23, op('gatk', false, true)],
  [0x24, op('gatkq', true, true)],
]);

export function opcodeOf(code: number): Opcode | undefined {
  return OPCODES.get(code);
}

/** Status codes that report an outcome (miss, CAS conflict, not stored), not a failure. */
const OUTCOMES: ReadonlySet<number> = new Set([0x00, 0x01, 0x02, 0x05]);

export function isFailure(status: number): boolean {
  return !OUTCOMES.has(status);
}

/** The header at `off` (HEADER_BYTES available). */
export interface BinaryHeader {
  magic: number;
  opcode: number;
  keyLength: number;
  extrasLength: number;
  dataType: number;
  /** Status (responses) or vbucket (requests). */
  status: number;
  bodyLength: number;
  opaque: number;
}

export function readHeader(buf: Buffer, off: number): BinaryHeader {
  return {
    magic: buf[off]!,
    opcode: buf[off + 1]!,
    keyLength: buf.readUInt16BE(off + 2),
    extrasLength: buf[off + 4]!,
    dataType: buf[off + 5]!,
    status: buf.readUInt16BE(off + 6),
    bodyLength: buf.readUInt32BE(off + 8),
    opaque: buf.readUInt32BE(off + 12),
  };
}

/** A header that can be what it claims: known opcode, parts fitting the body, raw data type. */
export function isPlausible(h: BinaryHeader, magic: number): boolean {
  return (
    h.magic === magic &&
    h.dataType === 0 &&
    opcodeOf(h.opcode) !== undefined &&
    h.extrasLength + h.keyLength <= h.bodyLength &&
    h.bodyLength <= MAX_BODY
  );
}
