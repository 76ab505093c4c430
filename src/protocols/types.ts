import type { Attributes, L7Message } from '../model/message.js';
import type { Conversation, Direction } from '../model/stream.js';
import type { Stats } from '../pipeline/stats.js';

/**
 * Every protocol folder (src/protocols/<name>/) exports one `ProtocolModule` from index.ts,
 * built from the same parts: detect.ts, decoder.ts, matcher choice, attributes.ts.
 */
export type Detection =
  /** The bytes are this protocol; `swapRoles` when they show the "client" is really the server. */
  | { verdict: 'yes'; swapRoles?: boolean }
  | { verdict: 'no' }
  /** Too few bytes to tell: ask again when more arrive. */
  | { verdict: 'more' };

/** How requests and responses pair up. */
export type MatchStrategy =
  /** Responses come in request order per conversation (HTTP/1 pipelining, Redis, …). */
  | 'ordered'
  /** Responses carry the request's id (DNS, HTTP/2 stream id, …). */
  | 'id'
  /**
   * The decoder pairs messages itself (it sees both sides of a stream): it emits each response
   * with its request in `response.request`, and emits a request alone only when it will get no
   * response (the matcher then makes it an unanswered roundtrip, or an ok one when `noReply`).
   * The matcher keeps no state for these protocols.
   */
  | 'stream';

export interface DecoderContext {
  conv: Conversation;
  /** Options from the pipeline's protocol rule (e.g. body capture size). */
  options: Record<string, unknown>;
  stats: Stats;
  /** Emit a decoded message. */
  emit(msg: L7Message): void;
  /** Count a decode error (malformed bytes); the decoder resyncs or gives up on the conversation. */
  error(reason: string): void;
  /** Hand the conversation back (e.g. after an HTTP Upgrade): no more bytes will be delivered. */
  release(reason: string): void;
  /** The decoder learned the roles are reversed (server spoke first). */
  swapRoles(): void;
  /**
   * Hand the conversation to another protocol's decoder (HTTP/1.1 `Upgrade: h2c` → `http2`),
   * which gets the bytes from now on; `request` is the upgrading request, for the new decoder's
   * `upgradeRequest`. Returns the new decoder (to pass it bytes already read), or undefined
   * when the protocol is unknown (the conversation is then released).
   */
  switchProtocol?(name: string, request?: L7Message): StreamDecoder | undefined;
  /** Set for a decoder started by `switchProtocol`: the request that switched the conversation. */
  upgradeRequest?: L7Message;
}

/**
 * A streaming decoder for one conversation. Never throws: bad bytes become `ctx.error` and a
 * resync. Buffers are bounded by the options it is given.
 */
export interface StreamDecoder {
  data(dir: Direction, payload: Buffer, ts: number): void;
  /** `bytes` were lost in `dir`; drop partial state and resync at the next message boundary. */
  gap(dir: Direction, bytes: number, ts: number): void;
  /** The conversation ended (FIN/RST/idle/end of input): complete close-delimited messages. */
  end(ts: number): void;
}

export interface ProtocolModule {
  name: string;
  /** 'both' for protocols carried over either (DNS): its ports and detection then apply to TCP and UDP. */
  transport: 'tcp' | 'udp' | 'both';
  /** Ports used when the pipeline names the protocol without ports. */
  defaultPorts: number[];
  match: MatchStrategy;
  /**
   * Look at the first bytes seen in a direction (TCP: all of them so far; UDP: one datagram).
   * `transport` tells which, for 'both' protocols framed differently on each. Must not throw.
   */
  detect(payload: Buffer, dir: Direction, transport: 'tcp' | 'udp'): Detection;
  createDecoder(ctx: DecoderContext): StreamDecoder;
  /**
   * The rule options the decoder reads (YAML `options:` keys). When given, any other key is a
   * validation error at its YAML line, so a typo is not silently ignored.
   */
  optionNames?: readonly string[];
  /**
   * Roundtrip-level attributes derived from the paired messages (e.g. status → error). One of
   * them may be missing: an unanswered request, or a response whose request was not seen.
   */
  combine?(request: L7Message | undefined, response: L7Message | undefined): { attributes: Attributes; error: boolean };
}

/** A protocol rule from the pipeline YAML: which protocol, on which server ports, with what options. */
export interface ProtocolRule {
  protocol: string;
  /** Server ports; empty or absent means the module's defaultPorts. */
  ports?: number[];
  /** Protocol-specific options (e.g. HTTP body capture). */
  options?: Record<string, unknown>;
}
