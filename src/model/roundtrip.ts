import type { Attributes, MessagePartial, TraceContext } from './message.js';
import type { Endpoint } from './stream.js';

export type RoundTripStatus = 'ok' | 'error' | 'unanswered';

/**
 * Why a roundtrip is incomplete: its request was never seen (`request_missing`: the capture
 * started late, a one-sided tap), or one of its messages is partial (`gap`, `framing`).
 */
export type RoundTripPartial = 'request_missing' | MessagePartial;

export interface MessageSummary {
  /** Bytes on the wire (headers and body). */
  size: number;
  /** Set when the message is incomplete. */
  partial?: MessagePartial;
  [detail: string]: unknown;
}

/**
 * The roundtrip record: the stable contract of the JSON-lines output, and what spans and
 * metrics are derived from. Times are microseconds since the epoch, from packet timestamps.
 */
export interface RoundTrip {
  protocol: string;
  transport: 'tcp' | 'udp';
  client: Endpoint;
  server: Endpoint;
  /** First request byte (first response byte when the request was not seen). */
  start: number;
  /** Last response byte (or last request byte when unanswered). */
  end: number;
  durationUs: number;
  status: RoundTripStatus;
  /** Undefined only for a response whose request was not seen (`partial: 'request_missing'`). */
  request: MessageSummary | undefined;
  response: MessageSummary | undefined;
  /** Set when the roundtrip is incomplete; what is missing is said, what was seen is kept. */
  partial?: RoundTripPartial;
  attributes: Attributes;
  trace: TraceContext | undefined;
  /** Conversation id within the run. */
  connId: number;
}
