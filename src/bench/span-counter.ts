import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface SpanCounter {
  /** Base URL for an `otlp` sink's endpoint. */
  url: string;
  /** Spans received so far. */
  count(): Promise<number>;
  stop(): void;
}

/** Starts span-counter-server.ts in a child process and waits until it listens. */
export async function startSpanCounter(): Promise<SpanCounter> {
  const script = fileURLToPath(new URL('./span-counter-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${line.toString().trim()}`;
  return {
    url,
    count: async () => Number(await (await fetch(`${url}/count`)).text()),
    stop: () => child.stdin.end(),
  };
}
