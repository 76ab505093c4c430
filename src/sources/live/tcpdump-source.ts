import { spawn } from 'node:child_process';
import type { RawPacket } from '../../model/packet.js';
import { Broadcast } from '../../operators/broadcast.js';
import { Consumer } from '../../operators/hop.js';
import type { Stats } from '../../pipeline/stats.js';
import { readCapture } from '../read-capture.js';
import { CAPTURE_DROPPED, type PacketSource } from './packet-source.js';
import { captureError } from './permission.js';

export interface TcpdumpSourceOptions {
  interface: string;
  /** The compiled BPF expression (captureFilter); unused with `command`. */
  filter: string;
  path: string;
  /** Runs this argv instead of tcpdump; it must write a pcap or pcapng stream to stdout. */
  command: string[] | undefined;
  promiscuous: boolean;
  bufferSize: number;
  snaplen: number;
  /** How often to ask tcpdump for its drop counts (SIGUSR1). Default 5 s. */
  statsIntervalMs?: number;
}

/** tcpdump's statistics, on SIGUSR1 (one line) and at exit (one per line). */
const DROPPED = /(\d+) packets? dropped by (kernel|interface)/g;
const LISTENING = /listening on/;

/** The argv for `tcpdump -i IFACE -U -w - …`: packet-buffered pcap on stdout, kernel timestamps. */
export function tcpdumpArgs(options: TcpdumpSourceOptions): string[] {
  const args = ['-i', options.interface, '-U', '-w', '-', '-n', '-s', String(options.snaplen), '-B', String(Math.max(1, Math.round(options.bufferSize / 1024)))];
  if (!options.promiscuous) args.push('-p');
  if (options.filter !== '') args.push(options.filter);
  return args;
}

/**
 * Live capture by a capture program run as a child process (tcpdump by default) whose stdout
 * is a pcap stream, read by the same parser as files. Packets carry the kernel's timestamps;
 * packetd itself needs no capture privilege (the program does); a slow pipeline blocks the
 * pipe, and the kernel's drops then show in tcpdump's statistics, which this source asks for
 * every few seconds and counts in `packetd_capture_dropped_total{interface, by}`.
 */
export function openTcpdumpSource(options: TcpdumpSourceOptions, stats: Stats): PacketSource {
  const argv = options.command ?? [options.path, ...tcpdumpArgs(options)];
  const isTcpdump = options.command === undefined;
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const packets = new Broadcast<RawPacket>();
  const dropped = {
    kernel: stats.counter(...CAPTURE_DROPPED, { interface: options.interface, by: 'kernel' }),
    interface: stats.counter(...CAPTURE_DROPPED, { interface: options.interface, by: 'interface' }),
  };
  let lastLine = '';
  let signalReady: () => void = () => undefined;
  let failReady: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    signalReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

  child.once('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'ENOENT' ? `${argv[0]} not found (install tcpdump, or set source.tcpdump.path)` : err.message;
    failReady(new Error(`cannot run capture program: ${why}`));
  });
  if (!isTcpdump) child.once('spawn', () => signalReady());
  let stderrText = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderrText += text;
    const lines = stderrText.split('\n');
    stderrText = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() !== '') lastLine = line.trim();
      if (LISTENING.test(line)) signalReady();
      for (const [, n, by] of line.matchAll(DROPPED)) dropped[by as 'kernel' | 'interface'].value = Number(n);
    }
  });
  const failure = async (): Promise<Error | undefined> => {
    const code = await exited;
    return code === 0 || code === null ? undefined : captureError(options.interface, lastLine || `${argv[0]} exited with status ${code}`, argv[0]);
  };
  void exited.then(async () => failReady((await failure()) ?? new Error(`${argv[0]} exited before capturing`)));

  readCapture(child.stdout, { stats }).subscribe(
    new Consumer<RawPacket>({
      next: (packet) => packets.next(packet),
      error: (err: unknown) => void failure().then((exitError) => packets.error(exitError ?? err)),
      complete: () => void failure().then((exitError) => (exitError ? packets.error(exitError) : packets.complete())),
    }),
  );
  const poll = isTcpdump ? setInterval(() => child.kill('SIGUSR1'), options.statsIntervalMs ?? 5000).unref() : undefined;

  return {
    packets: packets.observable,
    description: `${argv[0]} on ${options.interface}`,
    ready: () => ready,
    stop: async () => {
      clearInterval(poll);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await new Promise<void>((resolve) => packets.observable.subscribe({ complete: resolve, error: () => resolve() }));
    },
  };
}
