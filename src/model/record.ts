import type { AttributeValue } from './message.js';
import type { MessageSummary, RoundTrip, RoundTripPartial, RoundTripStatus } from './roundtrip.js';
import type { Endpoint } from './stream.js';

/**
 * The JSON-lines contract: one `RoundTripRecord` per roundtrip, keys in snake_case, times as
 * RFC 3339 UTC strings with microseconds. Documented key by key in the README; change it only
 * additively.
 */
export interface RoundTripRecord {
  protocol: string;
  transport: 'tcp' | 'udp';
  client: Endpoint;
  server: Endpoint;
  start: string;
  end: string;
  duration_us: number;
  status: RoundTripStatus;
  request: MessageSummary | null;
  response: MessageSummary | null;
  attributes: Record<string, AttributeValue>;
  trace: { trace_id: string; span_id: string; flags: number; trace_state?: string } | null;
  conn_id: number;
  /** Present only on an incomplete roundtrip. */
  partial?: RoundTripPartial;
}

export function toRecord(rt: RoundTrip): RoundTripRecord {
  const trace = rt.trace;
  const record: RoundTripRecord = {
    protocol: rt.protocol,
    transport: rt.transport,
    client: { address: rt.client.address, port: rt.client.port },
    server: { address: rt.server.address, port: rt.server.port },
    start: formatTimestamp(rt.start),
    end: formatTimestamp(rt.end),
    duration_us: rt.durationUs,
    status: rt.status,
    request: rt.request ?? null,
    response: rt.response ?? null,
    attributes: rt.attributes,
    trace:
      trace === undefined
        ? null
        : trace.traceState === undefined
          ? { trace_id: trace.traceId, span_id: trace.spanId, flags: trace.flags }
          : { trace_id: trace.traceId, span_id: trace.spanId, flags: trace.flags, trace_state: trace.traceState },
    conn_id: rt.connId,
  };
  if (rt.partial !== undefined) record.partial = rt.partial;
  return record;
}

/*
 * Records come in packet-time order and start/end mostly fall in the same few seconds, so the
 * "YYYY-MM-DDTHH:MM:SS." prefix is cached for the last two seconds seen instead of building a
 * Date per call.
 */
let cachedSecondA = NaN;
let cachedPrefixA = '';
let cachedSecondB = NaN;
let cachedPrefixB = '';

/** Microseconds since the epoch → "2026-11-22T04:37:44.123456Z". */
export function formatTimestamp(us: number): string {
  const second = Math.floor(us / 1_000_000);
  const micros = Math.floor(us) - second * 1_000_000;
  let prefix: string;
  if (second === cachedSecondA) prefix = cachedPrefixA;
  else if (second === cachedSecondB) prefix = cachedPrefixB;
  else {
    prefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecondB = cachedSecondA;
    cachedPrefixB = cachedPrefixA;
    cachedSecondA = second;
    cachedPrefixA = prefix;
  }
  return prefix + String(micros).padStart(6, '0') + 'Z';
}
