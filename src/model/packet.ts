import type { Attributes } from './message.js';

/**
 * Packet-level data types. Times are microseconds since the Unix epoch, taken from the
 * capture (never from the wall clock), so replays are deterministic.
 */

/** A captured frame as a source reads it: bytes are a view into the read buffer. */
export interface RawPacket {
  /** Capture time, microseconds since the epoch (nanosecond captures are truncated). */
  ts: number;
  /** LINKTYPE_* value of the interface the frame was captured on. */
  linkType: number;
  /** Captured bytes (may be shorter than origLen when snaplen cut the frame). */
  readonly data: Buffer;
  /** Length of the frame on the wire. */
  origLen: number;
  /** Interface index (pcapng) or 0. */
  iface: number;
  /** Byte offset of the record in the input, for error messages. */
  offset: number;
}

/**
 * A frame that is a range of a larger buffer (a capture file's read chunk, a live capture's
 * slab), as packetd's sources emit them. Decoding works on the range; the `data` view is made only when something asks for
 * it: a Buffer view per frame was a measurable share of reading a capture.
 */
export class FrameInBuffer implements RawPacket {
  private view: Buffer | undefined;

  constructor(
    public ts: number,
    public linkType: number,
    /** The frame is buffer[start, end). */
    readonly buffer: Buffer,
    readonly start: number,
    readonly end: number,
    public origLen: number,
    public iface: number,
    public offset: number,
  ) {}

  get data(): Buffer {
    return (this.view ??= this.buffer.subarray(this.start, this.end));
  }
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

/** Per-packet TCP facts, kept so flow metrics can branch off without decoding twice. */
export interface TcpFacts {
  seq: number;
  ack: number;
  /** Raw flag byte (TCP_FIN | TCP_SYN | …). */
  flags: number;
  /** Window as sent (unscaled). */
  window: number;
}

/** A frame decoded down to the transport layer. */
export interface Packet {
  raw: RawPacket;
  ts: number;
  ipVersion: 4 | 6;
  /** Printable addresses ("10.0.0.1", "::1"). */
  src: string;
  dst: string;
  /** 6 = TCP, 17 = UDP. */
  proto: 6 | 17;
  srcPort: number;
  dstPort: number;
  /** Present for TCP. */
  tcp: TcpFacts | undefined;
  /** Transport payload as captured (view into raw.data or into a reassembled IP datagram). */
  payload: Buffer;
  /**
   * Payload length the IP/TCP/UDP headers claim. Larger than payload.length when snaplen cut
   * the frame: reassembly advances by this many bytes and reports the missing tail as a gap.
   */
  payloadLength: number;
  /**
   * The tunnel the packet came out of (`network.tunnel.*` attributes, src/frames/tunnel-record.ts);
   * undefined when it was captured directly. Shared by consecutive packets of one tunnel: never mutate.
   */
  tunnel?: Attributes | undefined;
}
