import type { Packet, RawPacket } from '../model/packet.js';
import { u16, u32 } from './bytes.js';
import { TCP_BAD_HEADER_LENGTH, TCP_TRUNCATED, UDP_BAD_LENGTH, UDP_TRUNCATED } from './decode-errors.js';
import type { IpHeader } from './ip-header.js';

const TCP_MIN_HEADER = 20;
const UDP_HEADER = 8;

/**
 * Decodes the TCP header at `offset` of `data` (a frame, or a reassembled IP payload) whose
 * IP payload ends at `end` by the headers' claim and whose captured bytes end at `capEnd`. Returns the packet or a decode error code.
 */
export function decodeTcp(raw: RawPacket, ip: IpHeader, data: Buffer, offset: number, end: number, capEnd: number): Packet | number {
  if (offset + TCP_MIN_HEADER > end) return TCP_BAD_HEADER_LENGTH;
  if (offset + TCP_MIN_HEADER > capEnd) return TCP_TRUNCATED;
  const headerLength = (data[offset + 12]! >> 4) * 4;
  if (headerLength < TCP_MIN_HEADER || offset + headerLength > end) return TCP_BAD_HEADER_LENGTH;
  if (offset + headerLength > capEnd) return TCP_TRUNCATED;
  const tcp = {
    seq: u32(data, offset + 4),
    ack: u32(data, offset + 8),
    flags: data[offset + 13]!,
    window: u16(data, offset + 14),
  };
  return newPacket(raw, ip, 6, u16(data, offset), u16(data, offset + 2), tcp, data, offset + headerLength, end, capEnd);
}

/** Decodes the UDP header at `offset`, like decodeTcp. */
export function decodeUdp(raw: RawPacket, ip: IpHeader, data: Buffer, offset: number, end: number, capEnd: number): Packet | number {
  if (offset + UDP_HEADER > end) return UDP_BAD_LENGTH;
  if (offset + UDP_HEADER > capEnd) return UDP_TRUNCATED;
  const udpLength = u16(data, offset + 4);
  // Length 0 marks an IPv6 jumbogram: the IP layer's length is the one that counts.
  if (udpLength !== 0) {
    if (udpLength < UDP_HEADER || offset + udpLength > end) return UDP_BAD_LENGTH;
    end = offset + udpLength;
  }
  return newPacket(raw, ip, 17, u16(data, offset), u16(data, offset + 2), undefined, data, offset + UDP_HEADER, end, capEnd);
}

/** Shared by every packet without payload (pure ACKs are about half of TCP): a view costs an allocation. */
const NO_PAYLOAD = Buffer.alloc(0);

function newPacket(
  raw: RawPacket,
  ip: IpHeader,
  proto: 6 | 17,
  srcPort: number,
  dstPort: number,
  tcp: Packet['tcp'],
  data: Buffer,
  payloadStart: number,
  payloadEnd: number,
  capEnd: number,
): Packet {
  return {
    raw,
    ts: raw.ts,
    ipVersion: ip.version,
    src: ip.src,
    dst: ip.dst,
    proto,
    srcPort,
    dstPort,
    tcp,
    payload:
      payloadStart >= payloadEnd || payloadStart >= capEnd ? NO_PAYLOAD : data.subarray(payloadStart, payloadEnd < capEnd ? payloadEnd : capEnd),
    payloadLength: payloadEnd - payloadStart,
    tunnel: undefined,
  };
}
