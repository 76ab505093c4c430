import { FrameInBuffer } from '../model/packet.js';
import { CaptureFormatError } from './capture-format-error.js';
import { timestampScale, unitsToMicros, type TimestampScale } from './pcapng-timestamp.js';
import { MAX_RECORD_BYTES, type PacketSink, type RecordReader } from './record-reader.js';

export const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION = 0x00000001;
/** Obsolete Packet Block, still written by old tools: an EPB with a 16-bit interface id. */
const PACKET_BLOCK = 0x00000002;
const SIMPLE_PACKET = 0x00000003;
const ENHANCED_PACKET = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const BLOCK_HEADER_BYTES = 8;
/** Type, length, byte-order magic: enough to know a section header's byte order and length. */
const SECTION_HEADER_PREFIX_BYTES = 12;
const MIN_BLOCK_BYTES = 12;
/** Fixed part of an EPB/PB before the packet data, plus the trailing length. */
const PACKET_BLOCK_OVERHEAD = 32;
const SIMPLE_PACKET_OVERHEAD = 16;
const INTERFACE_DESCRIPTION_MIN = 20;

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const DEFAULT_TSRESOL = 6;

interface CaptureInterface {
  readonly linkType: number;
  readonly snaplen: number;
  readonly scale: TimestampScale;
  /** Index within its section, as the packet blocks (and tshark) number it. */
  readonly id: number;
}

/**
 * pcapng: section header, interface description, enhanced/simple/obsolete packet blocks.
 * Every section has its own byte order and interface list; other blocks (name resolution,
 * statistics, custom, …) are skipped by their length.
 */
export class PcapngReader implements RecordReader {
  readonly recordName = 'block';
  private littleEndian = true;
  private interfaces: CaptureInterface[] = [];
  /** Simple packet blocks carry no timestamp: they get the time of the packet before them. */
  private lastTs = 0;

  constructor(private readonly onPacket: PacketSink) {}

  recordLength(buf: Buffer, pos: number, available: number, offset: number): number {
    if (available < BLOCK_HEADER_BYTES) return BLOCK_HEADER_BYTES;
    if (buf.readUInt32BE(pos) === PCAPNG_SECTION_HEADER) {
      if (available < SECTION_HEADER_PREFIX_BYTES) return SECTION_HEADER_PREFIX_BYTES;
      return this.checkedLength(blockLength(buf, pos, sectionIsLittleEndian(buf, pos, offset)), offset);
    }
    return this.checkedLength(blockLength(buf, pos, this.littleEndian), offset);
  }

  parse(buf: Buffer, pos: number, end: number, base: number): number {
    while (end - pos >= MIN_BLOCK_BYTES) {
      const offset = base + pos;
      // The section header type reads the same in both byte orders.
      const sectionHeader = buf.readUInt32BE(pos) === PCAPNG_SECTION_HEADER;
      const le = sectionHeader ? sectionIsLittleEndian(buf, pos, offset) : this.littleEndian;
      const length = this.checkedLength(blockLength(buf, pos, le), offset);
      if (pos + length > end) break;
      const trailingLength = le ? buf.readUInt32LE(pos + length - 4) : buf.readUInt32BE(pos + length - 4);
      if (trailingLength !== length) {
        throw new CaptureFormatError(`block length ${length} does not match its trailing copy`, offset);
      }
      const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      if (type === ENHANCED_PACKET || type === PACKET_BLOCK) this.readPacket(buf, pos, length, offset, type);
      else if (type === SIMPLE_PACKET) this.readSimplePacket(buf, pos, length, offset);
      else if (type === INTERFACE_DESCRIPTION) this.readInterface(buf, pos, length, offset);
      else if (sectionHeader) this.startSection(buf, pos, le, offset);
      pos += length;
    }
    return pos;
  }

  private readPacket(buf: Buffer, pos: number, length: number, offset: number, type: number): void {
    const le = this.littleEndian;
    if (length < PACKET_BLOCK_OVERHEAD) throw new CaptureFormatError(`packet block of ${length} bytes is too short`, offset);
    const ifaceId =
      type === ENHANCED_PACKET
        ? le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8)
        : le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
    const iface = this.interface(ifaceId, offset);
    const high = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    const low = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
    const capLen = le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    const origLen = le ? buf.readUInt32LE(pos + 24) : buf.readUInt32BE(pos + 24);
    if (capLen > length - PACKET_BLOCK_OVERHEAD) {
      throw new CaptureFormatError(`packet block claims ${capLen} captured bytes but holds fewer`, offset);
    }
    const ts = unitsToMicros(iface.scale, high, low);
    this.lastTs = ts;
    this.onPacket(new FrameInBuffer(ts, iface.linkType, buf, pos + 28, pos + 28 + capLen, origLen, iface.id, offset));
  }

  private readSimplePacket(buf: Buffer, pos: number, length: number, offset: number): void {
    if (length < SIMPLE_PACKET_OVERHEAD) throw new CaptureFormatError(`simple packet block of ${length} bytes is too short`, offset);
    const iface = this.interface(0, offset);
    const origLen = this.littleEndian ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    // The captured length is implied: the original length cut to the snaplen and to the block.
    let capLen = Math.min(origLen, length - SIMPLE_PACKET_OVERHEAD);
    if (iface.snaplen !== 0 && iface.snaplen < capLen) capLen = iface.snaplen;
    this.onPacket(new FrameInBuffer(this.lastTs, iface.linkType, buf, pos + 12, pos + 12 + capLen, origLen, iface.id, offset));
  }

  private readInterface(buf: Buffer, pos: number, length: number, offset: number): void {
    const le = this.littleEndian;
    if (length < INTERFACE_DESCRIPTION_MIN) {
      throw new CaptureFormatError(`interface description block of ${length} bytes is too short`, offset);
    }
    let tsresol = DEFAULT_TSRESOL;
    let tsoffset = 0;
    const optionsEnd = pos + length - 4;
    for (let at = pos + 16; at + 4 <= optionsEnd; ) {
      const code = le ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
      const valueLength = le ? buf.readUInt16LE(at + 2) : buf.readUInt16BE(at + 2);
      if (code === OPT_END || at + 4 + valueLength > optionsEnd) break;
      if (code === OPT_IF_TSRESOL && valueLength >= 1) tsresol = buf[at + 4]!;
      else if (code === OPT_IF_TSOFFSET && valueLength >= 8) {
        tsoffset = Number(le ? buf.readBigInt64LE(at + 4) : buf.readBigInt64BE(at + 4));
      }
      at += 4 + ((valueLength + 3) & ~3);
    }
    this.interfaces.push({
      linkType: le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8),
      snaplen: le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12),
      scale: timestampScale(tsresol, tsoffset),
      id: this.interfaces.length,
    });
  }

  private startSection(buf: Buffer, pos: number, le: boolean, offset: number): void {
    const major = le ? buf.readUInt16LE(pos + 12) : buf.readUInt16BE(pos + 12);
    const minor = le ? buf.readUInt16LE(pos + 14) : buf.readUInt16BE(pos + 14);
    if (major !== 1) throw new CaptureFormatError(`unsupported pcapng version ${major}.${minor}`, offset);
    this.littleEndian = le;
    this.interfaces = [];
  }

  private interface(id: number, offset: number): CaptureInterface {
    const iface = this.interfaces[id];
    if (iface === undefined) throw new CaptureFormatError(`packet for undeclared interface ${id}`, offset);
    return iface;
  }

  private checkedLength(length: number, offset: number): number {
    if (length < MIN_BLOCK_BYTES || length % 4 !== 0 || length > MAX_RECORD_BYTES) {
      throw new CaptureFormatError(`invalid block length ${length}`, offset);
    }
    return length;
  }
}

function blockLength(buf: Buffer, pos: number, le: boolean): number {
  return le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
}

function sectionIsLittleEndian(buf: Buffer, pos: number, offset: number): boolean {
  const magic = buf.readUInt32LE(pos + 8);
  if (magic === BYTE_ORDER_MAGIC) return true;
  if (buf.readUInt32BE(pos + 8) === BYTE_ORDER_MAGIC) return false;
  throw new CaptureFormatError('section header has no valid byte-order magic', offset);
}
