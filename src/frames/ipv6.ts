import { formatIPv6 } from './address.js';
import { u16, u32 } from './bytes.js';
import {
  FRAGMENT_INCONSISTENT,
  IPV6_BAD_PAYLOAD_LENGTH,
  IPV6_BAD_VERSION,
  IPV6_EXTENSION_TRUNCATED,
  IPV6_TOO_MANY_EXTENSIONS,
  IPV6_TRUNCATED,
  OK,
} from './decode-errors.js';
import { PROTO_TCP, type IpHeader } from './ip-header.js';

const HEADER = 40;
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTHENTICATION = 51;
const DESTINATION_OPTIONS = 60;
const MOBILITY = 135;
const HOST_IDENTITY = 139;
const SHIM6 = 140;
const FRAGMENT_HEADER = 8;
const FRAGMENT_OFFSET_MASK = 0xfff8;
const JUMBO_PAYLOAD_OPTION = 0xc2;
const PAD1_OPTION = 0;
/** Real chains hold a handful of headers; a longer one is an attack or garbage. */
const MAX_EXTENSION_HEADERS = 16;

/**
 * Parses the IPv6 header at `offset` and its extension chain into `ip`. The captured bytes end
 * at `capEnd`; `wireEnd` is where the frame ended on the wire. Returns OK or a decode error code.
 */
export function parseIPv6(data: Buffer, offset: number, capEnd: number, wireEnd: number, ip: IpHeader): number {
  if (capEnd < offset + HEADER) return IPV6_TRUNCATED;
  if (data[offset]! >> 4 !== 6) return IPV6_BAD_VERSION;
  const payloadStart = offset + HEADER;
  const payloadLength = u16(data, offset + 4);
  const nextHeader = data[offset + 6]!;
  ip.version = 6;
  ip.src = formatIPv6(data, offset + 8);
  ip.dst = formatIPv6(data, offset + 24);
  ip.isFragment = false;

  if (payloadLength !== 0) {
    setClaimedEnd(ip, payloadStart + payloadLength, wireEnd);
    return walkExtensionHeaders(data, payloadStart, capEnd, nextHeader, ip, true);
  }

  // Payload length 0: a jumbogram (the hop-by-hop jumbo option holds the length), or a
  // segment captured before TSO split it / a BIG TCP segment (only the frame length tells).
  const jumboLength = nextHeader === HOP_BY_HOP ? jumboPayloadLength(data, payloadStart, capEnd) : 0;
  setClaimedEnd(ip, jumboLength !== 0 ? payloadStart + jumboLength : wireEnd, wireEnd);
  const result = walkExtensionHeaders(data, payloadStart, capEnd, nextHeader, ip, true);
  if (result !== OK) return result;
  if (jumboLength === 0 && (ip.protocol !== PROTO_TCP || ip.isFragment)) return IPV6_BAD_PAYLOAD_LENGTH;
  return OK;
}

function setClaimedEnd(ip: IpHeader, claimedEnd: number, wireEnd: number): void {
  ip.lengthClamped = claimedEnd > wireEnd;
  ip.claimedEnd = ip.lengthClamped ? wireEnd : claimedEnd;
}

/**
 * Follows the extension header chain from `cursor` up to the transport header (or up to the
 * fragment data, when a fragment header says this is one fragment of a larger datagram).
 * Also used on a reassembled IPv6 payload, where a second fragment header is malformed.
 */
export function walkExtensionHeaders(
  data: Buffer,
  cursor: number,
  capEnd: number,
  nextHeader: number,
  ip: IpHeader,
  fragmentAllowed: boolean,
): number {
  const end = ip.claimedEnd;
  for (let headers = 0; ; headers++) {
    let length: number;
    switch (nextHeader) {
      case HOP_BY_HOP:
      case ROUTING:
      case DESTINATION_OPTIONS:
      case MOBILITY:
      case HOST_IDENTITY:
      case SHIM6:
      case AUTHENTICATION:
        if (cursor + 2 > end) return IPV6_BAD_PAYLOAD_LENGTH;
        if (cursor + 2 > capEnd) return IPV6_EXTENSION_TRUNCATED;
        // AH counts 4-byte units minus two; the others count 8-byte units minus one.
        length = nextHeader === AUTHENTICATION ? (data[cursor + 1]! + 2) * 4 : (data[cursor + 1]! + 1) * 8;
        break;
      case FRAGMENT:
        if (!fragmentAllowed) return FRAGMENT_INCONSISTENT;
        length = FRAGMENT_HEADER;
        break;
      default:
        ip.protocol = nextHeader;
        ip.transportOffset = cursor;
        return OK;
    }
    if (headers === MAX_EXTENSION_HEADERS) return IPV6_TOO_MANY_EXTENSIONS;
    if (cursor + length > end) return IPV6_BAD_PAYLOAD_LENGTH;
    if (cursor + length > capEnd) return IPV6_EXTENSION_TRUNCATED;
    const header = cursor;
    const headerType = nextHeader;
    nextHeader = data[header]!;
    cursor += length;
    if (headerType === FRAGMENT) {
      const field = u16(data, header + 2);
      const fragmentOffset = field & FRAGMENT_OFFSET_MASK;
      const moreFragments = (field & 1) !== 0;
      // An atomic fragment (offset 0, no more to come) is a whole datagram: keep walking.
      if (fragmentOffset !== 0 || moreFragments) {
        ip.isFragment = true;
        ip.fragmentId = u32(data, header + 4);
        ip.fragmentOffset = fragmentOffset;
        ip.moreFragments = moreFragments;
        ip.protocol = nextHeader;
        ip.transportOffset = cursor;
        return OK;
      }
    }
  }
}

/** Length in the hop-by-hop header's jumbo payload option, or 0 when it has none. */
function jumboPayloadLength(data: Buffer, hopByHop: number, capEnd: number): number {
  if (hopByHop + 2 > capEnd) return 0;
  const end = hopByHop + (data[hopByHop + 1]! + 1) * 8;
  if (end > capEnd) return 0;
  let option = hopByHop + 2;
  while (option < end) {
    const type = data[option]!;
    if (type === PAD1_OPTION) {
      option++;
      continue;
    }
    if (option + 2 > end) return 0;
    const optionLength = data[option + 1]!;
    if (type === JUMBO_PAYLOAD_OPTION && optionLength === 4 && option + 6 <= end) return u32(data, option + 2);
    option += 2 + optionLength;
  }
  return 0;
}
