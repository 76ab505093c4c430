/**
 * `packetd run` (the built CLI, as a user runs it) replaying real captures to an OTLP/HTTP
 * receiver started here on 127.0.0.1: what arrives is what a Jaeger, Tempo or Collector
 * would store.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const bin = join(repoRoot, 'bin', 'packetd.js');
const captures = join(repoRoot, 'captures');
const dir = mkdtempSync(join(tmpdir(), 'packetd-otlp-'));

interface Run {
  code: number | null;
  stderr: string;
}

function packetdRun(yaml: string): Promise<Run> {
  const file = join(dir, `pipeline-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, 'run', file], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

/** Microseconds since the epoch of a record time ("…T05:01:16.470159Z") as OTLP nanoseconds. */
const nanos = (time: string): string => (BigInt(Date.parse(time.slice(0, 19) + 'Z') / 1000) * 1_000_000_000n + BigInt(time.slice(20, 26)) * 1000n).toString();

let receiver: OtlpReceiver;
beforeAll(() => {
  // `npm test` builds first; a bare `vitest run` of this file builds if dist/ is missing.
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot });
  }
});
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(() => receiver.stop());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Replays the ab capture to toSpans → otlp with the receiver down for its first `downMs`. */
async function replayWhileReceiverDown(downMs: number, sinkOptions: string): Promise<Run> {
  await receiver.stop();
  const running = packetdRun(`source: { pcap: { path: ${join(captures, 'http-ab-keepalive.pcap')} } }
pipelines:
  traces:
    processors: [{ use: toSpans }]
    sinks:
      - { use: otlp, endpoint: "${receiver.url}", ${sinkOptions}, retry: { initial_interval: 50ms, max_interval: 200ms } }
`);
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await receiver.start();
  return running;
}

describe('packetd run → OTLP traces', () => {
  it('delivers one span per roundtrip, named, timed, joined to the caller trace, described by the resource', async () => {
    const run = await packetdRun(`source: { pcap: { path: ${join(captures, 'http-nginx.pcap')} } }
protocols:
  - { protocol: http, ports: [8080], options: { capture_headers: true } }
resource:
  service.name: edge-proxy
  deployment.environment.name: test
pipelines:
  traces:
    processors:
      - use: toSpans
        request_headers: [authorization, cookie, traceparent]
    sinks:
      - use: otlp
        endpoint: ${receiver.url}
  log:
    sinks: [{ use: jsonl, path: roundtrips.jsonl }]
`);
    expect(run.code).toBe(0);
    const records = readFileSync(join(dir, 'roundtrips.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(records).toHaveLength(16);
    const spans = receiver.spans;
    expect(spans).toHaveLength(records.length);
    expect(receiver.requests.every((r) => r.encoding === 'protobuf' && !r.gzip)).toBe(true);

    const byStart = new Map(spans.map((s) => [s.startTimeUnixNano, s]));
    for (const record of records) {
      const span = byStart.get(nanos(record.start))!;
      expect(span.endTimeUnixNano).toBe(nanos(record.end));
      expect(span.name).toBe(`${record.attributes['http.request.method']} ${record.attributes['url.path']}`);
      expect(span.kind).toBe(2); // SERVER
      expect(span.attributes).toMatchObject({ ...record.attributes, 'client.address': record.client.address, 'client.port': record.client.port });
      expect(span.status).toEqual(record.status === 'ok' ? { code: 0, message: '' } : { code: 2, message: `HTTP ${record.attributes['http.response.status_code']}` });
      expect(span.resource).toMatchObject({ 'service.name': 'edge-proxy', 'deployment.environment.name': 'test', 'host.name': expect.any(String) });
      expect(span.scope).toBe('packetd');
    }
    expect(spans.filter((s) => s.status.code === 2).map((s) => s.name)).toEqual(['GET /fail']);

    const joined = spans.filter((s) => s.parentSpanId !== '');
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      traceState: 'vendor=opaque',
      attributes: { 'http.request.header.traceparent': ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'] },
    });
    expect(joined[0].spanId).not.toBe('00f067aa0ba902b7');
    const others = spans.filter((s) => s.parentSpanId === '');
    expect(new Set(others.map((s) => s.traceId)).size).toBe(others.length); // fresh trace each

    const withCredentials = spans.find((s) => s.attributes['url.query'] === 'user=alice')!;
    expect(withCredentials.attributes).toMatchObject({
      'http.request.header.authorization': ['REDACTED'],
      'http.request.header.cookie': ['REDACTED'],
    });
  });

  it('sends JSON with gzip when asked', async () => {
    const run = await packetdRun(`source: { pcap: { path: ${join(captures, 'http-ab-keepalive.pcap')} } }
pipelines:
  traces:
    processors: [{ use: toSpans }]
    sinks: [{ use: otlp, endpoint: "${receiver.url}/v1/traces", encoding: json, compression: gzip, batch_size: 16 }]
`);
    expect(run.code).toBe(0);
    expect(receiver.spans).toHaveLength(50);
    expect(receiver.requests.map((r) => [r.encoding, r.gzip, r.spans])).toEqual([
      ['json', true, 16], ['json', true, 16], ['json', true, 16], ['json', true, 2],
    ]);
  });

  it('waits for a receiver that is down at first, then delivers everything', async () => {
    const run = await replayWhileReceiverDown(1000, 'batch_size: 8');
    expect(run.code).toBe(0);
    expect(receiver.spans).toHaveLength(50);
    expect(run.stderr).toMatch(/warning: otlp traces → http:\/\/127\.0\.0\.1:\d+\/v1\/traces: \d+ failed requests? \(last: ECONNREFUSED\), retrying/);
    expect(run.stderr).toMatch(/export is working again/);
    expect(run.stderr).not.toMatch(/dropped/);
  });

  it('counts and reports what overflows a small queue while the receiver is down, and loses nothing else', async () => {
    const run = await replayWhileReceiverDown(500, 'batch_size: 2, queue_size: 4');
    expect(run.code).toBe(0);
    const dropped = [...run.stderr.matchAll(/dropped (\d+) spans \(queue full \1\)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(dropped).toBeGreaterThan(0);
    expect(receiver.spans.length + dropped).toBe(50);
  });
});
