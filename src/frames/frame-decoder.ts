import { FrameInBuffer, type Packet, type RawPacket } from '../model/packet.js';
import type { Counter, Stats } from '../pipeline/stats.js';
import { decodeErrorCounters, FRAGMENT_INCONSISTENT, LINK_HEADER_TRUNCATED, OK, VLAN_TOO_MANY_TAGS } from './decode-errors.js';
import { newIpHeader, PROTO_TCP, PROTO_UDP, type IpHeader } from './ip-header.js';
import { IpFragmentReassembler, type Fragment } from './ip-fragments.js';
import { parseIPv4 } from './ipv4.js';
import { parseIPv6, walkExtensionHeaders } from './ipv6.js';
import {
  LINK_IPV4,
  LINK_IPV6,
  LINK_NON_IP,
  LINK_TOO_MANY_TAGS,
  LINK_UNSUPPORTED,
  locateNetwork,
  type NetworkLocation,
} from './link.js';
import { decodeTcp, decodeUdp } from './transport.js';

export interface FrameDecoderOptions {
  /** IP datagrams reassembled at once (default 1024); the oldest is evicted beyond that. */
  maxFragmentedDatagrams?: number;
  /** Packet time an unfinished datagram waits for its fragments (default 30 s). */
  fragmentTimeoutUs?: number;
}

const DEFAULT_MAX_FRAGMENTED_DATAGRAMS = 1024;
const DEFAULT_FRAGMENT_TIMEOUT_US = 30_000_000;

const EMPTY = Buffer.alloc(0);

const IPV6_FRAGMENT = 44;
/** IPv6 headers that may open a fragment's data before the transport header. */
const IPV6_CHAIN_AFTER_FRAGMENT = new Set([0, 43, 51, 60, 135, 139, 140]);

/**
 * Decodes captured frames down to TCP/UDP: link layer (Ethernet with VLAN tags, Linux
 * cooked v1/v2, BSD loopback, raw IP), IPv4/IPv6 with extension headers and fragment
 * reassembly. Frames it cannot or need not decode are counted by reason and yield undefined.
 * Holds per-stream state (fragments), so each subscription gets its own decoder.
 */
export class FrameDecoder {
  /** Scratch state reused for every frame: decoding allocates only what a Packet keeps. */
  private readonly location: NetworkLocation = { offset: 0 };
  private readonly ip: IpHeader = newIpHeader();
  private readonly fragment: Fragment = { ts: 0, offset: 0, moreFragments: false, protocol: 0, data: EMPTY, claimedLength: 0 };
  private readonly fragments: IpFragmentReassembler;
  private readonly decodeErrors: Counter[];
  private readonly decoded: Counter;
  private readonly unsupportedLink: Counter;
  private readonly nonIp: Counter;
  private readonly otherTransport: Counter;
  private readonly fragmentPending: Counter;
  private readonly malformed: Counter;
  private readonly lengthClamped: Counter;

  constructor(stats: Stats, options: FrameDecoderOptions = {}) {
    this.fragments = new IpFragmentReassembler(stats, {
      maxDatagrams: Math.max(1, options.maxFragmentedDatagrams ?? DEFAULT_MAX_FRAGMENTED_DATAGRAMS),
      timeoutUs: options.fragmentTimeoutUs ?? DEFAULT_FRAGMENT_TIMEOUT_US,
    });
    this.decodeErrors = decodeErrorCounters(stats);
    const frames = (result: string): Counter => stats.counter('packetd_frames_total', 'Captured frames by decoding outcome', { result });
    this.decoded = frames('ok');
    this.unsupportedLink = frames('unsupported_link');
    this.nonIp = frames('non_ip');
    this.otherTransport = frames('other_transport');
    this.fragmentPending = frames('fragment_pending');
    this.malformed = frames('malformed');
    this.lengthClamped = stats.counter(
      'packetd_ip_length_clamped_total',
      'IP packets whose length field claims more than the frame held, decoded with the frame length',
    );
  }

  decode(raw: RawPacket): Packet | undefined {
    this.fragments.expire(raw.ts);
    // packetd's sources hand over ranges of their buffers: decode there, without a view per frame.
    let data: Buffer;
    let start = 0;
    let capEnd: number;
    if (raw instanceof FrameInBuffer) {
      data = raw.buffer;
      start = raw.start;
      capEnd = raw.end;
    } else {
      data = raw.data;
      capEnd = data.length;
    }
    const link = locateNetwork(raw.linkType, data, start, capEnd, this.location);
    if (link !== LINK_IPV4 && link !== LINK_IPV6) {
      if (link === LINK_NON_IP) this.nonIp.value++;
      else if (link === LINK_UNSUPPORTED) this.unsupportedLink.value++;
      else return this.fail(link === LINK_TOO_MANY_TAGS ? VLAN_TOO_MANY_TAGS : LINK_HEADER_TRUNCATED);
      return undefined;
    }

    // Some captures record a wire length shorter than what they captured: trust the bytes.
    const wireEnd = start + (raw.origLen > capEnd - start ? raw.origLen : capEnd - start);
    const ip = this.ip;
    const at = this.location.offset;
    const status = link === LINK_IPV4 ? parseIPv4(data, at, capEnd, wireEnd, ip) : parseIPv6(data, at, capEnd, wireEnd, ip);
    if (status !== OK) return this.fail(status);
    if (ip.lengthClamped) this.lengthClamped.value++;
    if (ip.isFragment) return this.addFragment(raw, data, capEnd);
    return this.decodeTransport(raw, data, ip.transportOffset, ip.claimedEnd, capEnd);
  }

  /** Counts the fragmented datagrams left unfinished; call when the input ends. */
  finish(): void {
    this.fragments.finish();
  }

  private decodeTransport(raw: RawPacket, data: Buffer, offset: number, end: number, capEnd: number): Packet | undefined {
    const protocol = this.ip.protocol;
    if (protocol !== PROTO_TCP && protocol !== PROTO_UDP) {
      this.otherTransport.value++;
      return undefined;
    }
    const packet =
      protocol === PROTO_TCP ? decodeTcp(raw, this.ip, data, offset, end, capEnd) : decodeUdp(raw, this.ip, data, offset, end, capEnd);
    if (typeof packet === 'number') return this.fail(packet);
    this.decoded.value++;
    return packet;
  }

  private addFragment(raw: RawPacket, data: Buffer, capEnd: number): Packet | undefined {
    const ip = this.ip;
    const protocol = ip.protocol;
    if (ip.version === 6 && protocol === IPV6_FRAGMENT) return this.fail(FRAGMENT_INCONSISTENT);
    const reassemblable = protocol === PROTO_TCP || protocol === PROTO_UDP || (ip.version === 6 && IPV6_CHAIN_AFTER_FRAGMENT.has(protocol));
    if (!reassemblable) {
      this.otherTransport.value++;
      return undefined;
    }
    const fragment = this.fragment;
    fragment.ts = raw.ts;
    fragment.offset = ip.fragmentOffset;
    fragment.moreFragments = ip.moreFragments;
    fragment.protocol = protocol;
    fragment.data = data.subarray(ip.transportOffset, Math.min(ip.claimedEnd, capEnd));
    fragment.claimedLength = ip.claimedEnd - ip.transportOffset;
    // RFC 8200 lets IPv6 fragments disagree on the next header: only IPv4 keys on it.
    const key = ip.version === 4 ? `4 ${ip.src} ${ip.dst} ${ip.fragmentId} ${protocol}` : `6 ${ip.src} ${ip.dst} ${ip.fragmentId}`;
    const result = this.fragments.add(key, fragment);
    fragment.data = EMPTY;
    if (typeof result === 'number') {
      if (result !== OK) return this.fail(result);
      this.fragmentPending.value++;
      return undefined;
    }

    const payload = result.payload;
    ip.isFragment = false;
    ip.claimedEnd = payload.length;
    if (ip.version === 6) {
      const status = walkExtensionHeaders(payload, 0, payload.length, result.protocol, ip, false);
      if (status !== OK) return this.fail(status);
    } else {
      ip.protocol = result.protocol;
      ip.transportOffset = 0;
    }
    return this.decodeTransport(raw, payload, ip.transportOffset, payload.length, payload.length);
  }

  private fail(code: number): undefined {
    this.decodeErrors[code - 1]!.value++;
    this.malformed.value++;
    return undefined;
  }
}
