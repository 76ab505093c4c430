/**
 * The benchmark's cases. Each runs in a process of its own (see run.ts) so its peak RSS is its
 * own, and returns what it counted; timing covers reading and processing, not module loading.
 */
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, lastValueFrom, type Observable } from 'rxjs';
import { decodeFrames } from '../operators/decodeFrames.js';
import { decodeL7 } from '../operators/decodeL7.js';
import { match } from '../operators/match.js';
import { reassemble } from '../operators/reassemble.js';
import { resolvePipeline } from '../pipeline/load.js';
import { runPipeline } from '../pipeline/run.js';
import { Stats } from '../pipeline/stats.js';
import type { ProtocolRule } from '../protocols/types.js';
import { readCapture, readCaptureWithPcapParser } from '../sources/index.js';
import { startSpanCounter } from './span-counter.js';

export interface BenchSettings {
  capture: string;
  rules: ProtocolRule[];
  detect: boolean;
}

export interface CaseResult {
  packets: number;
  /** Roundtrips of any protocol (0 for the read-only cases). */
  roundtrips: number;
  /** Roundtrips per protocol. */
  roundtripsByProtocol: Record<string, number>;
  seconds: number;
  /** Bytes the sink wrote, for output cases. */
  outputBytes?: number;
  /** Items the receiving end counted, for cases that export (spans at the OTLP receiver). */
  delivered?: number;
}

export interface BenchCase {
  name: string;
  description: string;
  run(settings: BenchSettings): Promise<CaseResult>;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function countPackets(packets$: Observable<unknown>): Promise<CaseResult> {
  const { value, seconds } = await timed(() => lastValueFrom(packets$.pipe(count())));
  return { packets: value, roundtrips: 0, roundtripsByProtocol: {}, seconds };
}

/**
 * The core chain cut after its first `stages` operators (decodeFrames, reassemble, decodeL7,
 * match), draining what comes out: one case per cut, so the cost of each operator is the
 * difference between two neighbouring cases.
 */
async function runStages(settings: BenchSettings, stages: number): Promise<CaseResult> {
  const stats = new Stats();
  const frames$ = readCapture(settings.capture, { stats }).pipe(decodeFrames({ stats }));
  const streams$ = frames$.pipe(reassemble({ stats }));
  const messages$ = streams$.pipe(decodeL7({ stats, rules: settings.rules, detect: settings.detect }));
  const roundtrips$ = messages$.pipe(match({ stats }));
  const out$: Observable<unknown> = [frames$, streams$, messages$, roundtrips$][stages - 1]!;
  const { value, seconds } = await timed(() => lastValueFrom(out$.pipe(count())));
  const packets = stats.counter('packetd_packets_read_total', 'Packets read from capture sources').value;
  return { packets, roundtrips: stages === 4 ? value : 0, roundtripsByProtocol: {}, seconds };
}

/** The whole pipeline as `packetd run` builds it, from an inline config with one sink. */
async function runWithSink(settings: BenchSettings, sink: Record<string, unknown>, processors: Record<string, unknown>[] = []): Promise<CaseResult> {
  const config = await resolvePipeline({
    source: { pcap: { path: settings.capture } },
    protocols: settings.rules,
    detect: settings.detect,
    pipelines: { bench: { processors, sinks: [sink] } },
  });
  const { value: summary, seconds } = await timed(() => runPipeline(config));
  if (summary.sourceError) throw summary.sourceError;
  const roundtripsByProtocol: Record<string, number> = {};
  for (const [protocol, byStatus] of Object.entries(summary.roundtripsByProtocol)) {
    roundtripsByProtocol[protocol] = Object.values(byStatus).reduce((sum, n) => sum + (n ?? 0), 0);
  }
  return { packets: summary.packets, roundtrips: summary.roundtrips, roundtripsByProtocol, seconds };
}

export const CASES: BenchCase[] = [
  {
    name: 'pcap-parser',
    description: "pcap-parser's read loop alone (reference)",
    run: (settings) => countPackets(readCaptureWithPcapParser(settings.capture)),
  },
  {
    name: 'readCapture',
    description: 'readCapture alone',
    run: (settings) => countPackets(readCapture(settings.capture)),
  },
  ...['decodeFrames', 'reassemble', 'decodeL7', 'match'].map(
    (name, i): BenchCase => ({
      name: `upto-${name}`,
      description: `the core chain up to and including ${name}, no pipelines or sinks`,
      run: (settings) => runStages(settings, i + 1),
    }),
  ),
  {
    name: 'pipeline-null',
    description: 'full pipeline into the null sink',
    run: (settings) => runWithSink(settings, { use: 'null' }),
  },
  {
    name: 'pipeline-jsonl',
    description: 'full pipeline into jsonl (a temp file)',
    async run(settings) {
      const path = join(tmpdir(), `packetd-bench-${process.pid}.jsonl`);
      try {
        const result = await runWithSink(settings, { use: 'jsonl', path });
        return { ...result, outputBytes: (await stat(path)).size };
      } finally {
        await rm(path, { force: true });
      }
    },
  },
  {
    name: 'pipeline-otlp',
    description: 'full pipeline, toSpans into otlp (protobuf) to a span-counting receiver in a child process',
    async run(settings) {
      const receiver = await startSpanCounter();
      try {
        const result = await runWithSink(settings, { use: 'otlp', endpoint: receiver.url }, [{ use: 'toSpans' }]);
        return { ...result, delivered: await receiver.count() };
      } finally {
        receiver.stop();
      }
    },
  },
];
