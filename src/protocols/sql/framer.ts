/**
 * What a length-prefixed wire protocol tells a `FrameReader`: where its messages start and
 * end, and what to do with each whole message.
 */
export interface Framing {
  /**
   * The header at `buf[off]`: its length in bytes (setting `bodyLength`), 0 when more bytes are
   * needed to read it, -1 when the bytes are not a valid header (framing is lost).
   */
  readHeader(buf: Buffer, off: number): number;
  bodyLength: number;
  /**
   * A whole message: header at `buf[off, off + headerLength)`, then the body up to `bodyEnd`
   * (cut when longer than the reader keeps); `size` is the full message length on the wire.
   * `start` is the time of its first byte, `end` of its last.
   */
  onMessage(buf: Buffer, off: number, headerLength: number, bodyEnd: number, size: number, start: number, end: number): void;
  /** Whether a message plausibly starts at `buf[off]` (resynchronising after lost bytes). */
  plausibleStart(buf: Buffer, off: number): boolean;
}

/** A header split across segments longer than this is not a header. */
const MAX_HEADER_BYTES = 16;

/**
 * Splits one direction's byte stream into messages for a `Framing`. Messages in one segment are
 * handed over as views; one spanning segments is copied, keeping at most `keepBytes` of its
 * body (the rest is counted, not held), so memory stays bounded whatever the peers send.
 * After a gap or a bad header it drops bytes until a segment starts with a plausible message.
 */
export class FrameReader {
  private carry: Buffer | undefined;
  private kept: Buffer[] = [];
  private keptLength = 0;
  private keepTarget = 0;
  private remaining = 0;
  private size = 0;
  private headerLength = 0;
  private start = 0;
  private inMessage = false;
  private resyncing = false;
  private stopRequested = false;

  constructor(
    private readonly framing: Framing,
    private readonly keepBytes: number,
    private readonly onLost: (reason: string) => void,
  ) {}

  /** True while bytes of an unfinished message are held. */
  get midMessage(): boolean {
    return this.inMessage || this.carry !== undefined;
  }

  /** Called from `onMessage`: `feed` returns right after this message (the protocol switches framing). */
  stopAfterMessage(): void {
    this.stopRequested = true;
  }

  /** Bytes were lost: drop the unfinished message and wait for a plausible message start. */
  lose(): void {
    this.inMessage = false;
    this.carry = undefined;
    this.kept = [];
    this.resyncing = true;
  }

  /** Feeds `buf[off…]`; returns where it stopped: `buf.length`, or just after a message when asked to stop. */
  feed(buf: Buffer, off: number, ts: number): number {
    if (this.inMessage) {
      off = this.continueMessage(buf, off, ts);
      if (this.inMessage || this.takeStop()) return off;
    }
    let data = buf;
    // data[i] is buf[i + shift]: a carried header prefix shifts positions.
    let shift = 0;
    if (this.carry !== undefined) {
      shift = off - this.carry.length;
      data = Buffer.concat([this.carry, buf.subarray(off)]);
      off = 0;
      this.carry = undefined;
    } else if (this.resyncing) {
      if (!this.framing.plausibleStart(buf, off)) return buf.length;
      this.resyncing = false;
    }
    const framing = this.framing;
    while (off < data.length) {
      const headerLength = framing.readHeader(data, off);
      if (headerLength === 0) {
        if (data.length - off >= MAX_HEADER_BYTES) break;
        this.carry = Buffer.from(data.subarray(off));
        return buf.length;
      }
      if (headerLength < 0) break;
      const size = headerLength + framing.bodyLength;
      if (data.length - off >= size) {
        framing.onMessage(data, off, headerLength, off + size, size, ts, ts);
        off += size;
        if (this.takeStop()) return off + shift;
        continue;
      }
      this.beginPartial(data, off, headerLength, size, ts);
      return buf.length;
    }
    if (off < data.length) {
      this.onLost('bad_header');
      this.lose();
    }
    return buf.length;
  }

  private takeStop(): boolean {
    const stop = this.stopRequested;
    this.stopRequested = false;
    return stop;
  }

  private beginPartial(data: Buffer, off: number, headerLength: number, size: number, ts: number): void {
    this.inMessage = true;
    this.size = size;
    this.headerLength = headerLength;
    this.start = ts;
    this.keepTarget = Math.min(size, headerLength + this.keepBytes);
    const available = data.length - off;
    const keepNow = Math.min(available, this.keepTarget);
    this.kept = [Buffer.from(data.subarray(off, off + keepNow))];
    this.keptLength = keepNow;
    this.remaining = size - available;
  }

  private continueMessage(buf: Buffer, off: number, ts: number): number {
    const take = Math.min(this.remaining, buf.length - off);
    const keepNow = Math.min(take, this.keepTarget - this.keptLength);
    if (keepNow > 0) {
      this.kept.push(Buffer.from(buf.subarray(off, off + keepNow)));
      this.keptLength += keepNow;
    }
    this.remaining -= take;
    off += take;
    if (this.remaining > 0) return off;
    this.inMessage = false;
    const whole = this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept);
    this.kept = [];
    this.framing.onMessage(whole, 0, this.headerLength, whole.length, this.size, this.start, ts);
    return off;
  }
}
