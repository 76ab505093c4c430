import { catchError, EMPTY, fromEvent, takeUntil, type Observable } from 'rxjs';
import type { RawPacket } from '../model/packet.js';
import type { RoundTrip, RoundTripPartial, RoundTripStatus } from '../model/roundtrip.js';
import { Broadcast } from '../operators/broadcast.js';
import { decodeFrames } from '../operators/decodeFrames.js';
import { decodeL7 } from '../operators/decodeL7.js';
import { Consumer } from '../operators/hop.js';
import { match } from '../operators/match.js';
import { reassemble } from '../operators/reassemble.js';
import { readCapture } from '../sources/index.js';
import type { ComponentContext, Logger, Sink } from './component.js';
import { FlowGate } from './flow-gate.js';
import type { PipelineConfig } from './load.js';
import { Stats } from './stats.js';

export interface RunOptions {
  /** Overrides the pipeline's source: a capture file, "-" for stdin, or a readable stream. */
  input?: string | NodeJS.ReadableStream;
  /** Counters land here (a fresh Stats by default). */
  stats?: Stats;
  log?: Logger;
  /** Aborting ends the input early (e.g. on Ctrl-C); everything decoded so far is still flushed. */
  signal?: AbortSignal;
  /** Packets from a source built outside (a live capture's feed) instead of the pipeline's source; the run ends when they complete. */
  packets?: Observable<RawPacket>;
  /** Packet time while `packets` is quiet (a live feed's clock ticks, µs), so state still expires. */
  clock?: Observable<number>;
  /** The run's flow gate, when the packet source must see it (a live feed queues while it is held). */
  gate?: FlowGate;
  /** Flush every sink this often (ms): a live run's output then shows up while it runs. */
  flushEveryMs?: number;
}

export interface RunSummary {
  packets: number;
  roundtrips: number;
  /** protocol → status → roundtrips. */
  roundtripsByProtocol: Record<string, Partial<Record<RoundTripStatus, number>>>;
  /** protocol → what was missing → roundtrips reported incomplete (also counted by status above). */
  partialByProtocol: Record<string, Partial<Record<RoundTripPartial, number>>>;
  /** Sum of every `packetd_decode_errors_total` series. */
  decodeErrors: number;
  /** Why the input ended early (CaptureFormatError for a malformed capture, or an I/O error). */
  sourceError: Error | undefined;
  /** A pipeline whose processors failed stops; the other pipelines go on. */
  pipelineErrors: { pipeline: string; error: Error }[];
  stats: Stats;
}

export const stderrLogger: Logger = {
  info: (msg) => process.stderr.write(`packetd: ${msg}\n`),
  warn: (msg) => process.stderr.write(`packetd: warning: ${msg}\n`),
  error: (msg) => process.stderr.write(`packetd: error: ${msg}\n`),
};

/**
 * Runs a validated pipeline to the end of its input:
 * readCapture → decodeFrames → reassemble → decodeL7 → match → (shared) → each named
 * pipeline's processors → its sinks. A source error ends the input instead of failing the
 * stream, so every operator completes and flushes what it holds (pending requests become
 * unanswered roundtrips) before the error is reported in the summary. Resolves after every
 * sink has shut down.
 */
export async function runPipeline(config: PipelineConfig, options: RunOptions = {}): Promise<RunSummary> {
  const stats = options.stats ?? new Stats();
  const gate = options.gate ?? new FlowGate();
  const input = options.input ?? config.source.pcap?.path;
  if (options.packets === undefined && input === undefined) {
    throw new Error(`${config.file}: a live source runs in an Agent (src/agent/agent.ts), which passes its packets to runPipeline`);
  }
  const context: ComponentContext = { stats, gate, log: options.log ?? stderrLogger, baseDir: config.baseDir, resource: config.resource };
  const summary: RunSummary = {
    packets: 0,
    roundtrips: 0,
    roundtripsByProtocol: {},
    partialByProtocol: {},
    decodeErrors: 0,
    sourceError: undefined,
    pipelineErrors: [],
    stats,
  };

  const pipelines = config.pipelines.map((pipeline) => ({
    name: pipeline.name,
    operators: pipeline.processors.map((p) => p.create(p.options, context)),
    sinks: [] as Sink[],
  }));
  try {
    for (const [i, pipeline] of config.pipelines.entries()) {
      for (const s of pipeline.sinks) pipelines[i].sinks.push(s.create(s.options, context));
    }
  } catch (err) {
    await Promise.all(pipelines.flatMap((p) => p.sinks.map((sink) => sink.shutdown())));
    throw err;
  }

  let packets$ = (options.packets ?? readCapture(input!, { gate, stats })).pipe(
    catchError((err: Error) => {
      summary.sourceError = err;
      return EMPTY;
    }),
  );
  if (options.signal) packets$ = packets$.pipe(takeUntil(fromEvent(options.signal, 'abort')));

  const decoded$ = packets$.pipe(
    decodeFrames({ stats, ...config.frames }),
    reassemble({ stats, clock: options.clock, ...config.reassembly }),
    decodeL7({ stats, rules: config.protocols, detect: config.detect }),
    match({ stats, ...config.match }),
  );
  // Every pipeline (and any processor subscribing twice) shares one decoding, started once all are subscribed.
  const shared = new Broadcast<RoundTrip>();
  const roundtrips$ = shared.observable;

  const before = countsByProtocol(stats, ROUNDTRIPS, 'status');
  const partialBefore = countsByProtocol(stats, PARTIAL_ROUNDTRIPS, 'partial');
  // The pipelines' own subscriptions tell when the input is done; without any, one that only waits.
  const finished: Promise<void>[] = pipelines.length > 0 ? [] : [completionOf(roundtrips$)];
  for (const pipeline of pipelines) {
    const processed$ = pipeline.operators.reduce((stream$, operator) => operator(stream$), roundtrips$ as Observable<RoundTrip>);
    finished.push(
      new Promise((resolve) => {
        const sinks = pipeline.sinks;
        processed$.subscribe(
          new Consumer<RoundTrip>({
            next: sinks.length === 1 ? (item) => sinks[0].write(item) : (item) => sinks.forEach((sink) => sink.write(item)),
            error: (err: unknown) => {
              const error = err instanceof Error ? err : new Error(String(err));
              summary.pipelineErrors.push({ pipeline: pipeline.name, error });
              context.log.error(`pipeline ${pipeline.name}: ${error.message}`);
              resolve();
            },
            complete: resolve,
          }),
        );
      }),
    );
  }
  decoded$.subscribe(shared);
  const flushAll = (): void => pipelines.forEach((p) => p.sinks.forEach((sink) => sink.flush().catch(() => undefined)));
  const flusher = options.flushEveryMs ? setInterval(flushAll, options.flushEveryMs) : undefined;
  await Promise.all(finished);
  clearInterval(flusher);
  await Promise.all(pipelines.flatMap((p) => p.sinks.map((sink) => sink.shutdown())));

  // readCapture counts what it reads; the same name and labels return its counter.
  summary.packets = stats.counter('packetd_packets_read_total', 'Packets read from capture sources').value;
  summary.roundtripsByProtocol = countsSince(before, countsByProtocol(stats, ROUNDTRIPS, 'status'));
  for (const byStatus of Object.values(summary.roundtripsByProtocol)) for (const n of Object.values(byStatus)) summary.roundtrips += n;
  summary.partialByProtocol = countsSince(partialBefore, countsByProtocol(stats, PARTIAL_ROUNDTRIPS, 'partial'));
  for (const counter of stats.allCounters()) {
    if (counter.name === 'packetd_decode_errors_total') summary.decodeErrors += counter.value;
  }
  return summary;
}

const ROUNDTRIPS = 'packetd_roundtrips_total';
const PARTIAL_ROUNDTRIPS = 'packetd_roundtrips_partial_total';
type CountsByProtocol = Record<string, Record<string, number>>;

/**
 * Roundtrips emitted so far, by protocol and one more label, from the matcher's counters:
 * counting them here again would cost a subscription and a lookup per roundtrip.
 */
export function countsByProtocol(stats: Stats, name: string, label: string): CountsByProtocol {
  const counts: CountsByProtocol = {};
  for (const counter of stats.allCounters()) {
    if (counter.name !== name || counter.value === 0) continue;
    const { protocol, [label]: value } = counter.labels as Record<string, string>;
    (counts[protocol!] ??= {})[value!] = counter.value;
  }
  return counts;
}

/** What was counted after `before` (a run of an agent that reloaded covers only its own). */
function countsSince(before: CountsByProtocol, now: CountsByProtocol): CountsByProtocol {
  const since: CountsByProtocol = {};
  for (const [protocol, byValue] of Object.entries(now)) {
    for (const [value, n] of Object.entries(byValue)) {
      const emitted = n - (before[protocol]?.[value] ?? 0);
      if (emitted > 0) (since[protocol] ??= {})[value] = emitted;
    }
  }
  return since;
}

function completionOf(stream$: Observable<unknown>): Promise<void> {
  return new Promise((resolve) => stream$.subscribe({ complete: () => resolve(), error: () => resolve() }));
}
