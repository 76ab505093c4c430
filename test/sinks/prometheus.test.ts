import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePipeline, PipelineConfigError } from '../../src/index.js';
import { prometheusOptions, prometheusSink } from '../../src/sinks/prometheus/index.js';
import { testContext } from '../../src/testing/index.js';
import { freePort } from '../helpers/net.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

const open: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.shutdown().catch(() => undefined)));
});

describe('prometheus sink', () => {
  it('serves the metrics at its path and 404 elsewhere', async () => {
    const port = await freePort();
    const context = testContext();
    context.stats.counter('packetd_packets_read_total', 'Packets read from capture sources').inc(5);
    const sink = prometheusSink(prometheusOptions.parse({ port }), context);
    open.push(sink);
    await new Promise((r) => setTimeout(r, 50));
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toContain('# TYPE packetd_packets_read_total counter');
    expect(text).toMatch(/^packetd_packets_read_total\{otel_scope_name="packetd.self"\} 5$/m);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect(context.stats.snapshot()['packetd_prometheus_scrapes_total']).toBe(1);
  });

  it('fails its shutdown with one line when the port is taken', async () => {
    const taken = createServer();
    const port = await listen(taken);
    try {
      const context = testContext();
      const sink = prometheusSink(prometheusOptions.parse({ port }), context);
      await expect(sink.shutdown()).rejects.toThrow(`prometheus: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
      expect(context.logged).toContain(`error: prometheus: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      taken.close();
    }
  });

  it('keeps serving after the end of input until linger_scrapes scrapes, or linger, have passed', async () => {
    const port = await freePort();
    const context = testContext();
    const sink = prometheusSink(prometheusOptions.parse({ port, linger: '20s', linger_scrapes: 2 }), context);
    const started = Date.now();
    const shutdown = sink.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 2; i++) expect((await fetch(`http://127.0.0.1:${port}/metrics`)).ok).toBe(true);
    await shutdown;
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();

    const timed = prometheusSink(prometheusOptions.parse({ port, linger: '200ms' }), testContext());
    const before = Date.now();
    await timed.shutdown();
    expect(Date.now() - before).toBeGreaterThanOrEqual(190);
  });

  it('follows toMetrics: other sinks cannot, and it cannot take roundtrips', async () => {
    const pipeline = (sinks: string, processors = '[{ use: toMetrics }]') =>
      parsePipeline(`source: { pcap: { path: x.pcap } }\npipelines:\n  m:\n    processors: ${processors}\n    sinks: ${sinks}\n`);
    await expect(pipeline('[{ use: prometheus, port: 9999, linger: 5s }]')).resolves.toBeDefined();
    await expect(pipeline('[{ use: jsonl }]')).rejects.toThrow(/"jsonl" takes roundtrips, but "toMetrics" \(processors\[0\]\) gives metrics/);
    await expect(pipeline('[{ use: prometheus }]', '[]')).rejects.toThrow(/"prometheus" takes metrics, but the pipeline start gives roundtrips/);
    await expect(pipeline('[{ use: prometheus, port: 0 }]')).rejects.toBeInstanceOf(PipelineConfigError);
  });
});
