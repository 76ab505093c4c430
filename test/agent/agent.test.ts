import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { hasBinary, startNginx, type TestServer } from '../../src/bench/live-servers.js';
import type { Logger } from '../../src/pipeline/component.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { startPacketd } from '../live/cli-process.js';
import { freePort, httpGets, liveSkipReason, skipNote, sleep } from '../live/helpers.js';

const missing = ['nginx', 'ss'].filter((b) => !hasBinary(b));
const skip = skipNote('agent mode', liveSkipReason() ?? (missing.length > 0 ? `needs ${missing.join(', ')}` : undefined));

interface Record {
  protocol: string;
  status: string;
  server: { port: number };
}

function records(path: string): Record[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8').trim();
  return text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as Record);
}

/** A pipeline on lo that sees only `ports`, writing roundtrips to `out`. */
function pipelineYaml(ports: number[], out: string, extra = ''): string {
  return `source:
  live: { interfaces: [lo], filter: "${ports.map((p) => `port ${p}`).join(' or ')}" }
protocols:
  - { protocol: http, ports: [${ports.join(', ')}] }
admin: { listen: "127.0.0.1:0" }
pipelines:
  log:
    sinks:
      - { use: jsonl, path: ${out} }
${extra}`;
}

async function get(port: number, path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: res.status, body: await res.text() };
}

describe.skipIf(skip)('agent mode', () => {
  let dir: string;
  let nginx: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'packetd-agent-'));
    nginx = await startNginx({ port: await freePort() });
  });
  afterAll(async () => {
    await nginx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz, /metrics and /watch, and reloads a valid file without losing the capture but rejects an invalid one', async () => {
    const file = join(dir, 'pipeline.yaml');
    const [a, b] = [join(dir, 'a.jsonl'), join(dir, 'b.jsonl')];
    writeFileSync(file, pipelineYaml([nginx.port], a));
    const logged: string[] = [];
    const log: Logger = { info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(`error: ${m}`) };
    const agent = await Agent.start(await loadPipeline(file), { file, log });
    const admin = agent.adminPort!;
    try {
      expect(await get(admin, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
      expect((await get(admin, '/watch?address=nonsense')).status).toBe(400);
      expect((await get(admin, '/nope')).status).toBe(404);

      // /watch streams as roundtrips come, and ends after `max` of them.
      const watched = get(admin, '/watch?protocol=http&address=127.0.0.1&max=5&timeout=20s');
      await sleep(100);
      expect(await httpGets(nginx.port, 10)).toBe(10);
      const watch = await watched;
      expect(watch.status).toBe(200);
      const lines = watch.body.trim().split('\n').map((l) => JSON.parse(l) as Record);
      expect(lines).toHaveLength(5);
      expect(lines.every((r) => r.protocol === 'http' && r.server.port === nginx.port)).toBe(true);
      const empty = await get(admin, '/watch?timeout=100ms');
      expect(empty).toEqual({ status: 200, body: '' });

      await httpGets(nginx.port, 20);
      writeFileSync(file, pipelineYaml([nginx.port], b));
      const reloaded = await get(admin, '/-/reload', { method: 'POST' });
      expect(reloaded).toEqual({ status: 200, body: '{"status":"ok"}\n' });
      await httpGets(nginx.port, 30);

      writeFileSync(file, pipelineYaml([nginx.port], join(dir, 'c.jsonl'), 'reasembly: {}\n'));
      const rejected = await get(admin, '/-/reload', { method: 'POST' });
      expect(rejected.status).toBe(400);
      expect(rejected.body).toContain('reasembly: unknown key');
      await httpGets(nginx.port, 15);
      await sleep(300);

      const metrics = await get(admin, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/^packetd_packets_read_total(\{[^}]*\})? \d+/m);
      expect(metrics.body).toMatch(/^packetd_queue_dropped_total(\{[^}]*\})? 0/m);
      expect(metrics.body).toMatch(/^packetd_roundtrips_total\{[^}]*protocol="http"[^}]*\} 75/m);
    } finally {
      await agent.stop();
    }
    const ok = (path: string): number => records(path).filter((r) => r.status === 'ok' && r.server.port === nginx.port).length;
    expect(ok(a)).toBe(30);
    expect(ok(b)).toBe(45);
    expect(existsSync(join(dir, 'c.jsonl'))).toBe(false);
    expect(logged.some((m) => m.startsWith('error: reload rejected, the running pipeline goes on'))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${admin}/healthz`).catch(() => undefined))?.status).toBeUndefined();
  });

  it('packetd run: SIGHUP reloads; SIGTERM flushes every sink (pending requests become unanswered) and exits 0', async () => {
    // A server that reads requests and never answers.
    const silentPort = await freePort();
    const silent: Server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(silentPort, '127.0.0.1', resolve));
    const file = join(dir, 'run.yaml');
    const [first, second] = [join(dir, 'run-1.jsonl'), join(dir, 'run-2.jsonl')];
    writeFileSync(file, pipelineYaml([nginx.port, silentPort], first));
    const packetd = startPacketd(['run', file]);
    try {
      await packetd.waitFor(/admin on 127\.0\.0\.1:\d+/);
      await httpGets(nginx.port, 12);
      writeFileSync(file, pipelineYaml([nginx.port, silentPort], second));
      packetd.child.kill('SIGHUP');
      await packetd.waitFor('reloaded run.yaml');
      await httpGets(nginx.port, 8);
      const hanging = new Socket();
      await new Promise<void>((resolve) => hanging.connect(silentPort, '127.0.0.1', resolve));
      hanging.write('GET /never HTTP/1.1\r\nHost: silent\r\n\r\n');
      await sleep(500);

      const stoppedAt = Date.now();
      packetd.child.kill('SIGTERM');
      expect(await packetd.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(5000);
      hanging.destroy();
    } finally {
      packetd.child.kill('SIGKILL');
      silent.close();
    }
    expect(records(first).filter((r) => r.status === 'ok')).toHaveLength(12);
    const after = records(second);
    expect(after.filter((r) => r.status === 'ok')).toHaveLength(8);
    expect(after.filter((r) => r.status === 'unanswered' && r.server.port === silentPort)).toHaveLength(1);
    expect(packetd.stderr()).toMatch(/21 roundtrips \(http: 20 ok, 1 unanswered\)/);
  });
});
