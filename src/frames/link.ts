import { u16, u32, u32le } from './bytes.js';

/**
 * Link layers: where in a frame the IP header starts, and which IP version it is.
 * Results are small integers (no objects per packet); the IP header offset goes into a
 * caller-owned `NetworkLocation`.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_OPENBSD = 12;
export const LINKTYPE_RAW_BSDI = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** What a link header carries (positive), or why it could not be read (negative). */
export const LINK_IPV4 = 4;
export const LINK_IPV6 = 6;
export const LINK_NON_IP = 0;
export const LINK_UNSUPPORTED = -1;
export const LINK_TRUNCATED = -2;
export const LINK_TOO_MANY_TAGS = -3;
export type LinkResult =
  | typeof LINK_IPV4
  | typeof LINK_IPV6
  | typeof LINK_NON_IP
  | typeof LINK_UNSUPPORTED
  | typeof LINK_TRUNCATED
  | typeof LINK_TOO_MANY_TAGS;

export interface NetworkLocation {
  /** Offset of the IP header in the frame, set when the result is LINK_IPV4 or LINK_IPV6. */
  offset: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_LEGACY = 0x9100;
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

function byEthertype(ethertype: number): LinkResult {
  return ethertype === ETHERTYPE_IPV4 ? LINK_IPV4 : ethertype === ETHERTYPE_IPV6 ? LINK_IPV6 : LINK_NON_IP;
}

function byVersionNibble(firstByte: number): LinkResult {
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
