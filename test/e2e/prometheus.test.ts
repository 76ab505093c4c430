/**
 * A real Prometheus server scrapes packetd's `prometheus` sink while packetd replays
 * captures/http-nginx.pcap, then the test reads the scraped series back through Prometheus'
 * HTTP API and compares them with tshark's reading of the capture.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipeline, runPipeline, type RunSummary } from '../../src/index.js';
import { capturePath } from '../golden/chain.js';
import { freePort } from '../helpers/net.js';
import { tsharkFields, tsharkHttpTransactions } from '../helpers/tshark.js';

const PROMETHEUS = '/usr/bin/prometheus';
const TSHARK = '/usr/bin/tshark';
const missing = [PROMETHEUS, TSHARK].filter((binary) => !existsSync(binary));
if (missing.length > 0) console.warn(`skipping the Prometheus end-to-end test: ${missing.join(', ')} not installed (Debian packages prometheus, tshark)`);

async function waitFor<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(missing.length > 0)('prometheus sink scraped by a real Prometheus server', () => {
  const capture = capturePath('http-nginx.pcap');
  const dir = mkdtempSync(join(tmpdir(), 'packetd-prometheus-'));
  let prometheus: ChildProcess | undefined;
  let prometheusUrl = '';
  let summary: RunSummary;

  async function query(promql: string): Promise<Sample[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { result: Sample[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  beforeAll(async () => {
    const [packetdPort, prometheusPort] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        `  - { job_name: packetd, static_configs: [{ targets: ["127.0.0.1:${packetdPort}"] }] }`,
      ].join('\n'),
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    await waitFor('Prometheus to be ready', async () => ((await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined), 20_000);

    // Keep serving after the replay until Prometheus has scraped twice more (the second surely
    // saw the final values), at most 20 s.
    const config = await parsePipeline(
      `
source: { pcap: { path: ${JSON.stringify(capture)} } }
protocols: [{ protocol: http, ports: [8080] }]
pipelines:
  metrics:
    processors: [{ use: toMetrics }]
    sinks: [{ use: prometheus, port: ${packetdPort}, linger: 20s, linger_scrapes: 2 }]
`,
      { baseDir: dir },
    );
    const started = Date.now();
    summary = await runPipeline(config, { log: { info: () => undefined, warn: console.warn, error: console.error } });
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);

  afterAll(() => {
    prometheus?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the requests of every method and status that tshark reads in the capture', async () => {
    const expected: Record<string, number> = {};
    for (const { request, response } of tsharkHttpTransactions(capture, [8080])) {
      const key = `${request.method} ${response?.status}`;
      expected[key] = (expected[key] ?? 0) + 1;
    }
    expect(Object.values(expected).reduce((a, b) => a + b)).toBe(16);

    // Range selectors skip the staleness markers written once packetd has stopped serving.
    const samples = await query('sum by (http_request_method, http_response_status_code) (last_over_time(packetd_requests_total[10m]))');
    const scraped: Record<string, number> = {};
    for (const { metric, value } of samples) scraped[`${metric.http_request_method} ${metric.http_response_status_code}`] = Number(value[1]);
    expect(scraped).toEqual(expected);
  });

  it('has the 5xx as an error, durations and sizes for every answered request, and the self-metrics', async () => {
    const errors = await query('sum by (error_type) (last_over_time(packetd_request_errors_total[10m]))');
    expect(errors.map(({ metric, value }) => [metric.error_type, value[1]])).toEqual([['500', '1']]);
    const [durations] = await query('sum(last_over_time(http_server_request_duration_count[10m]))');
    expect(durations.value[1]).toBe('16');
    const [responseBytes] = await query('sum(last_over_time(packetd_response_size_sum[10m]))');
    // Response sizes are bytes on the wire: the TCP payload the server sent, as tshark counts it.
    const serverBytes = tsharkFields(capture, ['tcp.len'], { filter: 'tcp.srcport==8080' }).reduce((sum, [[len]]) => sum + Number(len), 0);
    expect(Number(responseBytes.value[1])).toBe(serverBytes);
    const [packets] = await query('last_over_time(packetd_packets_read_total[10m])');
    expect(Number(packets.value[1])).toBe(summary.packets);
    const [scrapes] = await query('last_over_time(packetd_prometheus_scrapes_total[10m])');
    expect(Number(scrapes.value[1])).toBeGreaterThanOrEqual(1);
  });
});
