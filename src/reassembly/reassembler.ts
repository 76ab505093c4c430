import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet, type TcpFacts } from '../model/packet.js';
import type { CloseReason, Conversation, Direction } from '../model/stream.js';
import { Flow, TcpFlow } from './flow.js';
import { flowHash, flowKey } from './flow-key.js';
import { LruFlows, RecentlyClosed } from './flow-table.js';
import { ReassemblyCounters, resolveOptions, TIME_WAIT_US, type ReassembleOptions, type ResolvedOptions } from './options.js';
import { continuesAfterReset, resetAcceptable } from './reset.js';
import { tcpRoles, udpRoles, type Roles } from './roles.js';
import { seqAdd } from './seq.js';
import { TcpDelivery, type EventSink } from './tcp-delivery.js';

/**
 * The connection table behind the `reassemble` operator: opens and closes conversations,
 * follows SYN/FIN/RST (a RST only as its receiver would take it: reset.ts), hands TCP payload
 * to TcpDelivery, passes UDP datagrams through, and drives packet-time ticks and idle expiry.
 */
export class Reassembler {
  private readonly options: ResolvedOptions;
  private readonly counters: ReassemblyCounters;
  private readonly delivery: TcpDelivery;
  private readonly tcpFlows = new LruFlows<TcpFlow>();
  private readonly udpFlows = new LruFlows<Flow>();
  private readonly recentlyClosed: RecentlyClosed;
  /** Conversations held after a reset, in reset order. */
  private readonly resetFlows = new Set<TcpFlow>();
  private nextConversationId = 1;
  /** Latest packet time seen (packets may step back a little; time does not). */
  private now = 0;
  /** Index of the tick interval `now` is in; -1 before the first packet. */
  private tick = -1;
  /** Where that interval ends: the tick index is worked out again only once `now` gets there. */
  private tickEndsAt = -Infinity;

  constructor(
    private readonly out: EventSink,
    options: ReassembleOptions,
  ) {
    this.options = resolveOptions(options);
    this.counters = new ReassemblyCounters(options.stats);
    this.delivery = new TcpDelivery(out, this.counters, this.options.maxBufferedBytesPerConnection);
    this.recentlyClosed = new RecentlyClosed(TIME_WAIT_US, this.options.maxConnections);
    options.stats.gauge(
      'packetd_connections_tracked',
      'Conversations reassembly tracks now',
      () => this.tcpFlows.size + this.udpFlows.size,
    );
  }

  packet(p: Packet): void {
    if (p.ts > this.now) this.now = p.ts;
    const crossedTick = this.now >= this.tickEndsAt && this.advanceTick();
    if (p.tcp !== undefined) this.tcpPacket(p, p.tcp);
    else if (p.proto === 17) this.udpPacket(p);
    if (crossedTick) this.expireAndTick();
  }

  /**
   * Packet time advanced to `ts` without a packet: a live source's clock while the wire is
   * quiet, so idle conversations and pending requests still expire. Ignored before the first
   * packet (nothing to expire) and when `ts` is not ahead.
   */
  clock(ts: number): void {
    if (this.tick < 0 || ts <= this.now) return;
    this.now = ts;
    if (ts >= this.tickEndsAt && this.advanceTick()) this.expireAndTick();
  }

  /** `now` reached the end of the current tick interval: true when a tick was crossed (not at the first packet). */
  private advanceTick(): boolean {
    const interval = this.options.tickIntervalUs;
    const tick = Math.floor(this.now / interval);
    const crossed = this.tick >= 0;
    this.tick = tick;
    this.tickEndsAt = (tick + 1) * interval;
    return crossed;
  }

  private expireAndTick(): void {
    this.closeResetFlows();
    this.expireIdle(this.tcpFlows, this.options.tcpIdleTimeoutUs);
    this.expireIdle(this.udpFlows, this.options.udpIdleTimeoutUs);
    this.recentlyClosed.expire(this.now);
    this.out.next({ kind: 'tick', ts: this.now });
  }

  /** End of input: close every conversation (flushing what is buffered) with reason 'end'. */
  end(): void {
    for (const flow of this.tcpFlows.inActivityOrder()) this.close(flow, 'end', this.now);
    for (const flow of this.udpFlows.inActivityOrder()) this.close(flow, 'end', this.now);
  }

  private tcpPacket(p: Packet, tcp: TcpFacts): void {
    const flags = tcp.flags;
    const hash = flowHash(p);
    const isSyn = (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    let flow = this.tcpFlows.find(p, hash);
    if (flow !== undefined && flow.resetAt >= 0 && !isSyn && !this.goesOnAfterReset(flow, p, tcp)) return;
    if (flow === undefined) {
      const key = flowKey(p);
      if (!this.startsTcpConversation(p, key, flags, isSyn)) return;
      flow = this.openTcp(p, key, hash, flags);
    } else if (isSyn && isNewConnection(flow, p, tcp.seq)) {
      this.close(flow, 'end', p.ts);
      flow = this.openTcp(p, flow.key, hash, flags);
    } else {
      this.tcpFlows.touch(flow, this.tick);
      flow.lastTs = p.ts;
    }
    const dir = flow.directionOf(p);
    if ((flags & TCP_RST) !== 0) {
      this.reset(flow, dir, tcp, p.ts);
      return;
    }
    const peer = flow.halves[dir ^ 1];
    if ((flags & TCP_ACK) !== 0) {
      peer.peerAck = tcp.ack;
      if (peer.segments.length > 0) this.delivery.acked(flow, (dir ^ 1) as Direction, tcp.ack, p.ts);
    }

    const half = flow.halves[dir];
    let seq = tcp.seq;
    if ((flags & TCP_SYN) !== 0) {
      seq = seqAdd(seq, 1);
      if (!half.synced) {
        half.isn = tcp.seq;
        half.synced = true;
        half.nextSeq = seq;
      }
    }
    const length = p.payloadLength;
    const fin = (flags & TCP_FIN) !== 0;
    if (length === 0 && !fin) return;
    if (!half.synced) {
      half.synced = true;
      half.nextSeq = seq;
    }
    if (fin) half.finSeq = seqAdd(seq, length);
    if (length > 0) this.delivery.segment(flow, dir, seq, p.payload, length, p.ts, p);
    else half.advance(0);
    if (fin) {
      flow.finMask |= 1 << dir;
      if (flow.finMask === 3) this.close(flow, 'fin', p.ts);
    }
  }

  /**
   * A RST the receiver would act on holds the conversation (it closes once the hold is over,
   * at the reset's time); one it would not is ignored and counted.
   */
  private reset(flow: TcpFlow, dir: Direction, tcp: TcpFacts, ts: number): void {
    if (!resetAcceptable(flow, dir, tcp)) {
      this.counters.resetsIgnored.inc();
      return;
    }
    flow.resetAt = ts;
    this.resetFlows.add(flow);
  }

  /**
   * A packet (not a SYN) on a conversation held after a reset: true when it continues the
   * conversation within the hold, which then resumes. Otherwise the packet is dropped as one
   * after the close, and a hold that is over closes the conversation.
   */
  private goesOnAfterReset(flow: TcpFlow, p: Packet, tcp: TcpFacts): boolean {
    const held = p.ts - flow.resetAt < this.options.rstHoldUs;
    if (held && (tcp.flags & TCP_RST) === 0 && continuesAfterReset(flow, flow.directionOf(p), tcp, p.payloadLength)) {
      flow.resetAt = -1;
      this.resetFlows.delete(flow);
      this.counters.resetsResumed.inc();
      return true;
    }
    if (!held) this.close(flow, 'rst', flow.resetAt);
    this.counters.packetsAfterClose.inc();
    return false;
  }

  /** Only a SYN, a SYN-ACK or payload starts a conversation; nothing but a SYN revives a closed tuple. */
  private startsTcpConversation(p: Packet, key: string, flags: number, isSyn: boolean): boolean {
    if (this.recentlyClosed.has(key)) {
      if (!isSyn) {
        this.counters.packetsAfterClose.inc();
        return false;
      }
      this.recentlyClosed.delete(key);
      return true;
    }
    if ((flags & TCP_RST) !== 0) return false;
    return (flags & TCP_SYN) !== 0 || p.payloadLength > 0;
  }

  private openTcp(p: Packet, key: string, hash: number, flags: number): TcpFlow {
    const conv = this.conversation(p, 'tcp', tcpRoles(p, flags));
    const flow = new TcpFlow(key, hash, conv, conv.client.address, conv.client.port, conv.server.address, conv.server.port);
    this.counters.openedTcp.inc();
    this.track(this.tcpFlows, flow);
    return flow;
  }

  private udpPacket(p: Packet): void {
    const hash = flowHash(p);
    let flow = this.udpFlows.find(p, hash);
    if (flow === undefined) {
      if (p.payloadLength === 0) return;
      const conv = this.conversation(p, 'udp', udpRoles(p));
      flow = new Flow(flowKey(p), hash, conv, conv.client.address, conv.client.port, conv.server.address, conv.server.port);
      this.counters.openedUdp.inc();
      this.track(this.udpFlows, flow);
    } else {
      this.udpFlows.touch(flow, this.tick);
      flow.lastTs = p.ts;
    }
    const dir = flow.directionOf(p);
    if (p.payload.length > 0) {
      this.out.next({ kind: 'data', conv: flow.conv, dir, ts: p.ts, payload: p.payload, packet: p });
    }
    if (p.payloadLength > p.payload.length) {
      this.counters.truncatedDatagrams.inc();
      this.out.next({ kind: 'gap', conv: flow.conv, dir, ts: p.ts, bytes: p.payloadLength - p.payload.length });
    }
  }

  private conversation(p: Packet, transport: 'tcp' | 'udp', roles: Roles): Conversation {
    const source = { address: p.src, port: p.srcPort };
    const destination = { address: p.dst, port: p.dstPort };
    return {
      id: this.nextConversationId++,
      transport,
      client: roles.clientIsSource ? source : destination,
      server: roles.clientIsSource ? destination : source,
      rolesGuessed: roles.guessed,
      start: p.ts,
      tunnel: p.tunnel,
    };
  }

  /** Add a new flow, evicting the least recently active one when the table is full. */
  private track<F extends Flow>(table: LruFlows<F>, flow: F): void {
    if (this.tcpFlows.size + this.udpFlows.size >= this.options.maxConnections) {
      this.counters.connectionLimitHits.inc();
      const tcp = this.tcpFlows.oldest();
      const udp = this.udpFlows.oldest();
      const victim = udp === undefined || (tcp !== undefined && tcp.lastTs <= udp.lastTs) ? tcp : udp;
      if (victim !== undefined) this.close(victim, 'evicted', flow.conv.start);
    }
    table.add(flow, this.tick);
    this.out.next({ kind: 'open', conv: flow.conv, ts: flow.conv.start });
  }

  /** Close conversations whose hold after a reset is over (they are in reset order). */
  private closeResetFlows(): void {
    for (const flow of this.resetFlows) {
      if (flow.resetAt + this.options.rstHoldUs > this.now) return;
      this.close(flow, 'rst', flow.resetAt);
    }
  }

  private expireIdle<F extends Flow>(table: LruFlows<F>, timeoutUs: number): void {
    for (const flow of table.inActivityOrder()) {
      if (flow.lastTs + timeoutUs > this.now) return;
      this.close(flow, 'idle', this.now);
    }
  }

  /** A conversation held after a reset closes as reset, at the reset's time, whatever ends it. */
  private close(flow: Flow, reason: CloseReason, ts: number): void {
    if (flow instanceof TcpFlow) {
      if (flow.resetAt >= 0) {
        reason = 'rst';
        ts = flow.resetAt;
        this.resetFlows.delete(flow);
      }
      this.delivery.flush(flow, 0, ts);
      this.delivery.flush(flow, 1, ts);
      this.tcpFlows.remove(flow);
      if (reason === 'fin' || reason === 'rst') this.recentlyClosed.add(flow.key, ts);
    } else {
      this.udpFlows.remove(flow);
    }
    this.counters.closed[reason].inc();
    this.out.next({ kind: 'close', conv: flow.conv, ts, reason });
  }
}

/**
 * A SYN (without ACK) on a tracked tuple whose sender has already been heard from with a
 * different start: a new connection whose predecessor ended out of sight. A SYN retransmission
 * has the same ISN, and a SYN captured after the SYN-ACK finds its half not yet synced.
 */
function isNewConnection(flow: TcpFlow, p: Packet, seq: number): boolean {
  const half = flow.halves[flow.directionOf(p)];
  return half.synced && half.isn !== seq;
}
