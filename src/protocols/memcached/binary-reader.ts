import { HEADER_BYTES, isPlausible, MAX_BODY, readHeader, REQUEST_MAGIC, RESPONSE_MAGIC, type BinaryHeader } from './binary.js';
import { MAX_KEY } from './text.js';

/** What the binary reader reports to. */
export interface BinaryOwner {
  /** A whole packet (header and body); `key` only when keys are kept. */
  binaryPacket(header: BinaryHeader, key: string | undefined, start: number, size: number, ts: number): void;
  readerError(reason: string): void;
  /** A header that cannot be one where a packet must start: the conversation is not memcached. */
  foreign(reason: string): void;
}

/**
 * The binary protocol for one direction: 24-byte headers (gathered across packets) and bodies
 * skipped by length, except the key when the owner shows keys. A header that cannot be one
 * stops the direction: the binary protocol has no marker to resync on.
 */
export class BinaryReader {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  private current: BinaryHeader | undefined;
  /** Body bytes still to come, and where the key lies among them (from the body start). */
  private bodyLeft = 0;
  private bodyRead = 0;
  private keyChunks: Buffer[] = [];
  private start = 0;
  private stopped = false;
  private readonly magic: number;

  constructor(
    private readonly owner: BinaryOwner,
    isRequest: boolean,
    private readonly keepKeys: boolean,
  ) {
    this.magic = isRequest ? REQUEST_MAGIC : RESPONSE_MAGIC;
  }

  feed(buf: Buffer, ts: number): void {
    let off = 0;
    while (off < buf.length && !this.stopped) {
      if (this.current === undefined) {
        if (this.headerBytes === 0) this.start = ts;
        const take = Math.min(HEADER_BYTES - this.headerBytes, buf.length - off);
        buf.copy(this.header, this.headerBytes, off, off + take);
        this.headerBytes += take;
        off += take;
        if (this.headerBytes < HEADER_BYTES) return;
        const header = readHeader(this.header, 0);
        if (!isPlausible(header, this.magic) || header.bodyLength > MAX_BODY) {
          this.stopped = true;
          this.owner.foreign('bad_binary_header');
          return;
        }
        this.current = header;
        this.bodyLeft = header.bodyLength;
        this.bodyRead = 0;
        this.keyChunks = [];
      }
      const n = Math.min(this.bodyLeft, buf.length - off);
      if (this.keepKeys) this.keepKey(buf, off, n);
      off += n;
      this.bodyLeft -= n;
      this.bodyRead += n;
      if (this.bodyLeft === 0) this.complete(ts);
    }
  }

  /** Lost bytes: inside a body they are skipped; anywhere else the direction stops (counted). */
  gap(bytes: number): void {
    if (this.current !== undefined && bytes < this.bodyLeft) {
      this.bodyLeft -= bytes;
      this.bodyRead += bytes;
      return;
    }
    if (!this.stopped) this.owner.readerError('gap_in_message');
    this.stopped = true;
  }

  end(): void {
    if (!this.stopped && (this.headerBytes > 0 || this.current !== undefined)) this.owner.readerError('truncated');
    this.stopped = true;
  }

  /** The owner gave up on the conversation. */
  halt(): void {
    this.stopped = true;
  }

  private keepKey(buf: Buffer, off: number, n: number): void {
    const h = this.current!;
    const keyStart = h.extrasLength;
    const keyEnd = keyStart + Math.min(h.keyLength, MAX_KEY);
    const from = Math.max(keyStart, this.bodyRead);
    const to = Math.min(keyEnd, this.bodyRead + n);
    if (from < to) this.keyChunks.push(Buffer.from(buf.subarray(off + from - this.bodyRead, off + to - this.bodyRead)));
  }

  private complete(ts: number): void {
    const header = this.current!;
    const key = this.keepKeys && header.keyLength > 0 ? Buffer.concat(this.keyChunks).toString('latin1') : undefined;
    this.current = undefined;
    this.headerBytes = 0;
    this.keyChunks = [];
    this.owner.binaryPacket(header, key, this.start, HEADER_BYTES + header.bodyLength, ts);
  }
}
