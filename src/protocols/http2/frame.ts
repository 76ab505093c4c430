/** HTTP/2 frame layout (RFC 9113 §4.1, §6): a 9-byte header, then `length` payload bytes. */

export const FRAME_HEADER_LENGTH = 9;
/** SETTINGS_MAX_FRAME_SIZE's initial value: what a peer may send before raising it. */
export const DEFAULT_MAX_FRAME_SIZE = 16384;

export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const enum FrameType {
  Data = 0,
  Headers = 1,
  Priority = 2,
  RstStream = 3,
  Settings = 4,
  PushPromise = 5,
  Ping = 6,
  Goaway = 7,
  WindowUpdate = 8,
  Continuation = 9,
}

export const FLAG_END_STREAM = 0x1;
export const FLAG_ACK = 0x1;
export const FLAG_END_HEADERS = 0x4;
export const FLAG_PADDED = 0x8;
export const FLAG_PRIORITY = 0x20;

export const SETTINGS_HEADER_TABLE_SIZE = 0x1;

/** RFC 9113 §7 error codes, by value, for RST_STREAM and GOAWAY. */
const ERROR_CODES = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED',
  'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
];

export function errorCodeName(code: number): string {
  return ERROR_CODES[code] ?? `0x${code.toString(16)}`;
}

export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

export function readFrameHeader(buf: Buffer, off: number, into: FrameHeader): void {
  into.length = buf.readUIntBE(off, 3);
  into.type = buf[off + 3]!;
  into.flags = buf[off + 4]!;
  into.streamId = buf.readUInt32BE(off + 5) & 0x7fffffff;
}

/** Flags each defined frame type may carry; others must be zero in a frame we trust for resync. */
const KNOWN_FLAGS = [
  FLAG_END_STREAM | FLAG_PADDED,
  FLAG_END_STREAM | FLAG_END_HEADERS | FLAG_PADDED | FLAG_PRIORITY,
  0,
  0,
  FLAG_ACK,
  FLAG_END_HEADERS | FLAG_PADDED,
  FLAG_ACK,
  0,
  0,
  FLAG_END_HEADERS,
];

/**
 * Whether buf[off..off+9) is a frame header a conforming peer could send: a defined type with
 * only its flags, the reserved bit clear, the stream id and length its type requires. Used to
 * find frame boundaries where the bytes before are unknown (a join mid-stream, lost bytes), so
 * it is strict: unknown extension types are not accepted here.
 */
export function isPlausibleFrameHeader(buf: Buffer, off: number, maxFrameSize: number): boolean {
  const length = buf.readUIntBE(off, 3);
  const type = buf[off + 3]!;
  const flags = buf[off + 4]!;
  const rawStream = buf.readUInt32BE(off + 5);
  if (type > FrameType.Continuation || (flags & ~KNOWN_FLAGS[type]!) !== 0 || rawStream > 0x7fffffff) return false;
  if (length > maxFrameSize) return false;
  const connectionLevel = type === FrameType.Settings || type === FrameType.Ping || type === FrameType.Goaway;
  if (connectionLevel !== (rawStream === 0) && type !== FrameType.WindowUpdate) return false;
  switch (type) {
    case FrameType.Priority:
      return length === 5;
    case FrameType.RstStream:
    case FrameType.WindowUpdate:
      return length === 4;
    case FrameType.Ping:
      return length === 8;
    case FrameType.Settings:
      return (flags & FLAG_ACK) !== 0 ? length === 0 : length % 6 === 0;
    case FrameType.Goaway:
      return length >= 8;
    default:
      return true;
  }
}

/**
 * How many plausible frames follow each other from `off` to the end of `buf` (the last may be
 * cut short), or 0 when one of them is not plausible or the chain overruns a partial header.
 */
export function plausibleFrameChain(buf: Buffer, off: number, maxFrameSize: number): number {
  let frames = 0;
  while (off + FRAME_HEADER_LENGTH <= buf.length) {
    if (!isPlausibleFrameHeader(buf, off, maxFrameSize)) return 0;
    frames++;
    off += FRAME_HEADER_LENGTH + buf.readUIntBE(off, 3);
  }
  return frames;
}
