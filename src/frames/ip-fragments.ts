import type { Counter, Stats } from '../pipeline/stats.js';
import { FRAGMENT_BAD_LENGTH, FRAGMENT_INCONSISTENT, FRAGMENT_TOO_LARGE, FRAGMENT_TRUNCATED, OK } from './decode-errors.js';

/** Largest IP payload a fragmented datagram can carry (jumbograms are never fragmented). */
const MAX_DATAGRAM_PAYLOAD = 65_535;
const INITIAL_CAPACITY = 4096;

export interface IpFragmentOptions {
  /** Datagrams reassembled at once; the oldest is evicted to make room. */
  maxDatagrams: number;
  /** Packet time after a datagram's first fragment when an unfinished datagram is dropped. */
  timeoutUs: number;
}

/** One fragment, as the IP layer read it. */
export interface Fragment {
  ts: number;
  /** Byte offset of the fragment data within the datagram's payload. */
  offset: number;
  moreFragments: boolean;
  /** Protocol following the IP (fragment) header; the offset-zero fragment's value counts. */
  protocol: number;
  /** Fragment data as captured. */
  data: Buffer;
  /** Fragment data length the IP header claims. */
  claimedLength: number;
}

export interface ReassembledDatagram {
  /** The whole IP payload, in a buffer of its own. */
  payload: Buffer;
  protocol: number;
}

interface PendingDatagram {
  firstTs: number;
  buffer: Buffer;
  /** Byte ranges not received yet, as [start, end) pairs. */
  holes: number[];
  /** Payload length, known once the last fragment arrived; -1 before. */
  totalLength: number;
  /** Highest byte end received so far. */
  receivedEnd: number;
  protocol: number;
}

/**
 * Reassembles IPv4 and IPv6 datagrams from their fragments, keyed by the caller (source,
 * destination, identification and, for IPv4, protocol). Holes are tracked per datagram;
 * bytes of a fragment that overlap bytes already received are dropped (first copy wins), so
 * a later fragment can never rewrite a header that was already read. Memory is bounded by
 * the number of datagrams and the 64 KiB datagram limit; timeouts use packet time.
 */
export class IpFragmentReassembler {
  private readonly pending = new Map<string, PendingDatagram>();
  /** Packet time at which the oldest pending datagram times out. */
  private nextExpiry = Infinity;
  private readonly completed: Counter;
  private readonly timedOut: Counter;
  private readonly evicted: Counter;
  private readonly overlapping: Counter;
  private readonly unfinished: Counter;

  constructor(
    stats: Stats,
    private readonly options: IpFragmentOptions,
  ) {
    const name = 'packetd_ip_reassembly_total';
    const help = 'IP fragment reassembly outcomes';
    this.completed = stats.counter(name, help, { result: 'completed' });
    this.timedOut = stats.counter(name, help, { result: 'timed_out' });
    this.evicted = stats.counter(name, help, { result: 'evicted' });
    this.overlapping = stats.counter(name, help, { result: 'overlapping_fragment' });
    this.unfinished = stats.counter(name, help, { result: 'unfinished_at_end' });
    stats.gauge('packetd_ip_reassembly_pending', 'IP datagrams waiting for fragments', () => this.pending.size);
  }

  /** Drops datagrams whose time is up; cheap to call per packet. */
  expire(ts: number): void {
    if (ts < this.nextExpiry) return;
    for (const [key, datagram] of this.pending) {
      if (datagram.firstTs + this.options.timeoutUs > ts) break;
      this.pending.delete(key);
      this.timedOut.value++;
    }
    this.updateNextExpiry();
  }

  /**
   * Adds a fragment. Returns the datagram when this fragment completed it, OK while it waits
   * for more, or a decode error code for a malformed fragment.
   */
  add(key: string, fragment: Fragment): ReassembledDatagram | number {
    const start = fragment.offset;
    const end = start + fragment.claimedLength;
    if (fragment.data.length < fragment.claimedLength) return FRAGMENT_TRUNCATED;
    // Every fragment but the last carries a non-empty multiple of 8 bytes.
    if (fragment.moreFragments && (fragment.claimedLength === 0 || fragment.claimedLength % 8 !== 0)) return FRAGMENT_BAD_LENGTH;
    if (end > MAX_DATAGRAM_PAYLOAD) return FRAGMENT_TOO_LARGE;

    this.expire(fragment.ts);
    let datagram = this.pending.get(key);
    if (datagram === undefined) {
      datagram = this.track(key, fragment.ts);
    } else if (
      datagram.totalLength >= 0 &&
      (end > datagram.totalLength || (!fragment.moreFragments && end !== datagram.totalLength))
    ) {
      this.drop(key);
      return FRAGMENT_INCONSISTENT;
    }
    if (!fragment.moreFragments) {
      if (datagram.receivedEnd > end) {
        this.drop(key);
        return FRAGMENT_INCONSISTENT;
      }
      datagram.totalLength = end;
    }
    if (start === 0) datagram.protocol = fragment.protocol;
    this.fill(datagram, fragment.data, start, end);

    if (datagram.totalLength < 0 || datagram.holes.length !== 0) return OK;
    this.drop(key);
    this.completed.value++;
    return { payload: datagram.buffer.subarray(0, datagram.totalLength), protocol: datagram.protocol };
  }

  /** Counts the datagrams still waiting when the input ends. */
  finish(): void {
    this.unfinished.value += this.pending.size;
    this.pending.clear();
    this.nextExpiry = Infinity;
  }

  private track(key: string, ts: number): PendingDatagram {
    if (this.pending.size >= this.options.maxDatagrams) {
      const oldest = this.pending.keys().next().value as string;
      this.drop(oldest);
      this.evicted.value++;
    }
    const datagram: PendingDatagram = {
      firstTs: ts,
      buffer: Buffer.allocUnsafe(INITIAL_CAPACITY),
      holes: [0, MAX_DATAGRAM_PAYLOAD],
      totalLength: -1,
      receivedEnd: 0,
      protocol: -1,
    };
    this.pending.set(key, datagram);
    if (this.pending.size === 1) this.updateNextExpiry();
    return datagram;
  }

  private drop(key: string): void {
    this.pending.delete(key);
    this.updateNextExpiry();
  }

  private updateNextExpiry(): void {
    const oldest = this.pending.values().next();
    this.nextExpiry = oldest.done === true ? Infinity : oldest.value.firstTs + this.options.timeoutUs;
  }

  /** Copies the parts of [start, end) that fall into holes, and shrinks the holes. */
  private fill(datagram: PendingDatagram, data: Buffer, start: number, end: number): void {
    if (end > datagram.buffer.length) datagram.buffer = grown(datagram.buffer, end);
    const holeLimit = datagram.totalLength >= 0 ? datagram.totalLength : MAX_DATAGRAM_PAYLOAD;
    const holes: number[] = [];
    let copied = 0;
    for (let i = 0; i < datagram.holes.length; i += 2) {
      const holeStart = datagram.holes[i]!;
      const holeEnd = Math.min(datagram.holes[i + 1]!, holeLimit);
      if (holeStart >= holeEnd) continue;
      if (end <= holeStart || start >= holeEnd) {
        holes.push(holeStart, holeEnd);
        continue;
      }
      if (holeStart < start) holes.push(holeStart, start);
      if (end < holeEnd) holes.push(end, holeEnd);
      const from = Math.max(holeStart, start);
      const to = Math.min(holeEnd, end);
      data.copy(datagram.buffer, from, from - start, to - start);
      copied += to - from;
    }
    if (copied < end - start) this.overlapping.value++;
    datagram.holes = holes;
    if (end > datagram.receivedEnd) datagram.receivedEnd = end;
  }
}

function grown(buffer: Buffer, needed: number): Buffer {
  const larger = Buffer.allocUnsafe(Math.min(MAX_DATAGRAM_PAYLOAD, Math.max(needed, buffer.length * 2)));
  buffer.copy(larger);
  return larger;
}
