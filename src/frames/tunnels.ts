import { u16, u32 } from './bytes.js';
import {
  ERSPAN_BAD_VERSION,
  ERSPAN_TRUNCATED,
  GENEVE_TRUNCATED,
  GRE_TRUNCATED,
  GRE_UNSUPPORTED,
  MPLS_TOO_MANY_LABELS,
  MPLS_TRUNCATED,
  PPPOE_TRUNCATED,
  VXLAN_TRUNCATED,
} from './decode-errors.js';
import { afterPpp, byEthertype, byVersionNibble, LINK_ETHERNET, LINK_NON_IP, type LinkResult, type NetworkLocation } from './link.js';

/**
 * Tunnel headers: each parser reads one encapsulation header at `offset` (captured bytes end at
 * `capEnd`) and answers like a link layer does (link.ts): what starts at `header.offset` next,
 * or a negated decode error code. It also names the tunnel and its identifier in `header`.
 */

export const TUNNEL_VXLAN = 0;
export const TUNNEL_GENEVE = 1;
export const TUNNEL_GRE = 2;
export const TUNNEL_ERSPAN = 3;
export const TUNNEL_IPIP = 4;
export const TUNNEL_MPLS = 5;
export const TUNNEL_PPPOE = 6;
/** `network.tunnel.type` of each TUNNEL_* code, at its index. */
export const TUNNEL_TYPE_NAMES = ['vxlan', 'geneve', 'gre', 'erspan', 'ipip', 'mpls', 'pppoe'] as const;

export interface TunnelHeader extends NetworkLocation {
  /** TUNNEL_* code. */
  type: number;
  /** VNI, GRE key, ERSPAN session, bottom MPLS label, PPTP call or PPPoE session; -1 when the header has none. */
  id: number;
}

/** IANA ports: a UDP datagram to one of them is unwrapped when its header fits. */
export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;
/** The datagram sent to a tunnel port does not hold that tunnel's header: it is plain UDP. */
export const NOT_A_TUNNEL = 100;

const VXLAN_HEADER = 8;
const VXLAN_VNI_VALID = 0x08;
const GENEVE_HEADER = 8;
const ETHERTYPE_TRANSPARENT_BRIDGING = 0x6558;

export function parseVxlan(data: Buffer, offset: number, capEnd: number, header: TunnelHeader): LinkResult {
  if (capEnd - offset < VXLAN_HEADER) return -VXLAN_TRUNCATED;
  // RFC 7348: the I flag says the VNI is valid; without it this is some other use of the port.
  if ((data[offset]! & VXLAN_VNI_VALID) === 0) return NOT_A_TUNNEL;
  header.type = TUNNEL_VXLAN;
  header.id = u32(data, offset + 4) >>> 8;
  header.offset = offset + VXLAN_HEADER;
  return LINK_ETHERNET;
}

/** RFC 8926: version 0 only; options are skipped (their length is in 4-byte words). */
export function parseGeneve(data: Buffer, offset: number, capEnd: number, header: TunnelHeader): LinkResult {
  if (capEnd - offset < GENEVE_HEADER) return -GENEVE_TRUNCATED;
  const first = data[offset]!;
  if (first >> 6 !== 0) return NOT_A_TUNNEL;
  const length = GENEVE_HEADER + (first & 0x3f) * 4;
  if (capEnd - offset < length) return -GENEVE_TRUNCATED;
  header.type = TUNNEL_GENEVE;
  header.id = u32(data, offset + 4) >>> 8;
  header.offset = offset + length;
  const protocol = u16(data, offset + 2);
  return protocol === ETHERTYPE_TRANSPARENT_BRIDGING ? LINK_ETHERNET : byEthertype(protocol);
}

const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
const GRE_ACKNOWLEDGMENT = 0x0080;
const GRE_VERSION = 0x0007;
const GRE_PPP = 0x880b;
const GRE_ERSPAN_II = 0x88be;
const GRE_ERSPAN_III = 0x22eb;

/**
 * GRE (RFC 2784 with RFC 2890's key and sequence number) and PPTP's enhanced GRE (RFC 2637,
 * version 1, whose key field holds a payload length and the call id). The obsolete RFC 1701
 * source routes are not supported (counted). ERSPAN rides on GRE and is reported as its own
 * tunnel type.
 */
export function parseGre(data: Buffer, offset: number, capEnd: number, header: TunnelHeader): LinkResult {
  if (capEnd - offset < 4) return -GRE_TRUNCATED;
  const flags = u16(data, offset);
  const protocol = u16(data, offset + 2);
  let cursor = offset + 4;
  header.type = TUNNEL_GRE;
  header.id = -1;
  const version = flags & GRE_VERSION;
  if (version === 0) {
    if ((flags & GRE_ROUTING) !== 0) return -GRE_UNSUPPORTED;
    if ((flags & GRE_CHECKSUM) !== 0) cursor += 4;
    if ((flags & GRE_KEY) !== 0) {
      if (capEnd < cursor + 4) return -GRE_TRUNCATED;
      header.id = u32(data, cursor);
      cursor += 4;
    }
    if ((flags & GRE_SEQUENCE) !== 0) cursor += 4;
  } else if (version === 1 && protocol === GRE_PPP && (flags & GRE_KEY) !== 0) {
    if (capEnd < cursor + 4) return -GRE_TRUNCATED;
    header.id = u16(data, cursor + 2);
    cursor += 4;
    if ((flags & GRE_SEQUENCE) !== 0) cursor += 4;
    if ((flags & GRE_ACKNOWLEDGMENT) !== 0) cursor += 4;
  } else {
    return -GRE_UNSUPPORTED;
  }
  if (cursor > capEnd) return -GRE_TRUNCATED;
  header.offset = cursor;
  switch (protocol) {
    case ETHERTYPE_TRANSPARENT_BRIDGING:
      return LINK_ETHERNET;
    case GRE_PPP:
      return afterPpp(data, cursor, capEnd, header);
    case GRE_ERSPAN_II:
      // Type I is type II's protocol number without a sequence number and without a header.
      if ((flags & GRE_SEQUENCE) === 0) {
        header.type = TUNNEL_ERSPAN;
        return LINK_ETHERNET;
      }
      return parseErspanII(data, cursor, capEnd, header);
    case GRE_ERSPAN_III:
      return parseErspanIII(data, cursor, capEnd, header);
    default:
      return byEthertype(protocol);
  }
}

const ERSPAN_II_HEADER = 8;
const ERSPAN_III_HEADER = 12;
const ERSPAN_III_PLATFORM_SUBHEADER = 8;
const ERSPAN_FRAME_ETHERNET = 0;
const ERSPAN_FRAME_IP = 2;

function parseErspanII(data: Buffer, offset: number, capEnd: number, header: TunnelHeader): LinkResult {
  if (capEnd - offset < ERSPAN_II_HEADER) return -ERSPAN_TRUNCATED;
  if (data[offset]! >> 4 !== 1) return -ERSPAN_BAD_VERSION;
  header.type = TUNNEL_ERSPAN;
  header.id = u16(data, offset + 2) & 0x3ff;
  header.offset = offset + ERSPAN_II_HEADER;
  return LINK_ETHERNET;
}

/** Type III may carry an 8-byte platform subheader (O flag) and may mirror IP packets without their Ethernet header. */
function parseErspanIII(data: Buffer, offset: number, capEnd: number, header: TunnelHeader): LinkResult {
  if (capEnd - offset < ERSPAN_III_HEADER) return -ERSPAN_TRUNCATED;
  if (data[offset]! >> 4 !== 2) return -ERSPAN_BAD_VERSION;
  const word = u16(data, offset + 10);
  const length = ERSPAN_III_HEADER + ((word & 1) !== 0 ? ERSPAN_III_PLATFORM_SUBHEADER : 0);
  if (capEnd - offset < length) return -ERSPAN_TRUNCATED;
  header.type = TUNNEL_ERSPAN;
  header.id = u16(data, offset + 2) & 0x3ff;
  header.offset = offset + length;
  const frameType = (word >> 10) & 0x1f;
  if (frameType === ERSPAN_FRAME_ETHERNET) return LINK_ETHERNET;
  if (frameType !== ERSPAN_FRAME_IP) return LINK_NON_IP;
  if (capEnd <= header.offset) return -ERSPAN_TRUNCATED;
  return byVersionNibble(data[header.offset]!);
}

const MPLS_ENTRY = 4;
/** Real stacks hold a few labels (transport, VPN, entropy); a longer one is garbage. */
const MAX_MPLS_LABELS = 16;

/**
 * An MPLS label stack (RFC 3032) down to its bottom entry; the payload's first nibble tells IPv4
 * from IPv6 (as routers do). Anything else (a pseudowire control word) is not IP.
 */
export function parseMpls(data: Buffer, offset: number, capEnd: number, header: TunnelHeader): LinkResult {
  let cursor = offset;
  for (let labels = 0; ; labels++) {
    if (labels === MAX_MPLS_LABELS) return -MPLS_TOO_MANY_LABELS;
    if (capEnd - cursor < MPLS_ENTRY) return -MPLS_TRUNCATED;
    const bottom = (data[cursor + 2]! & 1) !== 0;
    cursor += MPLS_ENTRY;
    if (bottom) break;
  }
  if (cursor >= capEnd) return -MPLS_TRUNCATED;
  header.type = TUNNEL_MPLS;
  header.id = u32(data, cursor - MPLS_ENTRY) >>> 12;
  header.offset = cursor;
  return byVersionNibble(data[cursor]!);
}

const PPPOE_HEADER = 6;
const PPPOE_VERSION_TYPE = 0x11;
const PPPOE_SESSION_DATA = 0x00;

/** A PPPoE session header (RFC 2516), then the PPP protocol number. */
export function parsePppoe(data: Buffer, offset: number, capEnd: number, header: TunnelHeader): LinkResult {
  if (capEnd - offset < PPPOE_HEADER + 2) return -PPPOE_TRUNCATED;
  if (data[offset] !== PPPOE_VERSION_TYPE || data[offset + 1] !== PPPOE_SESSION_DATA) return LINK_NON_IP;
  header.type = TUNNEL_PPPOE;
  header.id = u16(data, offset + 2);
  return afterPpp(data, offset + PPPOE_HEADER, capEnd, header);
}
