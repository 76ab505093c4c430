import type { Attributes, TraceContext } from './message.js';
import type { Endpoint } from './stream.js';

export type RoundTripStatus = 'ok' | 'error' | 'unanswered';

export interface MessageSummary {
  /** Bytes on the wire (headers and body). */
  size: number;
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
  /** First request byte. */
  start: number;
  /** Last response byte (or last request byte when unanswered). */
  end: number;
  durationUs: number;
  status: RoundTripStatus;
  request: MessageSummary;
  response: MessageSummary | undefined;
  attributes: Attributes;
  trace: TraceContext | undefined;
  /** Conversation id within the run. */
  connId: number;
}
