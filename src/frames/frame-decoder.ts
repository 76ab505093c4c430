import { FrameInBuffer, type Packet, type RawPacket } from '../model/packet.js';
import type { Counter, Stats } from '../pipeline/stats.js';
import { u16 } from './bytes.js';
import { decodeErrorCounters, FRAGMENT_INCONSISTENT, OK, TUNNEL_TOO_DEEP } from './decode-errors.js';
import { newIpHeader, PROTO_GRE, PROTO_IPIP, PROTO_IPV6, PROTO_TCP, PROTO_UDP, type IpHeader } from './ip-header.js';
import { IpFragmentReassembler, type Fragment } from './ip-fragments.js';
import { parseIPv4 } from './ipv4.js';
import { parseIPv6, walkExtensionHeaders } from './ipv6.js';
import {
  LINK_ETHERNET,
  LINK_IPV4,
  LINK_IPV6,
  LINK_MPLS,
  LINK_NON_IP,
  LINK_PPPOE,
  LINK_UNSUPPORTED,
  LINKTYPE_ETHERNET,
  locateNetwork,
  type LinkResult,
} from './link.js';
import { decodeTcp, decodeUdp } from './transport.js';
import { TunnelRecord } from './tunnel-record.js';
import {
  GENEVE_PORT,
  NOT_A_TUNNEL,
  parseGeneve,
  parseGre,
  parseMpls,
  parsePppoe,
  parseVxlan,
  TUNNEL_IPIP,
  VXLAN_PORT,
  type TunnelHeader,
} from './tunnels.js';

export interface FrameDecoderOptions {
  /** IP datagrams reassembled at once (default 1024); the oldest is evicted beyond that. */
  maxFragmentedDatagrams?: number;
  /** Packet time an unfinished datagram waits for its fragments (default 30 s). */
  fragmentTimeoutUs?: number;
  /** Tunnels unwrapped one inside another (default 4); a frame nested deeper is a decode error (`tunnel`, `too_deep`). */
  maxTunnelDepth?: number;
}

const DEFAULT_MAX_FRAGMENTED_DATAGRAMS = 1024;
const DEFAULT_FRAGMENT_TIMEOUT_US = 30_000_000;
const DEFAULT_MAX_TUNNEL_DEPTH = 4;
const UDP_HEADER = 8;

const EMPTY = Buffer.alloc(0);

const IPV6_FRAGMENT = 44;
/** IPv6 headers that may open a fragment's data before the transport header. */
const IPV6_CHAIN_AFTER_FRAGMENT = new Set([0, 43, 51, 60, 135, 139, 140]);

/**
 * Decodes captured frames down to TCP/UDP: link layer (Ethernet with VLAN tags, Linux
 * cooked v1/v2, BSD loopback, raw IP, PPP, Cisco HDLC), IPv4/IPv6 with extension headers and
 * fragment reassembly, and tunnels, unwrapped so that the inner packet comes out as if captured
 * directly (VXLAN, Geneve, GRE, ERSPAN, IP in IP, MPLS, PPPoE; nested up to `maxTunnelDepth`),
 * with the outermost tunnel's facts in `packet.tunnel` (tunnel-record.ts). Frames it cannot or
 * need not decode are counted by reason and yield undefined.
 * Holds per-stream state (fragments), so each subscription gets its own decoder.
 */
export class FrameDecoder {
  /** Scratch state reused for every frame: decoding allocates only what a Packet keeps. */
  private readonly location: TunnelHeader = { offset: 0, type: 0, id: -1 };
  private readonly tunnels: TunnelRecord;
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
    this.tunnels = new TunnelRecord(stats, Math.max(0, options.maxTunnelDepth ?? DEFAULT_MAX_TUNNEL_DEPTH));
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
    // Some captures record a wire length shorter than what they captured: trust the bytes.
    const wireEnd = start + (raw.origLen > capEnd - start ? raw.origLen : capEnd - start);
    this.tunnels.depth = 0;
    return this.decodeLayers(raw, locateNetwork(raw.linkType, data, start, capEnd, this.location), data, capEnd, wireEnd);
  }

  /**
   * Decodes from the layer `kind` at `location.offset` down to the transport (unwrapping
   * link-level tunnels on the way); the layer's bytes end at `wireEnd`, captured up to `capEnd`.
   */
  private decodeLayers(raw: RawPacket, kind: LinkResult, data: Buffer, capEnd: number, wireEnd: number): Packet | undefined {
    const at = this.location;
    for (;;) {
      switch (kind) {
        case LINK_IPV4:
        case LINK_IPV6:
          return this.decodeIp(raw, kind, data, capEnd, wireEnd);
        case LINK_ETHERNET:
          kind = locateNetwork(LINKTYPE_ETHERNET, data, at.offset, capEnd, at);
          break;
        case LINK_MPLS:
          kind = this.enter(parseMpls(data, at.offset, capEnd, at), undefined, undefined);
          break;
        case LINK_PPPOE:
          kind = this.enter(parsePppoe(data, at.offset, capEnd, at), undefined, undefined);
          break;
        case LINK_NON_IP:
          this.nonIp.value++;
          return undefined;
        case LINK_UNSUPPORTED:
          this.unsupportedLink.value++;
          return undefined;
        default:
          return this.fail(-kind);
      }
    }
  }

  private decodeIp(raw: RawPacket, kind: LinkResult, data: Buffer, capEnd: number, wireEnd: number): Packet | undefined {
    const ip = this.ip;
    const at = this.location.offset;
    const status = kind === LINK_IPV4 ? parseIPv4(data, at, capEnd, wireEnd, ip) : parseIPv6(data, at, capEnd, wireEnd, ip);
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
    let packet: Packet | number;
    if (protocol === PROTO_TCP) {
      packet = decodeTcp(raw, this.ip, data, offset, end, capEnd);
    } else if (protocol === PROTO_UDP) {
      // UDP tunnels are told by their destination port: one read per datagram for plain traffic.
      const port = offset + UDP_HEADER <= capEnd ? u16(data, offset + 2) : 0;
      if (port === VXLAN_PORT || port === GENEVE_PORT) {
        const udpLength = u16(data, offset + 4);
        const innerEnd = udpLength === 0 ? end : offset + udpLength;
        if (innerEnd <= end && innerEnd >= offset + UDP_HEADER) {
          const innerCapEnd = capEnd < innerEnd ? capEnd : innerEnd;
          const kind =
            port === VXLAN_PORT
              ? parseVxlan(data, offset + UDP_HEADER, innerCapEnd, this.location)
              : parseGeneve(data, offset + UDP_HEADER, innerCapEnd, this.location);
          if (kind !== NOT_A_TUNNEL) return this.decodeLayers(raw, this.enter(kind, this.ip.src, this.ip.dst), data, innerCapEnd, innerEnd);
        }
      }
      packet = decodeUdp(raw, this.ip, data, offset, end, capEnd);
    } else {
      return this.decapsulateIp(raw, protocol, data, offset, end, capEnd);
    }
    if (typeof packet === 'number') return this.fail(packet);
    this.decoded.value++;
    if (this.tunnels.depth !== 0) packet.tunnel = this.tunnels.attributes();
    return packet;
  }

  /** An IP payload that is neither TCP nor UDP: GRE and IP in IP are unwrapped, the rest counted. */
  private decapsulateIp(raw: RawPacket, protocol: number, data: Buffer, offset: number, end: number, capEnd: number): Packet | undefined {
    const at = this.location;
    const innerCapEnd = capEnd < end ? capEnd : end;
    let kind: LinkResult;
    if (protocol === PROTO_GRE) {
      kind = parseGre(data, offset, innerCapEnd, at);
    } else if (protocol === PROTO_IPIP || protocol === PROTO_IPV6) {
      at.type = TUNNEL_IPIP;
      at.id = -1;
      at.offset = offset;
      kind = protocol === PROTO_IPIP ? LINK_IPV4 : LINK_IPV6;
    } else {
      this.otherTransport.value++;
      return undefined;
    }
    return this.decodeLayers(raw, this.enter(kind, this.ip.src, this.ip.dst), data, innerCapEnd, end);
  }

  /**
   * Records the tunnel header just parsed into `location` (its result is `kind`), given the outer
   * IP addresses if it has any; a parse error passes through, a tunnel too deep becomes one.
   */
  private enter(kind: LinkResult, source: string | undefined, destination: string | undefined): LinkResult {
    if (kind < 0) return kind;
    const at = this.location;
    return this.tunnels.enter(at.type, at.id, source, destination) ? kind : -TUNNEL_TOO_DEEP;
  }

  private addFragment(raw: RawPacket, data: Buffer, capEnd: number): Packet | undefined {
    const ip = this.ip;
    const protocol = ip.protocol;
    if (ip.version === 6 && protocol === IPV6_FRAGMENT) return this.fail(FRAGMENT_INCONSISTENT);
    const reassemblable =
      protocol === PROTO_TCP ||
      protocol === PROTO_UDP ||
      protocol === PROTO_GRE ||
      protocol === PROTO_IPIP ||
      protocol === PROTO_IPV6 ||
      (ip.version === 6 && IPV6_CHAIN_AFTER_FRAGMENT.has(protocol));
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
