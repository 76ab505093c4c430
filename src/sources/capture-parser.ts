import { CaptureFormatError } from './capture-format-error.js';
import { ClassicPcapReader, isClassicPcapMagic } from './classic-pcap.js';
import { PCAPNG_SECTION_HEADER, PcapngReader } from './pcapng.js';
import type { PacketSink, RecordReader } from './record-reader.js';

const MAGIC_BYTES = 4;

/**
 * Incremental capture parser: feed it the input in chunks of any size, and it emits every
 * packet as soon as its record is complete. Packets are views into the chunks; only a record
 * that straddles two chunks is copied. The format (classic pcap or pcapng) comes from the magic.
 * `push` and `end` throw CaptureFormatError after emitting every packet before the bad record.
 */
export class CaptureParser {
  private reader: RecordReader | undefined;
  /** Input offset of the next chunk's first byte. */
  private chunkBase = 0;
  /** A record split across chunks, being filled; `carry` is allocated to the bytes it needs. */
  private carry: Buffer | undefined;
  private carryFilled = 0;
  private carryBase = 0;

  constructor(private readonly onPacket: PacketSink) {}

  push(chunk: Buffer): void {
    let pos = 0;
    if (this.carry !== undefined) {
      pos = this.fillCarry(chunk);
      if (this.carry !== undefined) {
        this.chunkBase += chunk.length;
        return;
      }
    }
    const stop = this.parseRecords(chunk, pos, chunk.length, this.chunkBase);
    if (stop < chunk.length) this.startCarry(chunk, stop);
    this.chunkBase += chunk.length;
  }

  /** Call at the end of the input: throws if it ended inside a record. */
  end(): void {
    if (this.reader === undefined) {
      throw new CaptureFormatError('not a pcap or pcapng file (input too short)', 0);
    }
    if (this.carry !== undefined) {
      throw new CaptureFormatError(`capture ends inside a ${this.reader.recordName}`, this.carryBase);
    }
  }

  private parseRecords(buf: Buffer, pos: number, end: number, base: number): number {
    const reader = this.reader ?? this.detectFormat(buf, pos, end, base);
    return reader === undefined ? pos : reader.parse(buf, pos, end, base);
  }

  private detectFormat(buf: Buffer, pos: number, end: number, base: number): RecordReader | undefined {
    if (end - pos < MAGIC_BYTES) return undefined;
    const magic = buf.readUInt32BE(pos);
    if (isClassicPcapMagic(magic)) this.reader = new ClassicPcapReader(this.onPacket);
    else if (magic === PCAPNG_SECTION_HEADER) this.reader = new PcapngReader(this.onPacket);
    else throw new CaptureFormatError('not a pcap or pcapng file (unknown magic number)', base + pos);
    return this.reader;
  }

  /** Bytes the record at `buf[pos]` needs: its full length, or enough header to learn it. */
  private neededBytes(buf: Buffer, pos: number, available: number, offset: number): number {
    const reader = this.reader ?? this.detectFormat(buf, pos, pos + available, offset - pos);
    return reader === undefined ? MAGIC_BYTES : reader.recordLength(buf, pos, available, offset);
  }

  private startCarry(chunk: Buffer, stop: number): void {
    const available = chunk.length - stop;
    const offset = this.chunkBase + stop;
    const needed = this.neededBytes(chunk, stop, available, offset);
    this.carry = Buffer.allocUnsafe(Math.max(needed, available));
    chunk.copy(this.carry, 0, stop);
    this.carryFilled = available;
    this.carryBase = offset;
  }

  /**
   * Moves bytes from the chunk into the carried record until it is complete, then parses it.
   * Returns how many chunk bytes were used; `carry` is left set while still incomplete.
   */
  private fillCarry(chunk: Buffer): number {
    let used = 0;
    let record = this.carry!;
    for (;;) {
      const needed = this.neededBytes(record, 0, this.carryFilled, this.carryBase);
      if (needed <= this.carryFilled) break;
      if (needed > record.length) {
        const grown = Buffer.allocUnsafe(needed);
        record.copy(grown, 0, 0, this.carryFilled);
        record = this.carry = grown;
      }
      const take = Math.min(needed - this.carryFilled, chunk.length - used);
      chunk.copy(record, this.carryFilled, used, used + take);
      this.carryFilled += take;
      used += take;
      if (this.carryFilled < needed) return used;
    }
    this.carry = undefined;
    this.parseRecords(record, 0, this.carryFilled, this.carryBase);
    return used;
  }
}
