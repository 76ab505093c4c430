import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const bin = join(repoRoot, 'bin', 'packetd.js');

/** A running `packetd` (the built CLI) whose output is collected. */
export interface PacketdProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves to the exit code once it exits. */
  exited: Promise<number | null>;
}

/** Starts `node bin/packetd.js ...args`, in network namespace `netns` when given, after `prefix` (e.g. setpriv …). */
export function startPacketd(args: string[], options: { netns?: string; cwd?: string; prefix?: string[] } = {}): PacketdProcess {
  const argv = [...(options.prefix ?? []), process.execPath, bin, ...args];
  const child = options.netns ? spawn('ip', ['netns', 'exec', options.netns, ...argv], { cwd: options.cwd }) : spawn(argv[0], argv.slice(1), { cwd: options.cwd });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: async (text, timeoutMs = 10_000) => {
      const found = (): boolean => (typeof text === 'string' ? err.includes(text) : text.test(err));
      for (let waited = 0; !found(); waited += 50) {
        if (waited > timeoutMs || child.exitCode !== null) throw new Error(`packetd did not print ${String(text)}; stderr: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
