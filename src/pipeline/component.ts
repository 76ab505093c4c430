import type { OperatorFunction } from 'rxjs';
import type { RoundTrip } from '../model/roundtrip.js';
import type { FlowGate } from './flow-gate.js';
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
}

/** Processors transform the shared roundtrip stream; custom ones export one as default. */
export type ProcessorFactory<O = Record<string, unknown>> = (
  options: O,
  context: ComponentContext,
) => OperatorFunction<RoundTrip, RoundTrip>;

/**
 * A sink takes roundtrips at the end of a named pipeline. `write` must not block; an
 * asynchronous sink with a full buffer holds `context.gate` until it drains.
 */
export interface Sink {
  write(rt: RoundTrip): void;
  /** Everything written so far is out (or counted as dropped). */
  flush(): Promise<void>;
  /** Flush, then release resources. Called once at end of input or on stop. */
  shutdown(): Promise<void>;
}

export type SinkFactory<O = Record<string, unknown>> = (options: O, context: ComponentContext) => Sink;
