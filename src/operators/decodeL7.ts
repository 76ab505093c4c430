import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { L7Event, L7Message } from '../model/message.js';
import { CLIENT_TO_SERVER, type Conversation, type Direction, type StreamEvent } from '../model/stream.js';
import type { Stats } from '../pipeline/stats.js';
import { CLIENT_PREFACE } from '../protocols/http2/frame.js';
import { getProtocol, protocolNames } from '../protocols/registry.js';
import type { DecoderContext, ProtocolModule, ProtocolRule, StreamDecoder } from '../protocols/types.js';
import { Hop } from './hop.js';

export interface DecodeL7Options {
  stats: Stats;
  /**
   * Which protocol runs on which server ports, with its options. Empty: every registered
   * protocol on its default ports. The protocols named here (or all, when empty) are also the
   * candidates for content detection.
   */
  rules: ProtocolRule[];
  /** Detect the protocol from the first bytes when no port rule matches (default true). */
  detect?: boolean;
}

/** Detection gives up (conversation ignored) after this many bytes or data events. */
const MAX_DETECT_BYTES = 4096;
const MAX_DETECT_EVENTS = 8;

interface Route {
  module: ProtocolModule;
  options: Record<string, unknown>;
}

/** Bytes (or a gap) seen while detecting, replayed into the decoder once a protocol is chosen. */
interface HeldChunk {
  dir: Direction;
  ts: number;
  /** Copied: the source's read buffer may be reused. Undefined for a gap of `gapBytes`. */
  bytes: Buffer | undefined;
  gapBytes: number;
}

interface Detecting {
  held: HeldChunk[];
  heldBytes: number;
  dataEvents: number;
  /** rejected[candidate * 2 + dir]: the candidate said 'no' to that direction's first bytes. */
  rejected: Uint8Array;
}

/**
 * A port rule chose HTTP/1, but the client may open with the HTTP/2 connection preface (prior
 * knowledge on an HTTP/1 port): the choice waits for the client's first bytes, holding what
 * comes before (`HeldChunk.dir` already flipped).
 */
interface PrefaceCheck {
  rule: Route;
  held: HeldChunk[];
  heldBytes: number;
  /** Client bytes seen so far, all equal to the preface's first bytes. */
  matched: number;
}

interface Tracked {
  conv: Conversation;
  /** 1 once the roles were swapped: later events' `dir` is flipped before the decoder sees it. */
  flip: 0 | 1;
  route: Route | undefined;
  decoder: StreamDecoder | undefined;
  detecting: Detecting | undefined;
  preface: PrefaceCheck | undefined;
}

/** The rule protocol whose conversations may turn out to be HTTP/2 by the preface, and that protocol. */
const PREFACE_FROM = 'http';
const PREFACE_FIRST_BYTE = 0x50; // P
const PREFACE_TO = 'http2';

/** The first byte is a letter other than the HTTP/2 preface's `P`. */
function opensHttp1(payload: Buffer): boolean {
  const first = payload.length === 0 ? 0 : payload[0]!;
  return first !== PREFACE_FIRST_BYTE && ((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a));
}

function portKey(transport: 'tcp' | 'udp', port: number): number {
  return transport === 'udp' ? port + 65536 : port;
}

function transportsOf(module: ProtocolModule): ('tcp' | 'udp')[] {
  return module.transport === 'both' ? ['tcp', 'udp'] : [module.transport];
}

function swapEndpoints(conv: Conversation): void {
  const client = conv.client;
  conv.client = conv.server;
  conv.server = client;
}

/**
 * Turns ordered conversation bytes into L7 messages. The protocol of a conversation comes from
 * the port rules (server port; either port when the roles were guessed, swapping them when the
 * client's port matched), else from content detection on the first bytes of each direction. A
 * conversation an HTTP/1 rule picked whose client opens with the HTTP/2 preface goes to http2.
 * Conversations with no protocol are ignored (counted when detection gave up). `close` is
 * forwarded for conversations that had a protocol (after the decoder's `end`), `tick` always;
 * at the end of input every live decoder is ended and its conversation closed.
 *
 * ```
 * source:  --o--d(GET /)--d(200 OK)--c--t--|
 * decodeL7(): -----m(request)--m(response)--c--t--|
 * ```
 */
export function decodeL7(options: DecodeL7Options): OperatorFunction<StreamEvent, L7Event> {
  const { stats } = options;
  const routesByPort = new Map<number, Route>();
  const candidates: Route[] = [];
  const rules: ProtocolRule[] = options.rules.length > 0 ? options.rules : protocolNames().map((protocol) => ({ protocol }));
  for (const rule of rules) {
    const module = getProtocol(rule.protocol);
    if (module === undefined) throw new Error(`decodeL7: unknown protocol "${rule.protocol}" in protocol rules`);
    const route: Route = { module, options: rule.options ?? {} };
    const ports = rule.ports !== undefined && rule.ports.length > 0 ? rule.ports : module.defaultPorts;
    for (const port of ports) {
      for (const transport of transportsOf(module)) {
        const key = portKey(transport, port);
        if (!routesByPort.has(key)) routesByPort.set(key, route);
      }
    }
    if (!candidates.some((c) => c.module === module)) candidates.push(route);
  }
  const tcpCandidates = candidates.filter((c) => c.module.transport !== 'udp');
  const udpCandidates = candidates.filter((c) => c.module.transport !== 'tcp');
  const detect = options.detect ?? true;
  const undetected = stats.counter('packetd_l7_undetected_total', 'Conversations whose protocol neither a port rule nor detection found (ignored)');
  const prefaceModule = getProtocol(PREFACE_TO);
  const http2Overrides = (evidence: 'preface' | 'frames') =>
    stats.counter(
      'packetd_l7_http2_overrides_total',
      'Conversations an HTTP/1 rule claimed whose client spoke HTTP/2 (its connection preface, or whole frames when joined mid-connection): decoded as http2',
      { evidence },
    );
  const overriddenByPreface = http2Overrides('preface');
  const overriddenByFrames = http2Overrides('frames');

  return (source) =>
    new Observable<L7Event>((subscriber) => {
      const tracked = new Map<number, Tracked>();
      // A field, not a closure variable: V8 boxes a new number for every store of a large
      // number into a closure variable, and this is stored once per event.
      const latest = { ts: 0 };

      const track = (conv: Conversation): Tracked => {
        const state: Tracked = { conv, flip: 0, route: undefined, decoder: undefined, detecting: undefined, preface: undefined };
        tracked.set(conv.id, state);
        let route = routesByPort.get(portKey(conv.transport, conv.server.port));
        if (route === undefined && conv.rolesGuessed) {
          route = routesByPort.get(portKey(conv.transport, conv.client.port));
          if (route !== undefined) swapRoles(state);
        }
        const detectable = conv.transport === 'tcp' ? tcpCandidates : udpCandidates;
        if (route !== undefined && route.module.name === PREFACE_FROM && conv.transport === 'tcp' && prefaceModule !== undefined) {
          state.preface = { rule: route, held: [], heldBytes: 0, matched: 0 };
        } else if (route !== undefined) startDecoding(state, route);
        else if (detect && detectable.length > 0) {
          state.detecting = { held: [], heldBytes: 0, dataEvents: 0, rejected: new Uint8Array(detectable.length * 2) };
        }
        return state;
      };

      const swapRoles = (state: Tracked): void => {
        swapEndpoints(state.conv);
        state.flip = state.flip === 0 ? 1 : 0;
      };

      const startDecoding = (state: Tracked, route: Route): void => {
        state.route = route;
        state.decoder = route.module.createDecoder(decoderContext(state, route, subscriber));
      };

      const decoderContext = (state: Tracked, route: Route, out: Subscriber<L7Event>): DecoderContext => {
        const protocol = route.module.name;
        return {
          conv: state.conv,
          options: route.options,
          stats,
          emit: (msg: L7Message) => out.next(msg),
          error: (reason: string) =>
            stats.counter('packetd_decode_errors_total', 'Malformed L7 bytes skipped by a decoder', { protocol, reason }).inc(),
          release: (reason: string) => {
            state.decoder = undefined;
            stats.counter('packetd_l7_released_total', 'Conversations handed back by their decoder (upgrade, tunnel, …)', { protocol, reason }).inc();
          },
          swapRoles: () => swapRoles(state),
          switchProtocol: (name: string, request?: L7Message) => {
            const module = getProtocol(name);
            if (module === undefined) {
              state.decoder = undefined;
              return undefined;
            }
            stats.counter('packetd_l7_switched_total', 'Conversations handed from one protocol decoder to another (HTTP/1.1 Upgrade: h2c, …)', { from: protocol, to: name }).inc();
            // The rule naming the new protocol, if any, gives its options; else the current rule's do.
            const next = candidates.find((c) => c.module === module) ?? { module, options: route.options };
            state.route = next;
            state.decoder = module.createDecoder({ ...decoderContext(state, next, out), upgradeRequest: request });
            return state.decoder;
          },
        };
      };

      /**
       * HTTP/2 with prior knowledge, on a port a rule gave to HTTP/1: the preface
       * (`PRI * HTTP/2.0` …) is no HTTP/1 request, and nothing but HTTP/2 starts with it, so
       * the conversation goes to http2 even when no rule names http2 (the rule asked for HTTP
       * on that port; the HTTP/1 decoder would only count errors), with the http2 rule's
       * options if there is one, else the HTTP rule's (the header options are shared). Joined
       * after the preface, the client's first segment decides: HTTP/2 when HTTP/1 rejects it
       * and it is whole plausible HTTP/2 frames (http2's strict detection).
       */
      const checkPreface = (state: Tracked, dir: Direction, payload: Buffer, ts: number): void => {
        const check = state.preface!;
        // Nearly every conversation opens with a request line: a letter other than the preface's
        // `P` is HTTP/1, and no HTTP/2 frame header starts with a letter byte (its length's top
        // byte is 0 below 4 MiB), so neither the preface nor frame detection needs looking at.
        if (dir === CLIENT_TO_SERVER && check.matched === 0 && check.held.length === 0 && opensHttp1(payload)) {
          state.preface = undefined;
          startDecoding(state, check.rule);
          state.decoder?.data(dir, payload, ts);
          return;
        }
        if (dir !== CLIENT_TO_SERVER) {
          holdForPreface(state, { dir, ts, bytes: Buffer.from(payload), gapBytes: 0 });
          return;
        }
        const chunk: HeldChunk = { dir, ts, bytes: payload, gapBytes: 0 };
        const n = Math.min(payload.length, CLIENT_PREFACE.length - check.matched);
        if (payload.compare(CLIENT_PREFACE, check.matched, check.matched + n, 0, n) !== 0) {
          const framesFromJoin =
            check.matched === 0 &&
            check.rule.module.detect(payload, CLIENT_TO_SERVER, 'tcp').verdict === 'no' &&
            prefaceModule!.detect(payload, CLIENT_TO_SERVER, 'tcp').verdict === 'yes';
          if (framesFromJoin) overriddenByFrames.inc();
          endPrefaceCheck(state, framesFromJoin ? http2Route(check.rule) : check.rule, chunk);
        } else if (check.matched + n === CLIENT_PREFACE.length) {
          overriddenByPreface.inc();
          endPrefaceCheck(state, http2Route(check.rule), chunk);
        } else {
          check.matched += n;
          holdForPreface(state, { dir, ts, bytes: Buffer.from(payload), gapBytes: 0 });
        }
      };

      const http2Route = (rule: Route): Route => {
        const module = prefaceModule!;
        return candidates.find((c) => c.module === module) ?? { module, options: rule.options };
      };

      /** Holds bytes while the preface is undecided; past the detection bound, the rule's protocol it is. */
      const holdForPreface = (state: Tracked, chunk: HeldChunk): void => {
        const check = state.preface!;
        check.held.push(chunk);
        check.heldBytes += chunk.bytes?.length ?? 0;
        if (check.heldBytes > MAX_DETECT_BYTES || check.held.length >= MAX_DETECT_EVENTS) endPrefaceCheck(state, check.rule, undefined);
      };

      /** Starts the chosen decoder on what was held, then `last` (the chunk that decided, not copied). */
      const endPrefaceCheck = (state: Tracked, route: Route, last: HeldChunk | undefined): void => {
        const held = state.preface!.held;
        state.preface = undefined;
        startDecoding(state, route);
        if (last !== undefined) held.push(last);
        for (const chunk of held) {
          const decoder = state.decoder;
          if (decoder === undefined) return;
          if (chunk.bytes === undefined) decoder.gap(chunk.dir, chunk.gapBytes, chunk.ts);
          else decoder.data(chunk.dir, chunk.bytes, chunk.ts);
        }
      };

      const giveUp = (state: Tracked): void => {
        state.detecting = undefined;
        undetected.inc();
      };

      const tryDetect = (state: Tracked, dir: Direction): void => {
        const detecting = state.detecting!;
        const transport = state.conv.transport;
        const routes = transport === 'tcp' ? tcpCandidates : udpCandidates;
        // A datagram is a message of its own: UDP is judged one datagram (the one just held) at a time.
        const firstBytes =
          transport === 'udp'
            ? detecting.held[detecting.held.length - 1]!.bytes!
            : Buffer.concat(detecting.held.filter((c) => c.dir === dir && c.bytes !== undefined).map((c) => c.bytes!));
        let rejectedEverywhere = true;
        for (let i = 0; i < routes.length; i++) {
          if (detecting.rejected[i * 2 + dir] === 0) {
            const detection = routes[i]!.module.detect(firstBytes, dir, transport);
            if (detection.verdict === 'yes') {
              chooseDetected(state, routes[i]!, dir, detection.swapRoles === true);
              return;
            }
            if (detection.verdict === 'no') detecting.rejected[i * 2 + dir] = 1;
          }
          if (detecting.rejected[i * 2] === 0 || detecting.rejected[i * 2 + 1] === 0) rejectedEverywhere = false;
        }
        if (rejectedEverywhere || detecting.heldBytes > MAX_DETECT_BYTES || detecting.dataEvents >= MAX_DETECT_EVENTS) giveUp(state);
      };

      /**
       * Replays what detection held in the direction the protocol recognised. The other
       * direction's held bytes did not start a message (joined mid-stream), so they become a
       * gap there and the decoder resyncs at its next message.
       */
      const chooseDetected = (state: Tracked, route: Route, recognised: Direction, swap: boolean): void => {
        const detecting = state.detecting!;
        state.detecting = undefined;
        if (swap) swapRoles(state);
        startDecoding(state, route);
        for (const chunk of detecting.held) {
          const decoder = state.decoder;
          if (decoder === undefined) return;
          const dir = (chunk.dir ^ state.flip) as Direction;
          if (chunk.bytes === undefined) decoder.gap(dir, chunk.gapBytes, chunk.ts);
          else if (chunk.dir !== recognised) decoder.gap(dir, chunk.bytes.length, chunk.ts);
          else decoder.data(dir, chunk.bytes, chunk.ts);
        }
      };

      const holdData = (state: Tracked, dir: Direction, payload: Buffer, ts: number): void => {
        const detecting = state.detecting!;
        detecting.held.push({ dir, ts, bytes: Buffer.from(payload), gapBytes: 0 });
        detecting.heldBytes += payload.length;
        detecting.dataEvents++;
        tryDetect(state, dir);
      };

      /** Bytes before a gap cannot start a message: drop them, detect afresh on what follows. */
      const holdGap = (state: Tracked, dir: Direction, bytes: number, ts: number): void => {
        const detecting = state.detecting!;
        let dropped = bytes;
        detecting.held = detecting.held.filter((c) => {
          if (c.dir !== dir) return true;
          dropped += c.bytes === undefined ? c.gapBytes : c.bytes.length;
          return false;
        });
        detecting.held.push({ dir, ts, bytes: undefined, gapBytes: dropped });
        for (let i = dir; i < detecting.rejected.length; i += 2) detecting.rejected[i] = 0;
      };

      const closeConversation = (conv: Conversation, ts: number): void => {
        const state = tracked.get(conv.id);
        if (state === undefined) return;
        tracked.delete(conv.id);
        if (state.detecting !== undefined && state.detecting.held.length > 0) undetected.inc();
        if (state.preface !== undefined) endPrefaceCheck(state, state.preface.rule, undefined);
        if (state.route === undefined) return;
        state.decoder?.end(ts);
        subscriber.next({ kind: 'close', conv, ts });
      };

      const endAll = (): void => {
        for (const state of [...tracked.values()]) closeConversation(state.conv, latest.ts);
      };

      const subscription = source.subscribe(
        new Hop<StreamEvent>(subscriber, {
          // Each case reads the fields of its own kind of event, so those reads see one object shape.
          next: (event) => {
            switch (event.kind) {
              case 'data': {
                const ts = event.ts;
                latest.ts = ts;
                const state = tracked.get(event.conv.id) ?? track(event.conv);
                if (state.decoder !== undefined) state.decoder.data((event.dir ^ state.flip) as Direction, event.payload, ts);
                else if (state.preface !== undefined) checkPreface(state, (event.dir ^ state.flip) as Direction, event.payload, ts);
                else if (state.detecting !== undefined) holdData(state, event.dir, event.payload, ts);
                break;
              }
              case 'gap': {
                latest.ts = event.ts;
                const state = tracked.get(event.conv.id) ?? track(event.conv);
                if (state.decoder !== undefined) state.decoder.gap((event.dir ^ state.flip) as Direction, event.bytes, event.ts);
                else if (state.preface !== undefined) {
                  // Bytes lost before the preface could be told: the rule's protocol, which resyncs.
                  const check = state.preface;
                  endPrefaceCheck(state, check.rule, { dir: (event.dir ^ state.flip) as Direction, ts: event.ts, bytes: undefined, gapBytes: event.bytes });
                } else if (state.detecting !== undefined) holdGap(state, event.dir, event.bytes, event.ts);
                break;
              }
              case 'open':
                latest.ts = event.ts;
                if (!tracked.has(event.conv.id)) track(event.conv);
                break;
              case 'close':
                latest.ts = event.ts;
                closeConversation(event.conv, event.ts);
                break;
              case 'tick':
                latest.ts = event.ts;
                subscriber.next({ kind: 'tick', ts: event.ts });
                break;
            }
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            endAll();
            subscriber.complete();
          },
        }),
      );
      return subscription;
    });
}
