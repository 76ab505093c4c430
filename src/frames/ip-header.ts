/**
 * What the IP layer of one frame says, filled in place by the IPv4/IPv6 parsers: the decoder
 * owns one and reuses it for every frame.
 */
export interface IpHeader {
  version: 4 | 6;
  src: string;
  dst: string;
  /** Transport protocol; for IPv6 the header that ends the extension chain. */
  protocol: number;
  /** Offset of the transport header (of the fragment's data when `isFragment`). */
  transportOffset: number;
  /** Where the IP payload ends by the headers' claim; may be past the captured bytes. */
  claimedEnd: number;
  /**
   * The length field claimed more bytes than the frame had on the wire (a broken capture
   * or a stripped trailer): `claimedEnd` was cut to the frame's end, as tshark reads it.
   */
  lengthClamped: boolean;
  isFragment: boolean;
  /** IPv4 identification or IPv6 fragment header identification. */
  fragmentId: number;
  /** Byte offset of this fragment's data within the original payload. */
  fragmentOffset: number;
  moreFragments: boolean;
}

export function newIpHeader(): IpHeader {
  return {
    version: 4,
    src: '',
    dst: '',
    protocol: 0,
    transportOffset: 0,
    claimedEnd: 0,
    lengthClamped: false,
    isFragment: false,
    fragmentId: 0,
    fragmentOffset: 0,
    moreFragments: false,
  };
}

export const PROTO_IPIP = 4;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
/** IPv6 as an IP payload (6in4, IPv6 in IPv6). */
export const PROTO_IPV6 = 41;
export const PROTO_GRE = 47;
