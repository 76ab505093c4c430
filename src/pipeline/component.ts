import type { OperatorFunction } from 'rxjs';
import type { Attributes } from '../model/message.js';
import type { RoundTrip } from '../model/roundtrip.js';
import type { RoundTripSpan } from '../processors/to-spans/span.js';
import type { FlowGate } from './flow-gate.js';
import type { MetricsHub } from '../telemetry/metrics-hub.js';
import type { Stats } from './stats.js';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** What every component factory gets besides its own options. */
export interface ComponentContext {
  stats: Stats;
  gate: FlowGate;
  log: Logger;
  /** Directory of the pipeline file: relative paths in options resolve against it. */
  baseDir: string;
  /**
   * OpenTelemetry resource attributes from the pipeline's top-level `resource:` key, with
   * `service.name` (default "packetd") and `host.name` filled in. Whatever exports OTLP (spans,
   * metrics) describes itself with these: build the SDK object with
   * `buildResource(context.resource)` from src/telemetry/resource.ts.
   */
  resource: Attributes;
  /**
   * The run's metrics: a MeterProvider that processors record into and metric sinks read,
   * together with packetd's own Stats (src/telemetry/metrics-hub.ts). `metricsHub(context)`
   * makes it on first use; the components of a run share one context, hence one hub.
   */
  metrics?: MetricsHub;
}

/**
 * What flows through a named pipeline, by kind. Every pipeline starts with roundtrips; a
 * processor may turn them into another kind (`toSpans`: roundtrip → span). Each built-in
 * processor declares the kind it takes and gives, each sink the kind it takes (registry.ts,
 * `registerProcessor(…, { takes, gives })`; default roundtrip → roundtrip), and load.ts rejects
 * a chain that does not fit, at the YAML line of the offending `use`. Custom processor modules
 * are roundtrip → roundtrip. A new kind (metric points, flow records, …) is one more entry here.
 */
export interface PipelineItems {
  roundtrip: RoundTrip;
  /** An OpenTelemetry span (a ReadableSpan) made from a roundtrip: see src/processors/to-spans/span.ts. */
  span: RoundTripSpan;
  /**
   * Metrics recorded into `context.metrics` (toMetrics); no item flows, the kind only tells
   * which sinks may follow (`prometheus`, the metrics variant of `otlp`): they read the meter.
   */
  metric: never;
}
export type ItemKind = keyof PipelineItems;

/** The kinds a component takes and gives (a sink gives nothing; its `gives` equals `takes`). */
export interface ItemFlow {
  takes: ItemKind;
  gives: ItemKind;
}

export const ROUNDTRIP_FLOW: ItemFlow = { takes: 'roundtrip', gives: 'roundtrip' };

/**
 * Processors transform a pipeline's stream: roundtrips by default, or the kinds they declare.
 * Custom ones export one as default.
 */
export type ProcessorFactory<O = Record<string, unknown>, In = RoundTrip, Out = In> = (
  options: O,
  context: ComponentContext,
) => OperatorFunction<In, Out>;

/**
 * A sink takes items (roundtrips by default) at the end of a named pipeline. `write` must not
 * block; an asynchronous sink with a full buffer holds `context.gate` until it drains.
 */
export interface Sink<T = RoundTrip> {
  write(item: T): void;
  /** Everything written so far is out (or counted as dropped). */
  flush(): Promise<void>;
  /** Flush, then release resources. Called once at end of input or on stop. */
  shutdown(): Promise<void>;
}

export type SinkFactory<O = Record<string, unknown>, T = RoundTrip> = (options: O, context: ComponentContext) => Sink<T>;
