import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server started for a live test or benchmark; `stop()` kills it and removes its files. */
export interface TestServer {
  port: number;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Address to listen on (127.0.0.1 by default). */
  host?: string;
  port: number;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  workers?: number;
}

/** True when `name` is on the PATH. */
export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function inNetns(netns: string | undefined, argv: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, ...argv]] : [argv[0], argv.slice(1)];
}

async function waitUntil(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Is something listening on host:port (inside netns)? Asked of `ss`, which also works in another namespace. */
function listening(host: string, port: number, netns: string | undefined): boolean {
  const [cmd, args] = inNetns(netns, ['ss', '-Hltn', `src ${host.includes(':') ? `[${host}]` : host}:${port}`]);
  const out = spawnSync(cmd, args, { encoding: 'utf8' });
  return out.status === 0 && out.stdout.trim() !== '';
}

/** nginx serving a small page at `/` (keep-alive on), in the foreground, logs off. */
export async function startNginx(options: ServerOptions): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'packetd-nginx-'));
  writeFileSync(join(dir, 'index.html'), '<html><body>packetd live test</body></html>\n');
  const listen = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; master_process on; worker_processes ${options.workers ?? 1}; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  types { text/html html; }
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen ${listen}; root ${dir}; }
}
`,
  );
  spawnSync('chmod', ['755', dir]);
  const [cmd, args] = inNetns(options.netns, ['nginx', '-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')]);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const stop = stopper(child, dir);
  try {
    await waitUntil(() => listening(host, options.port, options.netns), 'nginx');
  } catch (err) {
    await stop();
    throw err;
  }
  return { port: options.port, stop };
}

/** redis-server without persistence. */
export async function startRedis(options: ServerOptions): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'packetd-redis-'));
  const argv = ['redis-server', '--bind', host, '--port', String(options.port), '--save', '', '--appendonly', 'no', '--dir', dir];
  const [cmd, args] = inNetns(options.netns, argv);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const stop = stopper(child, dir);
  try {
    await waitUntil(() => listening(host, options.port, options.netns), 'redis-server');
  } catch (err) {
    await stop();
    throw err;
  }
  return { port: options.port, stop };
}
