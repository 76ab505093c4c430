import type { L7Message } from '../../model/message.js';
import { GrpcMessageCounter } from './grpc.js';

export type HeaderMap = Record<string, string | string[]>;

/** One direction of a stream: the request (client side) or the response (server side). */
export class StreamHalf {
  /** Packet time of the first frame's first byte; -1 until a frame arrives. */
  start = -1;
  end = 0;
  /** Frame bytes (headers included) of HEADERS, CONTINUATION, DATA, RST_STREAM, PUSH_PROMISE. */
  size = 0;
  bodySize = 0;
  method: string | undefined;
  path: string | undefined;
  authority: string | undefined;
  scheme: string | undefined;
  status: number | undefined;
  headers: HeaderMap | undefined;
  trailers: HeaderMap | undefined;
  /** A header block of this half referenced table entries from before the capture, or broke. */
  incomplete = false;
  /** Its first (non-informational) header block is complete. */
  headersDone = false;
  ended = false;
  readonly grpc = new GrpcMessageCounter();

  frame(start: number, bytes: number): void {
    if (this.start < 0) this.start = start;
    this.size += bytes;
  }
}

export class H2Stream {
  readonly request = new StreamHalf();
  readonly response = new StreamHalf();
  /** RST_STREAM's error code name, when the stream was reset. */
  reset: string | undefined;
  /**
   * The HTTP/1.1 request that upgraded the connection (RFC 9113 §3.2 makes it stream 1),
   * already decoded by the HTTP/1 decoder.
   */
  upgradeRequest: L7Message | undefined;

  constructor(readonly id: number) {}
}

/** Adds a field the way HTTP/2 says to combine repeats: cookie crumbs with "; " (RFC 9113 §8.2.3). */
export function addField(headers: HeaderMap, name: string, value: string): void {
  const previous = headers[name];
  if (previous === undefined) headers[name] = value;
  else if (name === 'set-cookie') headers[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  else headers[name] = `${previous as string}${name === 'cookie' ? '; ' : ', '}${value}`;
}

export function fieldValue(headers: HeaderMap | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}
