import type { Conversation, Direction } from './stream.js';

export type AttributeValue = string | number | boolean | string[];
export type Attributes = Record<string, AttributeValue>;

/** W3C trace context carried by a request (`traceparent` / `tracestate`). */
export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: number;
  traceState?: string;
}

/** One decoded L7 message (a request or a response), before matching. */
export interface L7Message {
  protocol: string;
  conv: Conversation;
  dir: Direction;
  type: 'request' | 'response';
  /** Packet time of the first byte of the message. */
  start: number;
  /** Packet time of the last byte of the message. */
  end: number;
  /** Bytes on the wire for the whole message (headers and body). */
  size: number;
  /** For by-id matchers (DNS id, HTTP/2 stream id, …). */
  id?: number | string;
  /** Protocol attributes under OpenTelemetry semantic-convention names. */
  attributes: Attributes;
  /** Set on responses (or requests with no response by design) that are errors. */
  error?: boolean;
  /** Request that gets no response by design: emitted as a roundtrip with no response. */
  noReply?: boolean;
  /** Extra non-attribute details for the record's request/response objects (headers, body). */
  details?: Record<string, unknown>;
  trace?: TraceContext;
  /**
   * On a response, the request it answers, when the decoder paired them: always for 'stream'
   * protocols; for 'ordered' ones when the decoder knows better than arrival order (HTTP/1,
   * whose decoder sees where each message starts).
   */
  request?: L7Message;
  /**
   * On a response: the decoder knows no request it saw is this one's (the request was not
   * captured, or lost bytes leave it unknowable); the matcher reports it on its own.
   */
  requestMissing?: boolean;
  /** The message is incomplete, but what was read of it is reported (see `MessagePartial`). */
  partial?: MessagePartial;
}

/**
 * A message with every field present (the optional ones undefined), for decoders to fill in.
 * All messages then share one object shape, so the operators downstream read their fields
 * through monomorphic property caches: with one shape per decoder and message kind, an HTTP
 * and Redis pipeline alone made five, and every read in the matcher went megamorphic
 * (measured: the matcher and the `'kind' in event` test took 15% longer).
 */
export function newMessage(
  protocol: string,
  conv: Conversation,
  dir: Direction,
  type: 'request' | 'response',
  start: number,
  end: number,
  size: number,
  attributes: Attributes,
): L7Message {
  return {
    protocol,
    conv,
    dir,
    type,
    start,
    end,
    size,
    id: undefined,
    attributes,
    error: undefined,
    noReply: undefined,
    details: undefined,
    trace: undefined,
    request: undefined,
    requestMissing: undefined,
    partial: undefined,
  };
}

/**
 * Why a message is incomplete: `gap`, bytes were lost inside it (capture loss); `framing`, its
 * framing broke (a bad chunk size, conflicting lengths, a body cut short by the close).
 */
export type MessagePartial = 'gap' | 'framing';



/**
 * What decodeL7 emits to the matcher: messages, conversation ends (pending requests on a
 * closed conversation are unanswered), and packet-time ticks (for request timeouts).
 * Messages go as they are (no `kind`: tell them apart with `'kind' in event`): a wrapper
 * object per message showed in profiles.
 */
export type L7Event =
  | L7Message
  | { kind: 'close'; conv: Conversation; ts: number }
  | { kind: 'tick'; ts: number };
