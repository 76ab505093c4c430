import { Observable, type OperatorFunction } from 'rxjs';
import type { Attributes, L7Event, L7Message } from '../model/message.js';
import type { RoundTrip, RoundTripPartial, RoundTripStatus } from '../model/roundtrip.js';
import type { Counter, Stats } from '../pipeline/stats.js';
import { getProtocol } from '../protocols/registry.js';
import type { MatchStrategy, ProtocolModule } from '../protocols/types.js';
import { Hop } from './hop.js';
import { RequestQueue } from './request-queue.js';

export interface MatchOptions {
  stats: Stats;
  /** A request with no response this long (packet time, after its last byte) is unanswered. Default 30 s. */
  requestTimeoutUs?: number;
  /** More pending requests than this on one conversation: the oldest is emitted unanswered. Default 1024. */
  maxPendingPerConversation?: number;
}

const DEFAULT_REQUEST_TIMEOUT_US = 30_000_000;
const DEFAULT_MAX_PENDING = 1024;
/** Without ticks, all conversations are checked for timeouts at most this often (packet time). */
const FULL_SCAN_INTERVAL_US = 1_000_000;

interface ProtocolEntry {
  module: ProtocolModule | undefined;
  strategy: MatchStrategy;
  counters: Record<RoundTripStatus, Counter>;
  /** Incomplete roundtrips, by what is missing (made on first use). */
  partial: Partial<Record<RoundTripPartial, Counter>>;
}

/**
 * Pairs requests with responses into roundtrips, by the protocol's strategy: `ordered` (each
 * response answers the oldest pending request of its conversation), `id` (the pending request
 * with the response's `id`) or `stream` (the decoder paired them: `response.request`).
 * A request with no response becomes an `unanswered` roundtrip when it times out (checked on
 * ticks and later messages), when its conversation closes, or at end of input; its end is its
 * own last byte, so its duration is the request's own. `noReply` requests are roundtrips
 * without a response right away. Status is `error` when the protocol's `combine` (or else the
 * response's `error` flag) says so.
 *
 * A response with no pending request (the capture started after its request, a one-sided tap,
 * an unsolicited DNS answer), or one its decoder marks `requestMissing`, is still a roundtrip:
 * no request, `partial: 'request_missing'`, its status from the response. An `ordered`
 * response that names its request (`request`) pairs with exactly that one; older requests
 * still pending will get no response (it was lost) and become unanswered, `partial: 'gap'`. Roundtrips with a partial message carry its reason (`gap`, `framing`).
 *
 * ```
 * source:  --q1--q2--r1--r2--q3--c--|
 * match():  ---------a---b-------u--|     (a = q1+r1, b = q2+r2, u = q3 unanswered)
 * ```
 */
export function match(options: MatchOptions): OperatorFunction<L7Event, RoundTrip> {
  const { stats } = options;
  const timeoutUs = options.requestTimeoutUs ?? DEFAULT_REQUEST_TIMEOUT_US;
  const maxPending = options.maxPendingPerConversation ?? DEFAULT_MAX_PENDING;
  const scanIntervalUs = Math.min(timeoutUs, FULL_SCAN_INTERVAL_US);
  const overflowCounters = new Map<string, Counter>();
  const unmatchedCounters = new Map<string, Counter>();
  // One lookup per message for everything the matcher needs to know about its protocol.
  const protocols = new Map<string, ProtocolEntry>();

  const protocolOf = (name: string): ProtocolEntry => {
    let entry = protocols.get(name);
    if (entry === undefined) {
      const module = getProtocol(name);
      const make = (status: RoundTripStatus) =>
        stats.counter('packetd_roundtrips_total', 'Roundtrips emitted by the matcher', { protocol: name, status });
      entry = {
        module,
        strategy: module?.match ?? 'ordered',
        counters: { ok: make('ok'), error: make('error'), unanswered: make('unanswered') },
        partial: {},
      };
      protocols.set(name, entry);
    }
    return entry;
  };

  const countPer = (counters: Map<string, Counter>, name: string, help: string, protocol: string): void => {
    let counter = counters.get(protocol);
    if (counter === undefined) {
      counter = stats.counter(name, help, { protocol });
      counters.set(protocol, counter);
    }
    counter.inc();
  };

  return (source) =>
    new Observable<RoundTrip>((subscriber) => {
      /** Per conversation id, its requests still waiting for a response. */
      const waiting = new Map<number, RequestQueue>();
      let lastFullScan = -Infinity;

      const emit = (request: L7Message, response: L7Message | undefined, protocol: ProtocolEntry): void => {
        report(toRoundTrip(request, response, protocol.module), protocol);
      };

      const report = (rt: RoundTrip, protocol: ProtocolEntry): void => {
        protocol.counters[rt.status].inc();
        if (rt.partial !== undefined) countPartial(protocol, rt.protocol, rt.partial);
        subscriber.next(rt);
      };

      const countPartial = (protocol: ProtocolEntry, name: string, partial: RoundTripPartial): void => {
        const counter = (protocol.partial[partial] ??= stats.counter(
          'packetd_roundtrips_partial_total',
          'Roundtrips reported incomplete: the request was not seen, or a message was cut by lost bytes or broken framing',
          { protocol: name, partial },
        ));
        counter.inc();
      };

      const emitUnanswered = (request: L7Message): void => emit(request, undefined, protocolOf(request.protocol));

      /** A request passed over by a later one's response: its own response was lost. */
      const emitLost = (request: L7Message, protocol: ProtocolEntry): void => {
        const rt = toRoundTrip(request, undefined, protocol.module);
        rt.partial ??= 'gap';
        report(rt, protocol);
      };

      /** A response no pending request accounts for: reported on its own. */
      const emitLone = (response: L7Message, protocol: ProtocolEntry): void => {
        countPer(unmatchedCounters, 'packetd_match_unmatched_responses_total', 'Responses with no pending request', response.protocol);
        report(loneRoundTrip(response, protocol.module), protocol);
      };

      const expire = (requests: RequestQueue, now: number): void => {
        for (let oldest = requests.oldest(); oldest !== undefined && oldest.end + timeoutUs <= now; oldest = requests.oldest()) {
          emitUnanswered(requests.shift());
        }
      };

      const expireAll = (now: number): void => {
        lastFullScan = now;
        for (const requests of waiting.values()) expire(requests, now);
      };

      const flush = (convId: number): void => {
        const requests = waiting.get(convId);
        if (requests === undefined) return;
        waiting.delete(convId);
        for (const request of requests.drain()) emitUnanswered(request);
      };

      const addRequest = (msg: L7Message, own: RequestQueue | undefined): void => {
        let requests = own;
        if (requests === undefined) {
          requests = new RequestQueue();
          waiting.set(msg.conv.id, requests);
        } else if (requests.size >= maxPending) {
          countPer(overflowCounters, 'packetd_match_pending_overflow_total', 'Pending requests emitted unanswered because their conversation had too many', msg.protocol);
          emitUnanswered(requests.shift());
        }
        requests.push(msg);
      };

      const answer = (msg: L7Message, requests: RequestQueue | undefined, protocol: ProtocolEntry): void => {
        if (requests === undefined || requests.size === 0 || msg.requestMissing === true) return emitLone(msg, protocol);
        if (protocol.strategy === 'id') {
          // A request resent with a pending id (a resolver's retry) waits behind the first: the
          // one answer a server gives is the first's (it answers a retry only if it lost the
          // first), so the retry stays pending and is unanswered unless a second answer comes.
          const index = requests.indexOfId(msg.id);
          if (index < 0) return emitLone(msg, protocol);
          return emit(requests.removeAt(index), msg, protocol);
        }
        const named = msg.request;
        if (named === undefined) return emit(requests.shift(), msg, protocol);
        // Responses come in request order: requests older than the one answered never will be,
        // their responses were lost (the decoder skipped them), so they say so.
        const index = requests.indexOf(named);
        if (index < 0) return emitLone(msg, protocol);
        for (let i = 0; i < index; i++) emitLost(requests.shift(), protocol);
        emit(requests.shift(), msg, protocol);
      };

      const onMessage = (msg: L7Message): void => {
        const protocol = protocolOf(msg.protocol);
        if (protocol.strategy === 'stream') {
          if (msg.type === 'request') emit(msg, undefined, protocol);
          else if (msg.request !== undefined) emit(msg.request, msg, protocol);
          else emitLone(msg, protocol);
          return;
        }
        // Queues live until their conversation closes: requests come and go on a connection
        // many times, and recreating the queue each time showed in profiles.
        const own = waiting.get(msg.conv.id);
        if (own !== undefined) expire(own, msg.start);
        if (msg.type === 'response') answer(msg, own, protocol);
        else if (msg.noReply === true) emit(msg, undefined, protocol);
        else addRequest(msg, own);
      };

      const subscription = source.subscribe(
        new Hop<L7Event>(subscriber, {
          next: (event) => {
            if (!('kind' in event)) {
              onMessage(event);
              if (event.end - lastFullScan >= scanIntervalUs) expireAll(event.end);
              return;
            }
            switch (event.kind) {
              case 'close':
                flush(event.conv.id);
                break;
              case 'tick':
                expireAll(event.ts);
                break;
            }
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            for (const convId of [...waiting.keys()]) flush(convId);
            subscriber.complete();
          },
        }),
      );
      return subscription;
    });
}

function summary(msg: L7Message): NonNullable<RoundTrip['request']> {
  const out: NonNullable<RoundTrip['request']> = msg.details === undefined ? { size: msg.size } : { size: msg.size, ...msg.details };
  if (msg.partial !== undefined) out.partial = msg.partial;
  return out;
}

function toRoundTrip(request: L7Message, response: L7Message | undefined, module: ProtocolModule | undefined): RoundTrip {
  // The matcher owns the messages it is given: the request's attributes become the roundtrip's.
  const attributes: Attributes = response === undefined ? request.attributes : Object.assign(request.attributes, response.attributes);
  let error = response === undefined ? request.error === true : response.error === true;
  if (module?.combine !== undefined) {
    const combined = module.combine(request, response);
    Object.assign(attributes, combined.attributes);
    error = combined.error;
  }
  const answered = response !== undefined || request.noReply === true;
  const status: RoundTripStatus = !answered ? 'unanswered' : error ? 'error' : 'ok';
  const conv = request.conv;
  if (conv.tunnel !== undefined) Object.assign(attributes, conv.tunnel);
  // Bytes released from behind a hole keep their own, earlier packet times, so a message's
  // last event can be older than its first: a roundtrip never ends before it starts.
  const last = response === undefined ? request.end : response.end;
  const end = last < request.start ? request.start : last;
  return {
    protocol: request.protocol,
    transport: conv.transport,
    client: conv.client,
    server: conv.server,
    start: request.start,
    end,
    durationUs: end - request.start,
    status,
    request: summary(request),
    response: response === undefined ? undefined : summary(response),
    attributes,
    trace: request.trace,
    connId: conv.id,
    partial: request.partial ?? response?.partial,
  };
}

/** A response whose request was not seen: timed by its own bytes, its status from it. */
function loneRoundTrip(response: L7Message, module: ProtocolModule | undefined): RoundTrip {
  const attributes = response.attributes;
  let error = response.error === true;
  if (module?.combine !== undefined) {
    const combined = module.combine(undefined, response);
    Object.assign(attributes, combined.attributes);
    error = combined.error;
  }
  const conv = response.conv;
  if (conv.tunnel !== undefined) Object.assign(attributes, conv.tunnel);
  const end = response.end < response.start ? response.start : response.end;
  return {
    protocol: response.protocol,
    transport: conv.transport,
    client: conv.client,
    server: conv.server,
    start: response.start,
    end,
    durationUs: end - response.start,
    status: error ? 'error' : 'ok',
    request: undefined,
    response: summary(response),
    attributes,
    trace: undefined,
    connId: conv.id,
    partial: 'request_missing',
  };
}
