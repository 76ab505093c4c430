import { SpanKind, SpanStatusCode, type SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { map } from 'rxjs';
import { z } from 'zod';
import type { RoundTrip } from '../../model/roundtrip.js';
import type { ProcessorFactory } from '../../pipeline/component.js';
import { buildResource } from '../../telemetry/resource.js';
import { spanAttributes, type HeaderSelection } from './attributes.js';
import { IdSlots, RandomIds, TRACE_ID_BYTES, type IdSource } from './ids.js';
import { PathTemplates, spanKind, spanName } from './naming.js';
import { RoundTripSpan, tracestateOf, UNSET_STATUS } from './span.js';

const headerNames = z.array(z.string().min(1).transform((name) => name.toLowerCase())).default([]);

export const toSpansOptions = z.strictObject({
  /** Which side every span stands for; `auto` follows the protocol's semantic conventions. */
  kind: z.enum(['auto', 'server', 'client']).default('auto'),
  /** Header values to record as `http.request.header.<name>` / `http.response.header.<name>`. */
  request_headers: headerNames,
  response_headers: headerNames,
});
export type ToSpansOptions = z.output<typeof toSpansOptions>;

const SCOPE: InstrumentationScope = { name: 'packetd' };
const SAMPLED = 1;
const FIXED_KIND = { server: SpanKind.SERVER, client: SpanKind.CLIENT } as const;

function statusOf(rt: RoundTrip): SpanStatus {
  if (rt.status === 'ok') return UNSET_STATUS;
  if (rt.status === 'unanswered') return { code: SpanStatusCode.ERROR, message: 'unanswered: no response seen' };
  const a = rt.attributes;
  const httpStatus = a['http.response.status_code'];
  if (httpStatus !== undefined) return { code: SpanStatusCode.ERROR, message: `HTTP ${httpStatus}` };
  const errorType = a['error.type'];
  return { code: SpanStatusCode.ERROR, message: errorType === undefined ? `${rt.protocol} error` : String(errorType) };
}

/**
 * Builds one span per roundtrip. Separate from the operator so tests and embedders can give
 * their own ids and resource.
 */
export function spanBuilder(options: ToSpansOptions, resource: Resource, ids: IdSource = new RandomIds()): (rt: RoundTrip) => RoundTripSpan {
  const paths = new PathTemplates();
  const headers: HeaderSelection = { request: options.request_headers, response: options.response_headers };
  const slots = new IdSlots();
  return (rt) => {
    const kind = options.kind === 'auto' ? spanKind(rt) : FIXED_KIND[options.kind];
    const trace = rt.trace;
    const at = slots.take();
    const slot = slots.current;
    if (trace === undefined) ids.traceId(slot, at);
    else slot.write(trace.traceId, at, TRACE_ID_BYTES, 'hex');
    ids.spanId(slot, at + TRACE_ID_BYTES);
    return new RoundTripSpan(
      spanName(rt, paths),
      kind,
      slot,
      at,
      trace === undefined ? SAMPLED : trace.flags,
      trace?.spanId,
      tracestateOf(trace?.traceState),
      rt.start,
      rt.end,
      statusOf(rt),
      spanAttributes(rt, kind, headers),
      resource,
      SCOPE,
    );
  };
}

/**
 * One span per roundtrip, named and attributed by the OpenTelemetry semantic conventions of
 * its protocol, timed by its packets. A request that carried W3C `traceparent` joins that
 * trace as a child of the caller's span; others start a trace of their own. Errors and
 * unanswered requests get status ERROR with a description. Spans describe the pipeline's
 * `resource:`.
 *
 * ```
 * toSpans()
 * --a(GET /users/42, 200)--b(GET /fail, 500)--|
 * --A("GET /users/{id}")---B("GET /fail", ERROR "HTTP 500")--|
 * ```
 */
export const toSpans: ProcessorFactory<ToSpansOptions, RoundTrip, RoundTripSpan> = (options, context) =>
  map(spanBuilder(options, buildResource(context.resource)));
