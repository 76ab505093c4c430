import type { CloseReason } from '../model/stream.js';
import type { Counter, Stats } from '../pipeline/stats.js';

export interface ReassembleOptions {
  stats: Stats;
  /** Conversations tracked at once; the least recently active one is evicted beyond it. Default 262144. */
  maxConnections?: number;
  /** Out-of-order bytes buffered per TCP connection before the hole is given up as a gap. Default 4 MiB. */
  maxBufferedBytesPerConnection?: number;
  /** TCP conversations without packets for this long close with reason 'idle'. Default 300 s. */
  tcpIdleTimeoutUs?: number;
  /** UDP conversations without datagrams for this long close with reason 'idle'. Default 60 s. */
  udpIdleTimeoutUs?: number;
  /** Packet-time interval between 'tick' events (and idle scans). Default 1 s. */
  tickIntervalUs?: number;
  /**
   * How long a TCP conversation is held after a reset its receiver would accept, before it
   * closes with reason 'rst': data continuing its sequence numbers within this time resumes it
   * (the endpoints never acted on the reset). Default 3 s.
   */
  rstHoldUs?: number;
}

export type ResolvedOptions = Required<Omit<ReassembleOptions, 'stats'>>;

const SECOND_US = 1_000_000;

export function resolveOptions(options: ReassembleOptions): ResolvedOptions {
  return {
    maxConnections: options.maxConnections ?? 262_144,
    maxBufferedBytesPerConnection: options.maxBufferedBytesPerConnection ?? 4 * 1024 * 1024,
    tcpIdleTimeoutUs: options.tcpIdleTimeoutUs ?? 300 * SECOND_US,
    udpIdleTimeoutUs: options.udpIdleTimeoutUs ?? 60 * SECOND_US,
    tickIntervalUs: options.tickIntervalUs ?? SECOND_US,
    rstHoldUs: options.rstHoldUs ?? 3 * SECOND_US,
  };
}

/** How long a closed TCP tuple is remembered (Linux's TIME_WAIT length). */
export const TIME_WAIT_US = 60 * SECOND_US;

/** Every counter reassembly bumps, looked up once so the hot path only increments fields. */
export class ReassemblyCounters {
  readonly openedTcp: Counter;
  readonly openedUdp: Counter;
  readonly closed: Record<CloseReason, Counter>;
  readonly retransmittedBytes: Counter;
  readonly outOfOrderSegments: Counter;
  readonly gaps: Counter;
  readonly gapBytes: Counter;
  readonly bufferLimitHits: Counter;
  readonly connectionLimitHits: Counter;
  readonly packetsAfterClose: Counter;
  /** Resets the receiver would not act on (sequence or acknowledgment number not the expected one). */
  readonly resetsIgnored: Counter;
  /** Resets taken, after which the endpoints went on: the conversation resumed. */
  readonly resetsResumed: Counter;
  readonly truncatedDatagrams: Counter;

  constructor(stats: Stats) {
    const opened = (transport: string) =>
      stats.counter('packetd_connections_opened_total', 'Conversations opened by reassembly', { transport });
    const closed = (reason: CloseReason) =>
      stats.counter('packetd_connections_closed_total', 'Conversations closed by reassembly', { reason });
    const limitHit = (limit: string) =>
      stats.counter('packetd_reassembly_limit_hits_total', 'Times a reassembly limit was hit', { limit });
    this.openedTcp = opened('tcp');
    this.openedUdp = opened('udp');
    this.closed = { fin: closed('fin'), rst: closed('rst'), idle: closed('idle'), end: closed('end'), evicted: closed('evicted') };
    this.retransmittedBytes = stats.counter(
      'packetd_tcp_retransmitted_bytes_total',
      'TCP payload bytes seen again (retransmissions and overlaps), dropped',
    );
    this.outOfOrderSegments = stats.counter(
      'packetd_tcp_out_of_order_segments_total',
      'TCP segments that arrived ahead of a hole and were buffered',
    );
    this.gaps = stats.counter('packetd_tcp_gaps_total', 'Holes in TCP streams reported to decoders');
    this.gapBytes = stats.counter('packetd_tcp_gap_bytes_total', 'TCP stream bytes never seen (lost or cut by snaplen)');
    this.bufferLimitHits = limitHit('buffered_bytes');
    this.connectionLimitHits = limitHit('connections');
    this.packetsAfterClose = stats.counter(
      'packetd_tcp_packets_after_close_total',
      'TCP packets on a recently closed tuple, ignored',
    );
    const resetIgnored = (reason: string) =>
      stats.counter(
        'packetd_tcp_rst_ignored_total',
        'TCP resets not ending their conversation: not acceptable to the receiver (sequence), or followed by more of it (resumed)',
        { reason },
      );
    this.resetsIgnored = resetIgnored('sequence');
    this.resetsResumed = resetIgnored('resumed');
    this.truncatedDatagrams = stats.counter(
      'packetd_udp_truncated_datagrams_total',
      'UDP datagrams cut by snaplen (delivered with a gap for the missing tail)',
    );
  }
}
