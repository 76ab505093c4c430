import type { Packet } from '../model/packet.js';
import type { Flow } from './flow.js';

/**
 * Flows by flowHash (a bucket chains the few flows sharing a hash), and in least-recently-active
 * order (a Set's insertion order). A flow moves to the back of that order at most once per
 * tick, so the order is exact to one tick interval while most packets cost one numeric lookup
 * and a few comparisons; idle expiry and eviction then only look at the front.
 */
export class LruFlows<F extends Flow> {
  private readonly buckets = new Map<number, F>();
  private readonly order = new Set<F>();

  get size(): number {
    return this.order.size;
  }

  find(p: Packet, hash: number): F | undefined {
    let flow = this.buckets.get(hash);
    while (flow !== undefined && !flow.matches(p)) flow = flow.sameHash as F | undefined;
    return flow;
  }

  add(flow: F, tick: number): void {
    flow.touchTick = tick;
    flow.sameHash = this.buckets.get(flow.hash);
    this.buckets.set(flow.hash, flow);
    this.order.add(flow);
  }

  touch(flow: F, tick: number): void {
    if (flow.touchTick === tick) return;
    flow.touchTick = tick;
    this.order.delete(flow);
    this.order.add(flow);
  }

  remove(flow: F): void {
    this.order.delete(flow);
    const head = this.buckets.get(flow.hash);
    if (head === flow) {
      if (flow.sameHash === undefined) this.buckets.delete(flow.hash);
      else this.buckets.set(flow.hash, flow.sameHash as F);
    } else {
      let previous = head;
      while (previous !== undefined && previous.sameHash !== flow) previous = previous.sameHash as F | undefined;
      if (previous !== undefined) previous.sameHash = flow.sameHash;
    }
    flow.sameHash = undefined;
  }

  oldest(): F | undefined {
    return this.order.values().next().value;
  }

  /** Front to back; removing the current flow while iterating is safe. */
  inActivityOrder(): IterableIterator<F> {
    return this.order.values();
  }
}

/**
 * Recently closed TCP tuples (a TIME_WAIT-like memory): late retransmissions, the last ACK or a
 * second RST after the close are ignored instead of starting a mid-stream conversation of
 * garbage. A SYN on the tuple still starts a new conversation (port reuse).
 */
export class RecentlyClosed {
  private readonly closedAt = new Map<string, number>();

  constructor(
    private readonly holdUs: number,
    private readonly maxEntries: number,
  ) {}

  has(key: string): boolean {
    return this.closedAt.has(key);
  }

  delete(key: string): void {
    this.closedAt.delete(key);
  }

  add(key: string, ts: number): void {
    this.closedAt.delete(key);
    this.closedAt.set(key, ts);
    if (this.closedAt.size > this.maxEntries) this.closedAt.delete(this.closedAt.keys().next().value as string);
  }

  /** Forget tuples closed more than holdUs before `now` (entries are in close order). */
  expire(now: number): void {
    for (const [key, ts] of this.closedAt) {
      if (ts + this.holdUs > now) return;
      this.closedAt.delete(key);
    }
  }
}
