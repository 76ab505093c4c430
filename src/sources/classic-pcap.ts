import { u32, u32le } from '../frames/bytes.js';
import { FrameInBuffer } from '../model/packet.js';
import { CaptureFormatError } from './capture-format-error.js';
import { MAX_RECORD_BYTES, type PacketSink, type RecordReader } from './record-reader.js';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/** Magic numbers as the first four bytes read big-endian. */
export const PCAP_MAGIC_US_BE = 0xa1b2c3d4;
export const PCAP_MAGIC_US_LE = 0xd4c3b2a1;
export const PCAP_MAGIC_NS_BE = 0xa1b23c4d;
export const PCAP_MAGIC_NS_LE = 0x4d3cb2a1;

export function isClassicPcapMagic(magic: number): boolean {
  return (
    magic === PCAP_MAGIC_US_BE || magic === PCAP_MAGIC_US_LE || magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE
  );
}

/**
 * Classic libpcap format: a 24-byte file header, then 16-byte record headers each followed by
 * the captured bytes. Microsecond or nanosecond timestamps, either byte order (from the magic).
 */
export class ClassicPcapReader implements RecordReader {
  readonly recordName = 'packet record';
  private headerRead = false;
  private littleEndian = false;
  private nanoseconds = false;
  private linkType = 0;

  constructor(private readonly onPacket: PacketSink) {}

  recordLength(buf: Buffer, pos: number, available: number, offset: number): number {
    if (!this.headerRead) return FILE_HEADER_BYTES;
    if (available < RECORD_HEADER_BYTES) return RECORD_HEADER_BYTES;
    return RECORD_HEADER_BYTES + this.capturedLength(buf, pos, offset);
  }

  parse(buf: Buffer, pos: number, end: number, base: number): number {
    if (!this.headerRead) {
      if (end - pos < FILE_HEADER_BYTES) return pos;
      this.readFileHeader(buf, pos);
      pos += FILE_HEADER_BYTES;
    }
    const le = this.littleEndian;
    const linkType = this.linkType;
    while (end - pos >= RECORD_HEADER_BYTES) {
      const capLen = this.capturedLength(buf, pos, base + pos);
      const next = pos + RECORD_HEADER_BYTES + capLen;
      if (next > end) break;
      // Bounds are checked above; the Buffer read methods would check them again per field.
      const seconds = le ? u32le(buf, pos) : u32(buf, pos);
      const fraction = le ? u32le(buf, pos + 4) : u32(buf, pos + 4);
      const origLen = le ? u32le(buf, pos + 12) : u32(buf, pos + 12);
      const ts = seconds * 1_000_000 + (this.nanoseconds ? Math.floor(fraction / 1000) : fraction);
      this.onPacket(new FrameInBuffer(ts, linkType, buf, pos + RECORD_HEADER_BYTES, next, origLen, 0, base + pos));
      pos = next;
    }
    return pos;
  }

  private readFileHeader(buf: Buffer, pos: number): void {
    const magic = buf.readUInt32BE(pos);
    this.littleEndian = magic === PCAP_MAGIC_US_LE || magic === PCAP_MAGIC_NS_LE;
    this.nanoseconds = magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE;
    // The upper bits of the link-type field carry FCS information, not the link type.
    this.linkType = (this.littleEndian ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20)) & 0xffff;
    this.headerRead = true;
  }

  private capturedLength(buf: Buffer, pos: number, offset: number): number {
    const capLen = this.littleEndian ? u32le(buf, pos + 8) : u32(buf, pos + 8);
    if (capLen > MAX_RECORD_BYTES) {
      throw new CaptureFormatError(`packet record claims ${capLen} captured bytes (corrupt length)`, offset);
    }
    return capLen;
  }
}
