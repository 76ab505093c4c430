import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import type { RoundTrip } from '../model/roundtrip.js';
import { filter, filterOptions } from '../processors/filter.js';
import { toMetrics, toMetricsOptions } from '../processors/to-metrics/index.js';
import { toSpans, toSpansOptions } from '../processors/to-spans/index.js';
import { jsonlOptions, jsonlSink } from '../sinks/jsonl.js';
import { nullOptions, nullSink } from '../sinks/null.js';
import { otlpTraceOptions, otlpTraceSink } from '../sinks/otlp/trace-sink.js';
import { otlpMetricOptions, otlpMetricSink } from '../sinks/otlp-metrics/index.js';
import { prometheusOptions, prometheusSink } from '../sinks/prometheus/index.js';
import { textOptions, textSink } from '../sinks/text.js';
import { ROUNDTRIP_FLOW, type ComponentContext, type ItemFlow, type ItemKind, type ProcessorFactory, type SinkFactory } from './component.js';

/**
 * A built-in component: its options schema, its factory (which gets the parsed options) and
 * the kinds of item it takes and gives (see PipelineItems in component.ts).
 */
export interface BuiltinComponent<F> extends ItemFlow {
  options: z.ZodType;
  create: F;
}

/**
 * The factory only ever gets what `options` parsed, and load.ts checks that the kinds of a
 * chain fit, so its own options and item types can be erased here.
 */
function builtin<O, F>(
  options: z.ZodType<O>,
  create: (options: O, context: ComponentContext) => unknown,
  flow: ItemFlow = ROUNDTRIP_FLOW,
): BuiltinComponent<F> {
  return { options, create: create as unknown as F, ...flow };
}

const SPAN_SINK: ItemFlow = { takes: 'span', gives: 'span' };
const METRIC_SINK: ItemFlow = { takes: 'metric', gives: 'metric' };

const processors = new Map<string, BuiltinComponent<ProcessorFactory>>([
  ['filter', builtin(filterOptions, filter)],
  ['toSpans', builtin(toSpansOptions, toSpans, { takes: 'roundtrip', gives: 'span' })],
  ['toMetrics', builtin(toMetricsOptions, toMetrics, { takes: 'roundtrip', gives: 'metric' })],
]);

/**
 * A sink name may have one implementation per kind of item it takes (`otlp` writes spans, and
 * metric points once they exist); the pipeline's chain picks the variant.
 */
const sinks = new Map<string, BuiltinComponent<SinkFactory>[]>();
const builtinSinks: [string, BuiltinComponent<SinkFactory>][] = [
  ['jsonl', builtin(jsonlOptions, jsonlSink)],
  ['text', builtin(textOptions, textSink)],
  ['null', builtin(nullOptions, nullSink)],
  ['otlp', builtin(otlpTraceOptions, otlpTraceSink, SPAN_SINK)],
  ['otlp', builtin(otlpMetricOptions, otlpMetricSink, METRIC_SINK)],
  ['prometheus', builtin(prometheusOptions, prometheusSink, METRIC_SINK)],
];
for (const [name, component] of builtinSinks) {
  addSink(name, component);
}

function addSink(name: string, component: BuiltinComponent<SinkFactory>): void {
  const variants = (sinks.get(name) ?? []).filter((v) => v.takes !== component.takes);
  sinks.set(name, [...variants, component]);
}

export function getProcessor(name: string): BuiltinComponent<ProcessorFactory> | undefined {
  return processors.get(name);
}

/** The variant of sink `name` that takes `kind`, else its first one (load.ts then reports the mismatch). */
export function getSink(name: string, kind?: ItemKind): BuiltinComponent<SinkFactory> | undefined {
  const variants = sinks.get(name);
  return variants?.find((v) => v.takes === kind) ?? variants?.[0];
}

export function processorNames(): string[] {
  return [...processors.keys()];
}

export function sinkNames(): string[] {
  return [...sinks.keys()];
}

/** Add a built-in processor (for embedders; pipeline files name it like the bundled ones). */
export function registerProcessor<O, In = RoundTrip, Out = In>(
  name: string,
  options: z.ZodType<O>,
  create: ProcessorFactory<O, In, Out>,
  flow: ItemFlow = ROUNDTRIP_FLOW,
): void {
  processors.set(name, builtin(options, create, flow));
}

/** Add a built-in sink; `takes` names the kind of item it writes (default roundtrip). */
export function registerSink<O, T = RoundTrip>(name: string, options: z.ZodType<O>, create: SinkFactory<O, T>, takes: ItemKind = 'roundtrip'): void {
  addSink(name, builtin(options, create, { takes, gives: takes }));
}

/** `use: ./my-processor.js` (or ../, or an absolute path) loads a module instead of a built-in. */
export function isModulePath(use: string): boolean {
  return use.startsWith('./') || use.startsWith('../') || isAbsolute(use);
}

/**
 * Imports a custom processor module, resolved against the pipeline file's directory. Its
 * default export (or its `createProcessor` export) is the ProcessorFactory. Throws an Error
 * with a one-line message when the module cannot be loaded or exports no factory.
 */
export async function loadProcessorModule(use: string, baseDir: string): Promise<ProcessorFactory> {
  const file = resolve(baseDir, use);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(file)) throw new Error(`cannot load ${use}: no such file (${file})`);
    throw new Error(`cannot load ${use}: ${e.message.split('\n')[0]}`);
  }
  const factory = typeof mod.default === 'function' ? mod.default : mod.createProcessor;
  if (typeof factory !== 'function') {
    throw new Error(`${use} exports no processor factory (expected a default export or "createProcessor": (options, context) => operator)`);
  }
  return factory as ProcessorFactory;
}
