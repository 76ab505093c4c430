import { randomFillSync } from 'node:crypto';

/** Random bytes fetched per refill: one system call serves hundreds of spans. */
const POOL_BYTES = 8192;

/**
 * Random W3C trace and span ids as lower-case hex, drawn from a pool refilled in bulk so a
 * span costs a slice of it rather than a call into the crypto library. All-zero ids are
 * invalid in W3C trace context, so one (vanishingly unlikely) is drawn again.
 */
export class RandomIds {
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  private offset = POOL_BYTES;

  traceId(): string {
    return this.hex(16);
  }

  spanId(): string {
    return this.hex(8);
  }

  private hex(bytes: number): string {
    for (;;) {
      if (this.offset + bytes > POOL_BYTES) {
        randomFillSync(this.pool);
        this.offset = 0;
      }
      const start = this.offset;
      this.offset += bytes;
      if (!this.allZero(start, bytes)) return this.pool.toString('hex', start, start + bytes);
    }
  }

  private allZero(start: number, bytes: number): boolean {
    for (let i = start; i < start + bytes; i++) if (this.pool[i] !== 0) return false;
    return true;
  }
}

/** What toSpans needs to name new spans; tests pass a fixed sequence. */
export interface IdSource {
  traceId(): string;
  spanId(): string;
}
