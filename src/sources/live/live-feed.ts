import { Observable, Subject, type Subscriber, type Subscription } from 'rxjs';
import type { RawPacket } from '../../model/packet.js';
import { Consumer } from '../../operators/hop.js';
import type { FlowGate } from '../../pipeline/flow-gate.js';
import type { Counter, Stats } from '../../pipeline/stats.js';
import type { PacketSource } from './packet-source.js';

export interface LiveFeedOptions {
  /** Bytes of packets queued while the run's gate is held or no run is attached; beyond, packets are dropped (counted). */
  queueSize: number;
  /** Wall-clock interval of quiet after which a clock tick is emitted (and between ticks). Default 1000 ms. */
  tickIntervalMs?: number;
}

/** One run's input: its packets and, while the wire is quiet, packet time. Both complete when the run is detached. */
export interface RunInput {
  packets: Observable<RawPacket>;
  clock: Observable<number>;
  /** Resolves when the run subscribes to `packets` (it has started). */
  started: Promise<void>;
}

/**
 * Connects a capture that runs until stopped to one pipeline run at a time, so a reload can
 * replace the run without reopening the capture. Packets pass straight through while the run
 * keeps up. While its flow gate is held (a sink's buffer is full), or between a detach and the
 * next attach (a reload), they wait in a queue bounded by bytes; beyond it they are dropped and
 * counted in `packetd_queue_dropped_total`, since the wire cannot be paused.
 *
 * Packet time only advances with packets, so while the wire is quiet the feed emits clock
 * ticks: the last packet's time plus the monotonic time elapsed since it arrived. Ticks are
 * only emitted with an empty queue, so they never overtake a packet.
 */
export class LiveFeed {
  private readonly queue: RawPacket[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private consumer: Subscriber<RawPacket> | undefined;
  private clock: Subject<number> | undefined;
  private gate: FlowGate | undefined;
  private waitingForGate = false;
  private lastTs = -1;
  private lastArrivalMs = 0;
  private ended = false;
  private readonly dropped: Counter;
  private readonly subscription: Subscription;
  private readonly ticker: NodeJS.Timeout;
  private readonly tickIntervalMs: number;
  /** Settles when the source completes or fails; an error is the capture's. */
  readonly done: Promise<void>;

  constructor(
    source: PacketSource,
    private readonly options: LiveFeedOptions,
    stats: Stats,
  ) {
    this.dropped = stats.counter('packetd_queue_dropped_total', 'Packets packetd dropped because its queue was full (a sink held the flow gate too long)');
    stats.gauge('packetd_queue_packets', 'Packets waiting in the live queue', () => this.queue.length - this.queueHead);
    this.tickIntervalMs = options.tickIntervalMs ?? 1000;
    this.ticker = setInterval(() => this.tickIfQuiet(), this.tickIntervalMs).unref();
    let settle: (err?: Error) => void = () => undefined;
    this.done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    this.done.catch(() => undefined);
    this.subscription = source.packets.subscribe(
      new Consumer<RawPacket>({
        next: (packet) => this.push(packet),
        error: (err: unknown) => {
          this.end();
          settle(err instanceof Error ? err : new Error(String(err)));
        },
        complete: () => {
          this.end();
          settle();
        },
      }),
    );
  }

  /** The input of the next run, which gets every queued packet first. One run at a time. */
  attach(gate: FlowGate): RunInput {
    if (this.consumer !== undefined) throw new Error('LiveFeed: a run is already attached');
    const clock = new Subject<number>();
    let onStart: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (onStart = resolve));
    const packets = new Observable<RawPacket>((subscriber) => {
      onStart();
      if (this.ended && this.queueHead === this.queue.length) {
        subscriber.complete();
        clock.complete();
        return;
      }
      this.consumer = subscriber;
      this.clock = clock;
      this.gate = gate;
      this.drain();
      return () => {
        if (this.consumer === subscriber) this.release();
      };
    });
    return { packets, clock, started };
  }

  /** Ends the attached run's input (it then flushes); packets queue until the next attach. */
  detach(): void {
    const consumer = this.consumer;
    const clock = this.clock;
    this.release();
    consumer?.complete();
    clock?.complete();
  }

  /** Stops listening to the source; the attached run's input ends once the queue is drained. */
  close(): void {
    this.subscription.unsubscribe();
    this.end();
  }

  private release(): void {
    this.consumer = undefined;
    this.clock = undefined;
    this.gate = undefined;
  }

  private push(packet: RawPacket): void {
    this.lastTs = packet.ts;
    this.lastArrivalMs = performance.now();
    const consumer = this.consumer;
    if (consumer !== undefined && this.queueHead === this.queue.length && !this.gate!.held) {
      consumer.next(packet);
      if (this.gate!.held) this.waitForGate();
      return;
    }
    if (this.queuedBytes + packet.data.length > this.options.queueSize) {
      this.dropped.value++;
      return;
    }
    this.queue.push(packet);
    this.queuedBytes += packet.data.length;
    if (consumer !== undefined) this.waitForGate();
  }

  /** Passes queued packets on until the queue is empty or the gate is held again. */
  private drain(): void {
    while (this.consumer !== undefined && this.queueHead < this.queue.length) {
      if (this.gate!.held) return this.waitForGate();
      const packet = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined as unknown as RawPacket;
      this.queuedBytes -= packet.data.length;
      this.consumer.next(packet);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
      if (this.ended) this.detach();
    }
  }

  private waitForGate(): void {
    if (this.waitingForGate || this.gate === undefined) return;
    this.waitingForGate = true;
    void this.gate.ready().then(() => {
      this.waitingForGate = false;
      this.drain();
    });
  }

  private tickIfQuiet(): void {
    if (this.clock === undefined || this.lastTs < 0 || this.queueHead < this.queue.length) return;
    const quietMs = performance.now() - this.lastArrivalMs;
    if (quietMs >= this.tickIntervalMs) this.clock.next(this.lastTs + Math.floor(quietMs * 1000));
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ticker);
    this.drain();
  }
}
