import type { RawPacket } from '../model/index.js';

/** Receives each packet as soon as its record is complete. */
export type PacketSink = (packet: RawPacket) => void;

/**
 * Largest record (pcap packet record or pcapng block) accepted. Real link types stay far below
 * (Wireshark's largest per-link-type limit is 128 MiB for D-Bus); anything bigger is a corrupt
 * length field, and rejecting it early keeps a bad header from making the reader buffer
 * hundreds of megabytes before failing.
 */
export const MAX_RECORD_BYTES = 128 * 1024 * 1024;

/**
 * One capture format's record layer. `CaptureParser` owns chunking: it hands a reader a buffer
 * range and carries an incomplete trailing record over to the next chunk.
 */
export interface RecordReader {
  /**
   * How many bytes the record starting at `pos` occupies, or — when fewer than its fixed
   * header are available — how many bytes are needed to learn that. Throws CaptureFormatError
   * for a length that cannot be valid.
   */
  recordLength(buf: Buffer, pos: number, available: number, offset: number): number;
  /**
   * Parses every complete record in `buf[pos, end)` and emits its packets. `base` is the input
   * offset of `buf[0]`. Returns the position of the first incomplete record.
   */
  parse(buf: Buffer, pos: number, end: number, base: number): number;
  /** Words for a truncation error ("packet record", "block"). */
  readonly recordName: string;
}
