import { formatIPv4 } from './address.js';
import { u16 } from './bytes.js';
import { IPV4_BAD_HEADER_LENGTH, IPV4_BAD_TOTAL_LENGTH, IPV4_BAD_VERSION, IPV4_TRUNCATED, OK } from './decode-errors.js';
import { PROTO_TCP, type IpHeader } from './ip-header.js';

const MIN_HEADER = 20;
const MORE_FRAGMENTS = 0x2000;
const OFFSET_MASK = 0x1fff;

/**
 * Parses the IPv4 header at `offset` into `ip`. The captured bytes end at `capEnd`; `wireEnd` is
 * where the frame ended on the wire (the captured bytes may stop earlier). Returns OK or a decode error code.
 */
export function parseIPv4(data: Buffer, offset: number, capEnd: number, wireEnd: number, ip: IpHeader): number {
  if (capEnd < offset + MIN_HEADER) return IPV4_TRUNCATED;
  const versionAndLength = data[offset]!;
  if (versionAndLength >> 4 !== 4) return IPV4_BAD_VERSION;
  const headerLength = (versionAndLength & 0x0f) * 4;
  if (headerLength < MIN_HEADER) return IPV4_BAD_HEADER_LENGTH;
  if (capEnd < offset + headerLength) return IPV4_TRUNCATED;

  const protocol = data[offset + 9]!;
  let totalLength = u16(data, offset + 2);
  // TCP segmentation offload: a capture on the sending host sees the not yet split segment
  // with total length 0, so the frame's own length is the only length there is.
  if (totalLength === 0 && protocol === PROTO_TCP) totalLength = wireEnd - offset;
  if (totalLength < headerLength) return IPV4_BAD_TOTAL_LENGTH;
  ip.lengthClamped = offset + totalLength > wireEnd;
  if (ip.lengthClamped) totalLength = wireEnd - offset;

  const fragmentField = u16(data, offset + 6);
  ip.version = 4;
  ip.src = formatIPv4(data, offset + 12);
  ip.dst = formatIPv4(data, offset + 16);
  ip.protocol = protocol;
  ip.transportOffset = offset + headerLength;
  ip.claimedEnd = offset + totalLength;
  ip.isFragment = (fragmentField & (MORE_FRAGMENTS | OFFSET_MASK)) !== 0;
  if (ip.isFragment) {
    ip.fragmentId = u16(data, offset + 4);
    ip.fragmentOffset = (fragmentField & OFFSET_MASK) * 8;
    ip.moreFragments = (fragmentField & MORE_FRAGMENTS) !== 0;
  }
  return OK;
}
