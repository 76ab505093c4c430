import type { Packet } from '../model/packet.js';
import type { Direction, StreamEvent } from '../model/stream.js';
import type { TcpFlow } from './flow.js';
import type { ReassemblyCounters } from './options.js';
import { seqAdd, seqDiff } from './seq.js';

export interface EventSink {
  next(event: StreamEvent): void;
}

/**
 * Turns the segments of one TCP direction into ordered 'data' and 'gap' events: in-order bytes
 * go straight out as views, retransmitted or overlapping bytes are trimmed and counted,
 * segments ahead of a hole are copied and buffered until it fills or is given up.
 *
 * This is where a segment is classified (in order, retransmitted, out of order); a later flow
 * metrics stage can take these per-packet marks from here instead of re-deriving them.
 */
export class TcpDelivery {
  constructor(
    private readonly out: EventSink,
    private readonly counters: ReassemblyCounters,
    private readonly maxBufferedBytes: number,
  ) {}

  /** A segment covering `length` sequence bytes from `seq`, of which `payload` was captured. */
  segment(flow: TcpFlow, dir: Direction, seq: number, payload: Buffer, length: number, ts: number, packet: Packet): void {
    const half = flow.halves[dir];
    const ahead = seqDiff(seq, half.nextSeq);
    if (ahead > 0) {
      this.buffer(flow, dir, seq, payload, length, ts, packet);
      return;
    }
    this.deliver(flow, dir, -ahead, payload, length, ts, packet);
    if (half.segments.length > 0) this.drain(flow, dir);
  }

  /**
   * The peer acknowledged up to `ack` in `dir`: it received bytes the capture never showed, so
   * the hole they leave will not fill. Report them as a gap and go on with what is buffered.
   */
  acked(flow: TcpFlow, dir: Direction, ack: number, ts: number): void {
    const half = flow.halves[dir];
    while (half.segments.length > 0) {
      const lost = seqDiff(ack, half.nextSeq);
      if (lost <= 0) return;
      const hole = seqDiff(half.segments[0].seq, half.nextSeq);
      this.skip(flow, dir, lost < hole ? lost : hole, ts);
    }
  }

  /** Deliver everything buffered in `dir`, reporting each remaining hole as a gap. */
  flush(flow: TcpFlow, dir: Direction, ts: number): void {
    const half = flow.halves[dir];
    while (half.segments.length > 0) this.skip(flow, dir, seqDiff(half.segments[0].seq, half.nextSeq), ts);
  }

  /** Give up `bytes` at nextSeq as lost, then deliver whatever buffered data that reaches. */
  private skip(flow: TcpFlow, dir: Direction, bytes: number, ts: number): void {
    this.gap(flow, dir, bytes, ts);
    flow.halves[dir].nextSeq = seqAdd(flow.halves[dir].nextSeq, bytes);
    this.drain(flow, dir);
  }

  /** Emit a segment whose first `done` sequence bytes were delivered already. */
  private deliver(
    flow: TcpFlow,
    dir: Direction,
    done: number,
    payload: Buffer,
    length: number,
    ts: number,
    packet: Packet | undefined,
  ): void {
    if (done >= length) {
      this.counters.retransmittedBytes.inc(length);
      return;
    }
    if (done > 0) this.counters.retransmittedBytes.inc(done);
    flow.halves[dir].advance(length - done);
    if (done < payload.length) {
      this.out.next({
        kind: 'data',
        conv: flow.conv,
        dir,
        ts,
        payload: done === 0 ? payload : payload.subarray(done),
        packet,
      });
    }
    const cutBySnaplen = length - (done > payload.length ? done : payload.length);
    if (cutBySnaplen > 0) this.gap(flow, dir, cutBySnaplen, ts);
  }

  private buffer(
    flow: TcpFlow,
    dir: Direction,
    seq: number,
    payload: Buffer,
    length: number,
    ts: number,
    packet: Packet,
  ): void {
    if (flow.bufferedBytes + payload.length > this.maxBufferedBytes) {
      this.counters.bufferLimitHits.inc();
      this.flush(flow, dir, ts);
      const ahead = seqDiff(seq, flow.halves[dir].nextSeq);
      if (ahead > 0) this.skip(flow, dir, ahead, ts);
      this.deliver(flow, dir, ahead < 0 ? -ahead : 0, payload, length, ts, packet);
      return;
    }
    const segments = flow.halves[dir].segments;
    let at = segments.length;
    while (at > 0 && seqDiff(segments[at - 1].seq, seq) > 0) at--;
    const before = at > 0 ? segments[at - 1] : undefined;
    if (before !== undefined && before.seq === seq && before.length >= length) {
      this.counters.retransmittedBytes.inc(length);
      return;
    }
    segments.splice(at, 0, { seq, data: Buffer.from(payload), length, ts });
    flow.bufferedBytes += payload.length;
    this.counters.outOfOrderSegments.inc();
  }

  /**
   * Deliver buffered segments that nextSeq has reached, each as its own data event with the
   * time it arrived: a message that starts in one is stamped with the packet that carried its
   * first byte, not with the packet that filled the hole (or the ACK that gave it up).
   */
  private drain(flow: TcpFlow, dir: Direction): void {
    const half = flow.halves[dir];
    const segments = half.segments;
    let delivered = 0;
    while (delivered < segments.length) {
      const segment = segments[delivered];
      const ahead = seqDiff(segment.seq, half.nextSeq);
      if (ahead > 0) break;
      delivered++;
      flow.bufferedBytes -= segment.data.length;
      this.deliver(flow, dir, -ahead, segment.data, segment.length, segment.ts, undefined);
    }
    if (delivered > 0) segments.splice(0, delivered);
  }

  private gap(flow: TcpFlow, dir: Direction, bytes: number, ts: number): void {
    this.counters.gaps.inc();
    this.counters.gapBytes.inc(bytes);
    this.out.next({ kind: 'gap', conv: flow.conv, dir, ts, bytes });
  }
}
