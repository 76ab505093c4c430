import { randomFillSync } from 'node:crypto';

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;
/** A span's ids side by side in an IdSlots buffer: trace id, then span id. */
export const SPAN_IDS_BYTES = TRACE_ID_BYTES + SPAN_ID_BYTES;

/** Random bytes fetched per refill: one system call serves hundreds of spans. */
const POOL_BYTES = 8192;
/** Spans whose ids share one buffer. */
const SLOTS_PER_BUFFER = 1024;

/** Where toSpans gets new ids: each call writes one id's bytes at `offset`. Tests pass a fixed sequence. */
export interface IdSource {
  traceId(target: Buffer, offset: number): void;
  spanId(target: Buffer, offset: number): void;
}

/**
 * Random W3C trace and span ids, drawn from a pool refilled in bulk so a span costs a copy
 * from it rather than a call into the crypto library. All-zero ids are invalid in W3C trace
 * context, so one (vanishingly unlikely) is drawn again.
 */
export class RandomIds implements IdSource {
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  private offset = POOL_BYTES;

  traceId(target: Buffer, offset: number): void {
    this.draw(target, offset, TRACE_ID_BYTES);
  }

  spanId(target: Buffer, offset: number): void {
    this.draw(target, offset, SPAN_ID_BYTES);
  }

  private draw(target: Buffer, offset: number, bytes: number): void {
    for (;;) {
      if (this.offset + bytes > POOL_BYTES) {
        randomFillSync(this.pool);
        this.offset = 0;
      }
      const start = this.offset;
      this.offset += bytes;
      if (!this.allZero(start, bytes)) {
        // A loop: Buffer#copy's argument checks cost more than copying 8 or 16 bytes.
        for (let i = 0; i < bytes; i++) target[offset + i] = this.pool[start + i]!;
        return;
      }
    }
  }

  private allZero(start: number, bytes: number): boolean {
    for (let i = start; i < start + bytes; i++) if (this.pool[i] !== 0) return false;
    return true;
  }
}

/**
 * Room for the ids of spans, SPAN_IDS_BYTES each, in buffers shared by a thousand spans:
 * ids stay bytes, as OTLP protobuf carries them, with no string or buffer per span. A full
 * buffer is left to the spans that point into it.
 */
export class IdSlots {
  private buffer = Buffer.allocUnsafeSlow(SLOTS_PER_BUFFER * SPAN_IDS_BYTES);
  private next = 0;

  /** A fresh slot: its buffer is `current`, its offset the value returned. */
  take(): number {
    if (this.next === SLOTS_PER_BUFFER * SPAN_IDS_BYTES) {
      this.buffer = Buffer.allocUnsafeSlow(SLOTS_PER_BUFFER * SPAN_IDS_BYTES);
      this.next = 0;
    }
    const offset = this.next;
    this.next += SPAN_IDS_BYTES;
    return offset;
  }

  get current(): Buffer {
    return this.buffer;
  }
}
