import { u16, u32, u32le } from './bytes.js';
import { LINK_HEADER_TRUNCATED, VLAN_TOO_MANY_TAGS } from './decode-errors.js';

/**
 * Link layers: where in a frame the network header starts, and what it is (IPv4, IPv6, or an
 * MPLS label stack or PPPoE session header that the decoder unwraps). Results are small
 * integers (no objects per packet); the header offset goes into a caller-owned `NetworkLocation`.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_RAW_OPENBSD = 12;
export const LINKTYPE_RAW_BSDI = 14;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/**
 * What a link header carries (zero or positive), or why it could not be read: a decode error
 * code (decode-errors.ts), negated. Tunnel headers (tunnels.ts) answer in the same terms.
 */
export const LINK_NON_IP = 0;
export const LINK_UNSUPPORTED = 1;
export const LINK_IPV4 = 4;
export const LINK_IPV6 = 6;
/** An MPLS label stack starts at the offset. */
export const LINK_MPLS = 8;
/** A PPPoE session header starts at the offset. */
export const LINK_PPPOE = 9;
/** An Ethernet frame starts at the offset (inside a tunnel). */
export const LINK_ETHERNET = 10;
export const LINK_TRUNCATED = -LINK_HEADER_TRUNCATED;
export const LINK_TOO_MANY_TAGS = -VLAN_TOO_MANY_TAGS;
/** A layer result: one of the LINK_* kinds above, or a negated decode error code. */
export type LinkResult = number;

export interface NetworkLocation {
  /** Offset of the header the result names, in the frame (or reassembled datagram). */
  offset: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_LEGACY = 0x9100;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const PPP_MPLS = 0x0281;
const PPP_MPLS_MULTICAST = 0x0283;
const PPP_ADDRESS_CONTROL = 0xff03;
const C_HDLC_HEADER = 4;
const C_HDLC_UNICAST = 0x0f;
const C_HDLC_BROADCAST = 0x8f;
/** Deeper stacks than this are not seen on real networks; a frame claiming one is malformed. */
const MAX_VLAN_TAGS = 8;

const ETHERNET_HEADER = 14;
const SLL_HEADER = 16;
const SLL_PROTOCOL = 14;
const SLL2_HEADER = 20;
const NULL_HEADER = 4;

const AF_INET = 2;
/** AF_INET6 differs per OS: Linux, NetBSD/OpenBSD, FreeBSD, macOS. */
const AF_INET6_LINUX = 10;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/** Finds the network header of the frame in data[start, capEnd); `at.offset` is absolute in `data`. */
export function locateNetwork(linkType: number, data: Buffer, start: number, capEnd: number, at: NetworkLocation): LinkResult {
  const length = capEnd - start;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (length < ETHERNET_HEADER) return LINK_TRUNCATED;
      return afterEthertype(data, start + ETHERNET_HEADER - 2, capEnd, at);
    case LINKTYPE_LINUX_SLL:
      if (length < SLL_HEADER) return LINK_TRUNCATED;
      return afterEthertype(data, start + SLL_PROTOCOL, capEnd, at);
    case LINKTYPE_LINUX_SLL2:
      if (length < SLL2_HEADER) return LINK_TRUNCATED;
      at.offset = start + SLL2_HEADER;
      return byEthertype(u16(data, start));
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return afterAddressFamily(data, start, capEnd, at);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_OPENBSD:
    case LINKTYPE_RAW_BSDI:
      if (length < 1) return LINK_TRUNCATED;
      at.offset = start;
      return byVersionNibble(data[start]!);
    case LINKTYPE_IPV4:
      at.offset = start;
      return LINK_IPV4;
    case LINKTYPE_IPV6:
      at.offset = start;
      return LINK_IPV6;
    case LINKTYPE_C_HDLC:
      return afterCiscoHdlc(data, start, capEnd, at);
    case LINKTYPE_PPP_HDLC:
      if (length < 1) return LINK_TRUNCATED;
      // RFC 1547 Cisco framing shares this link type: its address byte is never PPP's 0xff.
      if (data[start] === C_HDLC_UNICAST || data[start] === C_HDLC_BROADCAST) return afterCiscoHdlc(data, start, capEnd, at);
      return afterPpp(data, start, capEnd, at);
    case LINKTYPE_PPP:
      return afterPpp(data, start, capEnd, at);
    default:
      return LINK_UNSUPPORTED;
  }
}

/** Reads the ethertype at `typeOffset`, skipping any stack of 802.1Q / 802.1ad tags. */
function afterEthertype(data: Buffer, typeOffset: number, capEnd: number, at: NetworkLocation): LinkResult {
  let ethertype = u16(data, typeOffset);
  for (let tags = 0; ethertype === ETHERTYPE_VLAN || ethertype === ETHERTYPE_QINQ || ethertype === ETHERTYPE_QINQ_LEGACY; tags++) {
    if (tags === MAX_VLAN_TAGS) return LINK_TOO_MANY_TAGS;
    typeOffset += 4;
    if (capEnd < typeOffset + 2) return LINK_TRUNCATED;
    ethertype = u16(data, typeOffset);
  }
  at.offset = typeOffset + 2;
  return byEthertype(ethertype);
}

/** What an ethertype (or a GRE protocol type, which uses the same numbers) carries. */
export function byEthertype(ethertype: number): LinkResult {
  if (ethertype === ETHERTYPE_IPV4) return LINK_IPV4;
  if (ethertype === ETHERTYPE_IPV6) return LINK_IPV6;
  if (ethertype === ETHERTYPE_MPLS || ethertype === ETHERTYPE_MPLS_MULTICAST) return LINK_MPLS;
  if (ethertype === ETHERTYPE_PPPOE_SESSION) return LINK_PPPOE;
  return LINK_NON_IP;
}

/** Cisco HDLC: address, control, then an ethertype. */
function afterCiscoHdlc(data: Buffer, start: number, capEnd: number, at: NetworkLocation): LinkResult {
  if (capEnd - start < C_HDLC_HEADER) return LINK_TRUNCATED;
  at.offset = start + C_HDLC_HEADER;
  return byEthertype(u16(data, start + 2));
}

/**
 * A PPP frame at `start` (RFC 1661): the HDLC address and control bytes are optional, and a
 * protocol number with an odd first byte is the one-byte compressed form (RFC 1661 6.5).
 */
export function afterPpp(data: Buffer, start: number, capEnd: number, at: NetworkLocation): LinkResult {
  let cursor = start;
  if (capEnd - cursor >= 2 && u16(data, cursor) === PPP_ADDRESS_CONTROL) cursor += 2;
  if (capEnd - cursor < 1) return LINK_TRUNCATED;
  let protocol = data[cursor]!;
  if ((protocol & 1) === 0) {
    if (capEnd - cursor < 2) return LINK_TRUNCATED;
    protocol = u16(data, cursor);
    cursor += 2;
  } else {
    cursor += 1;
  }
  at.offset = cursor;
  return byPppProtocol(protocol);
}

export function byPppProtocol(protocol: number): LinkResult {
  if (protocol === PPP_IPV4) return LINK_IPV4;
  if (protocol === PPP_IPV6) return LINK_IPV6;
  if (protocol === PPP_MPLS || protocol === PPP_MPLS_MULTICAST) return LINK_MPLS;
  return LINK_NON_IP;
}

export function byVersionNibble(firstByte: number): LinkResult {
  const version = firstByte >> 4;
  return version === 4 ? LINK_IPV4 : version === 6 ? LINK_IPV6 : LINK_NON_IP;
}

/**
 * BSD loopback: a 4-byte address family in the capturing host's byte order (LOOP: network
 * order). Families are small, so whichever order gives a value below 256 is the right one.
 */
function afterAddressFamily(data: Buffer, start: number, capEnd: number, at: NetworkLocation): LinkResult {
  if (capEnd - start < NULL_HEADER) return LINK_TRUNCATED;
  let family = u32le(data, start);
  if (family > 0xff) family = u32(data, start);
  at.offset = start + NULL_HEADER;
  if (family === AF_INET) return LINK_IPV4;
  if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN || family === AF_INET6_LINUX) return LINK_IPV6;
  return LINK_NON_IP;
}
