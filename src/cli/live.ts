import { Agent } from '../agent/agent.js';
import { summarizeStats, type Drops } from '../agent/summary.js';
import type { PipelineConfig } from '../pipeline/load.js';
import type { RunSummary } from '../pipeline/run.js';
import { listInterfaces } from '../sources/live/index.js';

/** After SIGINT/SIGTERM, sinks get this long to flush before packetd exits anyway (status 1). */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export interface LiveCommand {
  /** The pipeline file (reloadable), or undefined for `packetd log --iface`. */
  file: string | undefined;
  quiet: boolean | undefined;
  /** Summarises a run (the CLI's summary line). */
  describe: (summary: Omit<RunSummary, 'sourceError' | 'pipelineErrors'>) => string;
}

/**
 * Runs a pipeline on a live source until SIGINT or SIGTERM: stop the capture, flush every sink
 * (pending requests become unanswered), print the summary with drops, exit 0; if the sinks take
 * longer than SHUTDOWN_TIMEOUT_MS, exit 1. SIGHUP re-reads the pipeline file. A second
 * SIGINT/SIGTERM exits at once.
 */
export async function runLive(config: PipelineConfig, command: LiveCommand): Promise<number> {
  const agent = await Agent.start(config, {
    file: command.file,
    admin: command.file === undefined ? false : undefined,
    flushEveryMs: command.file === undefined ? 200 : 1000,
  });
  if (!command.quiet) process.stderr.write(`packetd: ${agent.describe()}\n`);

  let forced: (code: number) => void = () => undefined;
  const timedOut = new Promise<number>((resolve) => (forced = resolve));
  let stopping = false;
  let flushTimedOut = false;
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`packetd: ${signal} again, exiting without flushing\n`);
      process.exit(130);
    }
    stopping = true;
    setTimeout(() => {
      process.stderr.write(`packetd: error: sinks did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000}s of ${signal}; exiting\n`);
      flushTimedOut = true;
      forced(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    void agent.stop();
  };
  const onReload = (): void => void agent.reload();
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  if (command.file !== undefined) process.on('SIGHUP', onReload);
  let code: number;
  try {
    code = await Promise.race([agent.finished.then((error) => (error ? 1 : 0)), timedOut]);
  } finally {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.off('SIGHUP', onReload);
  }
  const summary = summarizeStats(agent.stats);
  if (!command.quiet) process.stderr.write(`packetd: ${command.describe(summary)}, ${describeDrops(summary.drops)}\n`);
  // A timed-out flush leaves sink handles open; leave anyway.
  if (flushTimedOut) setTimeout(() => process.exit(code), 100).unref();
  return code;
}

/** "0 dropped (kernel 0, interface 0, queue 0)", or without kernel counts where the source cannot learn them (cap). */
function describeDrops(drops: Drops): string {
  if (drops.kernel === undefined) return `${drops.queue} dropped by packetd's queue (kernel drops are not reported by cap)`;
  const total = drops.kernel + (drops.interface ?? 0) + drops.queue;
  return `${total} dropped (kernel ${drops.kernel}, interface ${drops.interface ?? 0}, queue ${drops.queue})`;
}

/** `packetd ifaces`: one interface per line with its addresses. */
export function printInterfaces(): void {
  const interfaces = listInterfaces();
  const width = Math.max(...interfaces.map((i) => i.name.length));
  for (const i of interfaces) {
    const what = i.addresses.length > 0 ? i.addresses.join(' ') : (i.description ?? '');
    process.stdout.write(`${i.name.padEnd(width)}  ${i.loopback ? 'loopback  ' : ''}${what}\n`.replace(/ +\n$/, '\n'));
  }
}
