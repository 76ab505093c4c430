/**
 * `npm run bench:live -- [--seconds 20] [--source live|tcpdump|both] [--concurrency 32]`
 *
 * nginx on loopback driven by `ab -k` at its maximum rate while packetd captures it live (in
 * this process, through the Agent, into the null sink). Prints achieved requests/s, roundtrips
 * captured / requests answered, packetd's CPU (cores: user + system time / wall time) and peak
 * RSS, and drops. Each source gets a fresh child process so peak RSS is its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent } from '../agent/agent.js';
import { summarizeStats } from '../agent/summary.js';
import { resolvePipeline } from '../pipeline/load.js';
import { hasBinary, startNginx } from './live-servers.js';

const USAGE = 'usage: npm run bench:live -- [--seconds 20] [--source live|tcpdump|both] [--concurrency 32] [--port 18090] [--buffer-size 64MiB]';
const CLOCK_TICKS = 100;

interface LiveResult {
  source: string;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  roundtrips: number;
  cores: number;
  /** The tcpdump child's cores (tcpdump source only). */
  captureCores: number | undefined;
  peakRssMiB: number;
  dropsQueue: number;
  dropsKernel: number | undefined;
}

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** This process's tcpdump child, if any. */
function tcpdumpChild(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.includes('(tcpdump)') && Number(stat.split(') ')[1].split(' ')[1]) === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function ab(port: number, seconds: number, concurrency: number): Promise<{ requests: number; failed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ab', ['-k', '-q', '-c', String(concurrency), '-t', String(seconds), '-n', '100000000', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.once('error', reject);
    child.once('close', () => {
      const complete = /Complete requests:\s+(\d+)/.exec(out);
      const failed = /Failed requests:\s+(\d+)/.exec(out);
      if (!complete) return reject(new Error(`ab failed:\n${out}`));
      resolve({ requests: Number(complete[1]), failed: Number(failed?.[1] ?? 0) });
    });
  });
}

async function runCase(source: 'live' | 'tcpdump', seconds: number, concurrency: number, port: number, bufferSize: string): Promise<LiveResult> {
  const nginx = await startNginx({ port });
  try {
    const filter = `tcp port ${port}`;
    const config = await resolvePipeline({
      source: { [source]: { ...(source === 'live' ? { interfaces: ['lo'] } : { interface: 'lo' }), filter, buffer_size: bufferSize } },
      protocols: [{ protocol: 'http', ports: [port] }],
      admin: { enabled: false },
      pipelines: { bench: { sinks: [{ use: 'null' }] } },
    });
    const agent = await Agent.start(config, { log: { info: () => undefined, warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`) } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const capturePid = tcpdumpChild();
    const cpu0 = process.cpuUsage();
    const capture0 = capturePid ? cpuSeconds(capturePid) : 0;
    const t0 = performance.now();
    const load = await ab(port, seconds, concurrency);
    const wall = (performance.now() - t0) / 1000;
    // Let the capture catch up with what the kernel still holds.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const cpu = process.cpuUsage(cpu0);
    const captureCpu = capturePid ? cpuSeconds(capturePid) - capture0 : undefined;
    await agent.stop();
    const summary = summarizeStats(agent.stats);
    return {
      source,
      seconds: wall,
      requests: load.requests - load.failed,
      requestsPerSecond: (load.requests - load.failed) / wall,
      roundtrips: summary.roundtripsByProtocol.http?.ok ?? 0,
      // CPU over the load plus the catch-up time, spread over the load time: an upper bound.
      cores: (cpu.user + cpu.system) / 1e6 / wall,
      captureCores: captureCpu === undefined ? undefined : captureCpu / wall,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      dropsQueue: summary.drops.queue,
      dropsKernel: summary.drops.kernel,
    };
  } finally {
    await nginx.stop();
  }
}

function format(r: LiveResult): string {
  const captured = ((100 * r.roundtrips) / Math.max(1, r.requests)).toFixed(2);
  const kernel = r.dropsKernel === undefined ? 'n/a (cap)' : String(r.dropsKernel);
  const capture = r.captureCores === undefined ? '' : ` + tcpdump ${r.captureCores.toFixed(2)}`;
  return (
    `${r.source.padEnd(8)} ${Math.round(r.requestsPerSecond).toLocaleString('en-US').padStart(8)} req/s  ` +
    `captured ${r.roundtrips}/${r.requests} (${captured}%)  cpu ${r.cores.toFixed(2)} cores${capture}  ` +
    `peak RSS ${r.peakRssMiB.toFixed(0)} MiB  drops: queue ${r.dropsQueue}, kernel ${kernel}`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      source: { type: 'string', default: 'live' },
      concurrency: { type: 'string', default: '32' },
      port: { type: 'string', default: '18090' },
      'buffer-size': { type: 'string', default: '64MiB' },
      case: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const port = Number(values.port);
  if (values.case === 'live' || values.case === 'tcpdump') {
    process.stdout.write(JSON.stringify(await runCase(values.case, seconds, concurrency, port, values['buffer-size']!)) + '\n');
    return;
  }
  for (const binary of ['nginx', 'ab', 'ss']) {
    if (!hasBinary(binary)) throw new Error(`bench:live needs ${binary} (apt-get install nginx apache2-utils iproute2)`);
  }
  if (process.getuid?.() !== 0) process.stderr.write('bench:live: not root; capture needs CAP_NET_RAW and CAP_NET_ADMIN\n');
  const sources = values.source === 'both' ? ['live', 'tcpdump'] : [values.source!];
  const [load1] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  process.stdout.write(`nginx on 127.0.0.1:${port}, ab -k -c ${concurrency} for ${seconds}s, capture buffer ${values['buffer-size']}; load average before: ${load1}\n`);
  for (const source of sources) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--case', source, '--seconds', String(seconds), '--concurrency', String(concurrency), '--port', String(port), '--buffer-size', values['buffer-size']!], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`${source} case failed (exit ${child.status ?? child.signal})`);
    process.stdout.write(format(JSON.parse(child.stdout) as LiveResult) + '\n');
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:live: ${err.message}\n`);
  process.exitCode = 1;
});
