import type { PubSub } from './commands.js';

/** Requests awaiting replies, bounded like the matcher's pending list (the oldest is dropped). */
const MAX_CAPACITY = 1024;
/** Most connections have one or a pipeline's worth in flight: the ring starts small and grows. */
const INITIAL_CAPACITY = 16;

/**
 * What the decoder remembers of each request still awaiting its reply, oldest first: its
 * pub/sub kind and argument count (a SUBSCRIBE to n channels is confirmed n times). A ring, so
 * deep pipelines cost no array shifting.
 */
export class PendingReplies {
  private kinds = new Uint8Array(INITIAL_CAPACITY);
  private args = new Int32Array(INITIAL_CAPACITY);
  private head = 0;
  size = 0;

  push(kind: PubSub, args: number): void {
    if (this.size === this.kinds.length) {
      if (this.size === MAX_CAPACITY) this.shift();
      else this.grow();
    }
    const at = (this.head + this.size) % this.kinds.length;
    this.kinds[at] = kind;
    this.args[at] = args;
    this.size++;
  }

  headKind(): PubSub {
    return this.kinds[this.head]! as PubSub;
  }

  headArgs(): number {
    return this.args[this.head]!;
  }

  shift(): void {
    this.head = (this.head + 1) % this.kinds.length;
    this.size--;
  }

  /** Doubles the ring, oldest entry first. */
  private grow(): void {
    const capacity = this.kinds.length * 2;
    const kinds = new Uint8Array(capacity);
    const args = new Int32Array(capacity);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) % this.kinds.length;
      kinds[i] = this.kinds[from]!;
      args[i] = this.args[from]!;
    }
    this.kinds = kinds;
    this.args = args;
    this.head = 0;
  }
}
