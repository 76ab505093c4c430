/**
 * Builds decoded `Packet` objects for operator tests, without frames: endpoints, TCP flags as
 * letters ("S", "SA", "A", "PA", "FA", "R") and payload as text.
 */
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../../src/model/packet.js';

export interface Endpoint {
  address: string;
  port: number;
}

export function endpoint(address: string, port: number): Endpoint {
  return { address, port };
}

export interface TcpSpec {
  ts: number;
  /** Letters of the flags set: S(YN) A(CK) F(IN) R(ST) P(SH) U(RG). */
  flags: string;
  seq: number;
  ack?: number;
  payload?: string | Buffer;
  /** Length the headers claim when snaplen cut the payload (default: the payload's length). */
  payloadLength?: number;
  window?: number;
}

const FLAG_BITS: Record<string, number> = { S: TCP_SYN, A: TCP_ACK, F: TCP_FIN, R: TCP_RST, P: TCP_PSH, U: TCP_URG };

function flagByte(letters: string): number {
  let flags = 0;
  for (const letter of letters) {
    const bit = FLAG_BITS[letter];
    if (bit === undefined) throw new Error(`unknown TCP flag letter ${letter}`);
    flags |= bit;
  }
  return flags;
}

function transportPacket(from: Endpoint, to: Endpoint, ts: number, proto: 6 | 17, payload: Buffer, payloadLength: number): Packet {
  return {
    raw: { ts, linkType: 1, data: payload, origLen: payload.length, iface: 0, offset: 0 },
    ts,
    ipVersion: from.address.includes(':') ? 6 : 4,
    src: from.address,
    dst: to.address,
    proto,
    srcPort: from.port,
    dstPort: to.port,
    tcp: undefined,
    payload,
    payloadLength,
  };
}

export function tcpPacket(from: Endpoint, to: Endpoint, spec: TcpSpec): Packet {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const packet = transportPacket(from, to, spec.ts, 6, payload, spec.payloadLength ?? payload.length);
  packet.tcp = { seq: spec.seq >>> 0, ack: (spec.ack ?? 0) >>> 0, flags: flagByte(spec.flags), window: spec.window ?? 65535 };
  return packet;
}

export function udpPacket(from: Endpoint, to: Endpoint, ts: number, payload: string | Buffer, payloadLength?: number): Packet {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return transportPacket(from, to, ts, 17, bytes, payloadLength ?? bytes.length);
}
