import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PipelineConfigError } from '../pipeline/config-error.js';
import { loadPipeline, resolvePipeline, type PipelineConfig } from '../pipeline/load.js';
import { runPipeline, type RunSummary } from '../pipeline/run.js';
import { getProtocol, protocolNames } from '../protocols/registry.js';
import { CaptureFormatError } from '../sources/index.js';
import { isLive } from '../sources/live/index.js';
import { printInterfaces, runLive } from './live.js';
import { REFERENCE_PIPELINE } from './reference.js';

const USAGE = `Usage: packetd <command> [options]

Commands:
  run PIPELINE.yaml          run a pipeline to the end of its input; on a live source, until
                             SIGINT/SIGTERM (SIGHUP re-reads the file; admin HTTP server)
  validate PIPELINE.yaml     check a pipeline file (errors name the YAML path and line)
  config                     print a commented reference pipeline
  ifaces                     list the interfaces live capture can use, with their addresses
  log --pcap FILE            one line per roundtrip from a capture; FILE "-" reads stdin
  log --iface NAME           ... or live from an interface (repeatable; "any" for all) until Ctrl-C
      --filter BPF           with --iface: a BPF expression ANDed with packetd's own
      --tcpdump              with --iface: capture by running tcpdump (kernel timestamps)
      --proto NAME[:PORTS]   decode NAME on these server ports, e.g. http:80,8080 (repeatable;
                             default: every protocol on its default ports, plus detection)
      --format text|jsonl    text for people (default), JSON lines for tools
  run and log:
      -q, --quiet            no summary line on stderr

Options:
  -h, --help                 show this help
  -V, --version              print the version

Exit status: 0 done, 1 runtime error (unreadable or malformed capture), 2 bad usage or pipeline.
`;

/** A problem with how packetd was called: one line on stderr, exit 2. */
class UsageError extends Error {}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    if (err instanceof PipelineConfigError) {
      process.stderr.write(err.message + '\n');
      return 2;
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(err as Error).message}\nTry 'packetd --help'.\n`);
      return 2;
    }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    if (process.env.PACKETD_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
      quiet: { type: 'boolean', short: 'q' },
      pcap: { type: 'string' },
      proto: { type: 'string', multiple: true },
      format: { type: 'string' },
      iface: { type: 'string', multiple: true },
      filter: { type: 'string' },
      tcpdump: { type: 'boolean' },
    },
  });
  const [command, ...args] = positionals;
  if (values.version) {
    process.stdout.write(`packetd ${version()}\n`);
    return 0;
  }
  if (values.help || command === 'help' || command === undefined) {
    (command === undefined && !values.help ? process.stderr : process.stdout).write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const allowed: Record<string, string[]> = {
    run: ['quiet'],
    validate: [],
    config: [],
    ifaces: [],
    log: ['quiet', 'pcap', 'proto', 'format', 'iface', 'filter', 'tcpdump'],
  };
  if (!(command in allowed)) throw new UsageError(`unknown command "${command}"`);
  for (const flag of Object.keys(values)) {
    if (!allowed[command].includes(flag)) throw new UsageError(`${command}: unknown option --${flag}`);
  }
  const wantsFile = command === 'run' || command === 'validate';
  if (wantsFile && args.length !== 1) throw new UsageError(`${command} takes one pipeline file`);
  if (!wantsFile && args.length > 0) throw new UsageError(`${command}: unexpected argument "${args[0]}"`);

  switch (command) {
    case 'config':
      process.stdout.write(REFERENCE_PIPELINE);
      return 0;
    case 'validate': {
      const config = await loadPipeline(args[0]);
      process.stdout.write(`${args[0]}: ok (pipelines: ${config.pipelines.map((p) => p.name).join(', ')})\n`);
      return 0;
    }
    case 'ifaces':
      printInterfaces();
      return 0;
    case 'run': {
      const config = await loadPipeline(args[0]);
      if (isLive(config)) return runLive(config, { file: args[0], quiet: values.quiet, describe });
      const path = config.source.pcap!.path;
      return execute(config, path === '-' ? 'stdin' : path, values.quiet);
    }
    default: {
      if (values.iface !== undefined) {
        if (values.pcap !== undefined) throw new UsageError('log takes --pcap or --iface, not both');
        const source = liveSourceFlags(values.iface, values.filter, values.tcpdump);
        const config = await logPipeline(source, values.proto ?? [], values.format ?? 'text');
        return runLive(config, { file: undefined, quiet: values.quiet, describe });
      }
      if (values.filter !== undefined || values.tcpdump) throw new UsageError('--filter and --tcpdump go with --iface');
      if (values.pcap === undefined) throw new UsageError('log needs --pcap FILE (or --pcap - for stdin) or --iface NAME');
      const config = await logPipeline({ pcap: { path: values.pcap } }, values.proto ?? [], values.format ?? 'text');
      // The capture as typed (relative to the working directory), so messages name it that way.
      return execute(config, values.pcap === '-' ? 'stdin' : values.pcap, values.quiet, values.pcap);
    }
  }
}

/** `--iface lo --iface eth0 --filter 'not port 22'` as a pipeline's `source`. */
function liveSourceFlags(ifaces: string[], filter: string | undefined, tcpdump: boolean | undefined): Record<string, unknown> {
  if (tcpdump) {
    if (ifaces.length !== 1) throw new UsageError('--tcpdump captures on one --iface (use "any" for all)');
    return { tcpdump: { interface: ifaces[0], filter } };
  }
  return { live: { interfaces: ifaces.includes('any') ? 'any' : ifaces, filter } };
}

/** `packetd log` is a pipeline built from flags: the source, protocol rules, one stdout sink. */
function logPipeline(source: Record<string, unknown>, protos: string[], format: string): Promise<PipelineConfig> {
  if (format !== 'text' && format !== 'jsonl') throw new UsageError(`--format must be text or jsonl, not "${format}"`);
  const protocols = protos.map(parseProtoFlag);
  return resolvePipeline(
    {
      source,
      ...(protocols.length > 0 ? { protocols } : {}),
      pipelines: { log: { sinks: [{ use: format, path: '-' }] } },
    },
    { file: 'packetd log' },
  );
}

/** "http" or "http:80,8080" */
function parseProtoFlag(flag: string): { protocol: string; ports?: number[] } {
  const [protocol, portList, extra] = flag.split(':');
  if (getProtocol(protocol) === undefined) {
    throw new UsageError(`--proto ${flag}: unknown protocol "${protocol}" (known: ${protocolNames().join(', ')})`);
  }
  if (portList === undefined) return { protocol };
  const ports = portList.split(',').map(Number);
  if (extra !== undefined || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new UsageError(`--proto ${flag}: expected NAME or NAME:PORT[,PORT...]`);
  }
  return { protocol, ports };
}

async function execute(config: PipelineConfig, inputName: string, quiet: boolean | undefined, input?: string): Promise<number> {
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  process.once('SIGINT', onInterrupt);
  let summary: RunSummary;
  try {
    summary = await runPipeline(config, { input, signal: stop.signal });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  const failed = summary.sourceError;
  // A capture that could not even be opened has nothing to summarise.
  if (!quiet && !(failed && summary.packets === 0 && !(failed instanceof CaptureFormatError))) {
    process.stderr.write(`packetd: ${describe(summary)}\n`);
  }
  if (failed) {
    // Format errors say where ("… at byte N") but not in which input; I/O errors say both.
    process.stderr.write(failed instanceof CaptureFormatError ? `error: ${inputName}: ${failed.message}\n` : `error: ${failed.message}\n`);
    return 1;
  }
  return summary.pipelineErrors.length > 0 ? 1 : 0;
}

/** "1234 packets, 56 roundtrips (http: 50 ok, 5 error, 1 unanswered [2 partial: 1 request_missing, 1 gap]), 0 decode errors" */
function describe(
  summary: Pick<RunSummary, 'packets' | 'roundtrips' | 'roundtripsByProtocol' | 'partialByProtocol' | 'decodeErrors'>,
): string {
  const counts = (byValue: Record<string, number | undefined>): string =>
    Object.entries(byValue)
      .map(([value, n]) => `${n} ${value}`)
      .join(', ');
  const byProtocol = Object.entries(summary.roundtripsByProtocol).map(([protocol, byStatus]) => {
    const partial = summary.partialByProtocol[protocol];
    const partialTotal = partial === undefined ? 0 : Object.values(partial).reduce((sum, n) => sum + (n ?? 0), 0);
    return `${protocol}: ${counts(byStatus)}${partialTotal > 0 ? ` [${partialTotal} partial: ${counts(partial!)}]` : ''}`;
  });
  const detail = byProtocol.length > 0 ? ` (${byProtocol.join('; ')})` : '';
  return `${summary.packets} packets, ${summary.roundtrips} roundtrips${detail}, ${summary.decodeErrors} decode errors`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
