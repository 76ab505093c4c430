/**
 * Builds frames byte by byte for frame decoding tests. Checksums are left zero: the decoder
 * does not verify them (captures on the sending host rarely have them right).
 */
import { isIPv4 } from 'node:net';
import { FrameDecoder, type FrameDecoderOptions } from '../../src/frames/frame-decoder.js';
import type { Packet, RawPacket } from '../../src/model/packet.js';
import { Stats } from '../../src/pipeline/stats.js';

/** Decodes frames in order (flushing fragment state at the end): the packets and the counters. */
export function decodeAll(frames: RawPacket[], options: FrameDecoderOptions = {}): { packets: Packet[]; counters: Record<string, number> } {
  const stats = new Stats();
  const decoder = new FrameDecoder(stats, options);
  const packets = frames.map((raw) => decoder.decode(raw)).filter((p): p is Packet => p !== undefined);
  decoder.finish();
  return { packets, counters: stats.snapshot() };
}

export function rawPacket(linkType: number, data: Buffer, ts = 1_000_000, origLen = data.length): RawPacket {
  return { ts, linkType, data, origLen, iface: 0, offset: 0 };
}

export function tcp(srcPort: number, dstPort: number, payload: Buffer, facts = { seq: 1000, ack: 2000, flags: 0x18, window: 512 }): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(srcPort, 0);
  header.writeUInt16BE(dstPort, 2);
  header.writeUInt32BE(facts.seq, 4);
  header.writeUInt32BE(facts.ack, 8);
  header[12] = 5 << 4;
  header[13] = facts.flags;
  header.writeUInt16BE(facts.window, 14);
  return Buffer.concat([header, payload]);
}

export function udp(srcPort: number, dstPort: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(srcPort, 0);
  header.writeUInt16BE(dstPort, 2);
  header.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

export interface IPv4Fields {
  protocol: number;
  id?: number;
  /** Fragment offset in bytes (a multiple of 8). */
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** Overrides the computed total length. */
  totalLength?: number;
  /** Overrides the computed IHL (in 4-byte words). */
  ihl?: number;
}

export function ipv4(src: string, dst: string, fields: IPv4Fields, payload: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x40 | (fields.ihl ?? 5);
  header.writeUInt16BE(fields.totalLength ?? 20 + payload.length, 2);
  header.writeUInt16BE(fields.id ?? 0, 4);
  header.writeUInt16BE(((fields.fragmentOffset ?? 0) >> 3) | (fields.moreFragments ? 0x2000 : 0), 6);
  header[8] = 64;
  header[9] = fields.protocol;
  addressBytes(src).copy(header, 12);
  addressBytes(dst).copy(header, 16);
  return Buffer.concat([header, payload]);
}

/** `payload` starts with the first extension header, if any; `nextHeader` names it. */
export function ipv6(src: string, dst: string, nextHeader: number, payload: Buffer, payloadLength = payload.length): Buffer {
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(payloadLength, 4);
  header[6] = nextHeader;
  header[7] = 64;
  addressBytes(src).copy(header, 8);
  addressBytes(dst).copy(header, 24);
  return Buffer.concat([header, payload]);
}

/** An extension header in 8-byte units (hop-by-hop, routing, destination options). */
export function extensionHeader(nextHeader: number, body: Buffer): Buffer {
  const length = Math.ceil((body.length + 2) / 8) * 8;
  const header = Buffer.alloc(length);
  header[0] = nextHeader;
  header[1] = length / 8 - 1;
  body.copy(header, 2);
  return header;
}

export function fragmentHeader(nextHeader: number, offset: number, more: boolean, id: number): Buffer {
  const header = Buffer.alloc(8);
  header[0] = nextHeader;
  header.writeUInt16BE(offset | (more ? 1 : 0), 2);
  header.writeUInt32BE(id, 4);
  return header;
}

export function ethernet(ethertype: number, payload: Buffer, vlanTags: Array<[tpid: number, vid: number]> = []): Buffer {
  const macs = Buffer.from('020000000001020000000002', 'hex');
  const tags = vlanTags.map(([tpid, vid]) => {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(tpid, 0);
    tag.writeUInt16BE(vid, 2);
    return tag;
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(ethertype, 0);
  return Buffer.concat([macs, ...tags, type, payload]);
}

export function linuxSll(protocol: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt16BE(0, 0); // to us
  header.writeUInt16BE(1, 2); // ARPHRD_ETHER
  header.writeUInt16BE(6, 4);
  Buffer.from('020000000001', 'hex').copy(header, 6);
  header.writeUInt16BE(protocol, 14);
  return Buffer.concat([header, payload]);
}

export function linuxSll2(protocol: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(protocol, 0);
  header.writeUInt32BE(3, 4); // interface index
  header.writeUInt16BE(1, 8); // ARPHRD_ETHER
  header[10] = 4; // outgoing
  header[11] = 6;
  Buffer.from('020000000001', 'hex').copy(header, 12);
  return Buffer.concat([header, payload]);
}

export function bsdLoopback(family: number, payload: Buffer, byteOrder: 'LE' | 'BE'): Buffer {
  const header = Buffer.alloc(4);
  if (byteOrder === 'LE') header.writeUInt32LE(family, 0);
  else header.writeUInt32BE(family, 0);
  return Buffer.concat([header, payload]);
}

function addressBytes(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  const [head = '', tail = ''] = text.includes('::') ? text.split('::') : [text, ''];
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const front = groups(head);
  const back = text.includes('::') ? groups(tail) : [];
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

/** VXLAN header (RFC 7348; `flags` 0x08: the VNI is valid) and its Ethernet frame. */
export function vxlan(vni: number, frame: Buffer, flags = 0x08): Buffer {
  const header = Buffer.alloc(8);
  header[0] = flags;
  header.writeUInt32BE(vni << 8, 4);
  return Buffer.concat([header, frame]);
}

/** Geneve header (RFC 8926) with `options` (a multiple of 4 bytes). */
export function geneve(vni: number, protocol: number, payload: Buffer, options = Buffer.alloc(0), version = 0): Buffer {
  const header = Buffer.alloc(8);
  header[0] = (version << 6) | (options.length / 4);
  header.writeUInt16BE(protocol, 2);
  header.writeUInt32BE(vni << 8, 4);
  return Buffer.concat([header, options, payload]);
}

export interface GreFields {
  checksum?: boolean;
  key?: number;
  sequence?: number;
  /** Raw flags and version word, overriding the ones the fields imply. */
  flags?: number;
}

/** GRE header (RFC 2784, RFC 2890), optional fields in their order; checksum left zero. */
export function gre(protocol: number, payload: Buffer, fields: GreFields = {}): Buffer {
  const words: Buffer[] = [];
  let flags = 0;
  if (fields.checksum) {
    flags |= 0x8000;
    words.push(Buffer.alloc(4));
  }
  if (fields.key !== undefined) {
    flags |= 0x2000;
    words.push(u32be(fields.key));
  }
  if (fields.sequence !== undefined) {
    flags |= 0x1000;
    words.push(u32be(fields.sequence));
  }
  const header = Buffer.alloc(4);
  header.writeUInt16BE(fields.flags ?? flags, 0);
  header.writeUInt16BE(protocol, 2);
  return Buffer.concat([header, ...words, payload]);
}

/** An MPLS label stack (top first), bottom-of-stack bit on the last entry. */
export function mpls(labels: number[], payload: Buffer): Buffer {
  const stack = labels.map((label, i) => u32be(((label << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0));
  return Buffer.concat([...stack, payload]);
}

/** PPPoE session header (RFC 2516) and the PPP protocol number. */
export function pppoe(session: number, pppProtocol: number, payload: Buffer, code = 0): Buffer {
  const header = Buffer.alloc(8);
  header[0] = 0x11;
  header[1] = code;
  header.writeUInt16BE(session, 2);
  header.writeUInt16BE(payload.length + 2, 4);
  header.writeUInt16BE(pppProtocol, 6);
  return Buffer.concat([header, payload]);
}

function u32be(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return bytes;
}
