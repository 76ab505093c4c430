import type { Attributes } from './message.js';
import type { Packet } from './packet.js';

/** Direction of bytes within a conversation. */
export const CLIENT_TO_SERVER = 0;
export const SERVER_TO_CLIENT = 1;
export type Direction = typeof CLIENT_TO_SERVER | typeof SERVER_TO_CLIENT;

export interface Endpoint {
  address: string;
  port: number;
}

/** A TCP connection or UDP flow as reassembly tracks it. Shared by every event of the flow. */
export interface Conversation {
  /** Unique within a run (increasing). */
  id: number;
  transport: 'tcp' | 'udp';
  client: Endpoint;
  server: Endpoint;
  /**
   * True when the roles were guessed (joined mid-stream, or UDP): a decoder that sees a
   * response coming from the "client" may call `swapRoles`.
   */
  rolesGuessed: boolean;
  /** Time of the first packet seen. */
  start: number;
  /**
   * The encapsulation the conversation was seen in (VXLAN, GRE, …): flat `network.tunnel.*`
   * attributes, added to every roundtrip of the conversation. Undefined when not tunnelled.
   */
  tunnel?: Attributes;
}

export type CloseReason = 'fin' | 'rst' | 'idle' | 'end' | 'evicted';

/**
 * What reassembly emits: ordered bytes per conversation direction, gaps where bytes were lost,
 * conversation boundaries, and time ticks so downstream state expires by packet time even when
 * no data flows.
 */
export type StreamEvent =
  | { kind: 'open'; conv: Conversation; ts: number }
  /** In-order payload bytes; `packet` is the last packet contributing (for raw access). */
  | { kind: 'data'; conv: Conversation; dir: Direction; ts: number; payload: Buffer; packet: Packet | undefined }
  /** `bytes` were lost before the next data in this direction; decoders resync. */
  | { kind: 'gap'; conv: Conversation; dir: Direction; ts: number; bytes: number }
  | { kind: 'close'; conv: Conversation; ts: number; reason: CloseReason }
  /** Packet time advanced to `ts`. Emitted at most once per tick interval of packet time. */
  | { kind: 'tick'; ts: number };
