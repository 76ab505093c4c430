import type { Packet } from '../model/packet.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Conversation, type Direction } from '../model/stream.js';
import { seqAdd } from './seq.js';

/** An out-of-order segment waiting for the hole before it to fill. */
export interface BufferedSegment {
  seq: number;
  /** Copy of the captured bytes (the packet's own buffer is a view into a read chunk). */
  data: Buffer;
  /** Sequence bytes the segment covers (more than data.length when snaplen cut it). */
  length: number;
  /** Packet time of the segment's arrival: its data event carries it, not the release time. */
  ts: number;
}

/** Reassembly state of one direction of a TCP connection. */
export class HalfStream {
  /** Whether nextSeq is known: set by the SYN, or by the first segment when joined mid-stream. */
  synced = false;
  /** Initial sequence number from the SYN, -1 when no SYN was seen. */
  isn = -1;
  /** Next sequence number to deliver. */
  nextSeq = 0;
  /** Sequence number the FIN occupies, -1 until a FIN is seen. */
  finSeq = -1;
  /**
   * The latest acknowledgment number the peer sent for this direction's bytes (what it expects
   * next), -1 before any: how a reset's sequence number is checked when the capture missed bytes.
   */
  peerAck = -1;
  /** Sorted by sequence number; the first one is always ahead of nextSeq. */
  readonly segments: BufferedSegment[] = [];

  /** Move past `n` delivered bytes, and past the FIN when it comes next (it consumes one number). */
  advance(n: number): void {
    this.nextSeq = seqAdd(this.nextSeq, n);
    if (this.nextSeq === this.finSeq) this.nextSeq = seqAdd(this.nextSeq, 1);
  }
}

/** A tracked conversation. Roles are kept here too: decoders may swap `conv`'s in place. */
export class Flow {
  /** Packet time of the latest packet. */
  lastTs: number;
  /** Tick index at which the flow was last moved to the back of its table's LRU order. */
  touchTick = -1;
  /** Next flow in the same hash bucket. */
  sameHash: Flow | undefined = undefined;

  constructor(
    readonly key: string,
    readonly hash: number,
    readonly conv: Conversation,
    private readonly clientAddr: string,
    private readonly clientPort: number,
    private readonly serverAddr: string,
    private readonly serverPort: number,
  ) {
    this.lastTs = conv.start;
  }

  /** Whether the packet belongs to this flow, in either direction. */
  matches(p: Packet): boolean {
    return (
      (p.srcPort === this.clientPort && p.dstPort === this.serverPort && p.src === this.clientAddr && p.dst === this.serverAddr) ||
      (p.srcPort === this.serverPort && p.dstPort === this.clientPort && p.src === this.serverAddr && p.dst === this.clientAddr)
    );
  }

  directionOf(p: Packet): Direction {
    return p.srcPort === this.clientPort && p.src === this.clientAddr ? CLIENT_TO_SERVER : SERVER_TO_CLIENT;
  }
}

export class TcpFlow extends Flow {
  readonly halves: readonly [HalfStream, HalfStream] = [new HalfStream(), new HalfStream()];
  /** Captured bytes buffered out of order, both directions. */
  bufferedBytes = 0;
  /** Bit per direction that has sent a FIN. */
  finMask = 0;
  /**
   * Packet time of the reset the conversation is held after, -1 when it is not: the close waits
   * a little, in case the endpoints go on as if the reset had never come (see reset.ts).
   */
  resetAt = -1;
}
