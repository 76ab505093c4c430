import { createTraceState, SpanStatusCode, type Attributes, type HrTime, type Link, type SpanContext, type SpanKind, type SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { SPAN_IDS_BYTES, TRACE_ID_BYTES } from './ids.js';

const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];

/** Packet time in microseconds since the epoch as OpenTelemetry's [seconds, nanoseconds]. */
export function hrTimeOf(us: number): HrTime {
  const seconds = Math.floor(us / 1e6);
  return [seconds, (us - seconds * 1e6) * 1000];
}

/**
 * A finished span built from a roundtrip. It keeps what the wire format needs as it is
 * (ids as bytes, packet times in µs, the tracestate as text), which the `otlp` sink's own encoder
 * reads directly; the SDK's shapes (SpanContext, HrTime, TraceState) are made only when read,
 * so the OpenTelemetry serializers (JSON) and tests read it like any SDK span while the
 * protobuf path never pays for them. It is made directly rather than through a tracer, whose
 * clock and id generator would have to be bent to fit.
 */
export class RoundTripSpan implements ReadableSpan {
  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    /** Holds the trace id (16 bytes) then the span id (8 bytes) from `idsAt` (see IdSlots). */
    readonly ids: Buffer,
    readonly idsAt: number,
    /** W3C trace flags (bit 0: sampled). */
    readonly traceFlags: number,
    /** The caller's span id, from the request's `traceparent`: a remote parent. Undefined for a root span. */
    readonly parentSpanId: string | undefined,
    /** The request's `tracestate` (see `tracestateOf`). */
    readonly traceState: string | undefined,
    readonly startUs: number,
    readonly endUs: number,
    readonly status: SpanStatus,
    readonly attributes: Attributes,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {}

  /** 32 lower-case hex digits. */
  get traceId(): string {
    return this.ids.toString('hex', this.idsAt, this.idsAt + TRACE_ID_BYTES);
  }

  /** 16 lower-case hex digits. */
  get spanId(): string {
    return this.ids.toString('hex', this.idsAt + TRACE_ID_BYTES, this.idsAt + SPAN_IDS_BYTES);
  }

  spanContext(): SpanContext {
    const context: SpanContext = { traceId: this.traceId, spanId: this.spanId, traceFlags: this.traceFlags };
    if (this.traceState !== undefined) context.traceState = createTraceState(this.traceState);
    return context;
  }

  get parentSpanContext(): SpanContext | undefined {
    if (this.parentSpanId === undefined) return undefined;
    const parent: SpanContext = { traceId: this.traceId, spanId: this.parentSpanId, traceFlags: this.traceFlags, isRemote: true };
    if (this.traceState !== undefined) parent.traceState = createTraceState(this.traceState);
    return parent;
  }

  get startTime(): HrTime {
    return hrTimeOf(this.startUs);
  }

  get endTime(): HrTime {
    return hrTimeOf(this.endUs);
  }

  get duration(): HrTime {
    return hrTimeOf(this.endUs - this.startUs);
  }

  // Constant for every roundtrip span: on the prototype, not in each object.
  get links(): Link[] {
    return NO_LINKS;
  }

  get events(): TimedEvent[] {
    return NO_EVENTS;
  }

  get ended(): boolean {
    return true;
  }

  get droppedAttributesCount(): number {
    return 0;
  }

  get droppedEventsCount(): number {
    return 0;
  }

  get droppedLinksCount(): number {
    return 0;
  }
}

/**
 * A request's `tracestate` as the W3C rules read it (invalid members dropped, at most 32
 * kept, spaces trimmed), so every encoding carries the same text; undefined when none is left.
 */
export function tracestateOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return createTraceState(header).serialize() || undefined;
}

export const UNSET_STATUS: SpanStatus = { code: SpanStatusCode.UNSET };
