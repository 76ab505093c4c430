import { DataPointType, type CollectionResult, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { toMetrics, toMetricsOptions } from '../../src/processors/to-metrics/index.js';
import { templatePath } from '../../src/processors/to-metrics/path-template.js';
import { metricsHub } from '../../src/telemetry/metrics-hub.js';
import { roundtrip, testContext, testProcessor } from '../../src/testing/index.js';

const get = (path: string, overrides: Partial<RoundTrip> = {}): RoundTrip =>
  roundtrip({
    attributes: { 'http.request.method': 'GET', 'url.path': path, 'http.response.status_code': 200, 'network.protocol.version': '1.1' },
    ...overrides,
  });
const failed = get('/fail', {
  status: 'error',
  durationUs: 40_000,
  attributes: { 'http.request.method': 'POST', 'url.path': '/fail', 'http.response.status_code': 500, 'error.type': '500' },
});
const unanswered = get('/slow', { status: 'unanswered', response: undefined, durationUs: 0 });
const redis = roundtrip({
  protocol: 'redis',
  durationUs: 300,
  request: { size: 30 },
  response: { size: 5 },
  attributes: { 'db.system.name': 'redis', 'db.operation.name': 'GET', 'db.query.text': 'GET k1' },
});

/** Runs roundtrips through toMetrics (checking it yields nothing) and collects the hub. */
async function record(options: unknown, values: Record<string, RoundTrip>, input: string): Promise<{ collected: CollectionResult; snapshot: Record<string, number> }> {
  const harness = testProcessor(toMetrics, toMetricsOptions.parse(options));
  harness.expectMarbles(input, values, input.replace(/[a-z]/g, '-'));
  const collected = await metricsHub(harness.context).collect();
  return { collected, snapshot: harness.context.stats.snapshot() };
}

function metric(collected: CollectionResult, name: string): MetricData {
  const found = collected.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  if (!found) throw new Error(`no metric ${name}`);
  return found;
}

/** Sum points as `label=value,…` (sorted) → value. */
function sums(data: MetricData): Record<string, number> {
  const out: Record<string, number> = {};
  for (const point of data.dataPoints) {
    const key = Object.entries(point.attributes).map(([k, v]) => `${k}=${String(v)}`).sort().join(',');
    out[key] = point.value as number;
  }
  return out;
}

describe('toMetrics', () => {
  it('records roundtrips and yields nothing, completing and failing with its input', () => {
    const harness = testProcessor(toMetrics, toMetricsOptions.parse({}));
    harness.expectMarbles('-a-b-|', { a: get('/'), b: failed }, '-----|');
    harness.expectMarbles('-a-#', { a: get('/') }, '---#');
  });

  it('counts requests per label set, with url.template in place of url.path', async () => {
    const values = { a: get('/users/42'), b: get('/users/7'), c: get('/'), d: failed };
    const { collected } = await record({}, values, '-a-b-c-d-|');
    expect(sums(metric(collected, 'packetd.requests'))).toEqual({
      'http.request.method=GET,http.response.status_code=200,network.protocol.name=http,network.protocol.version=1.1,url.template=/users/{id}': 2,
      'http.request.method=GET,http.response.status_code=200,network.protocol.name=http,network.protocol.version=1.1,url.template=/': 1,
      'http.request.method=POST,http.response.status_code=500,network.protocol.name=http,url.template=/fail': 1,
    });
  });

  it('counts errors by error.type: the decoder\'s, or "unanswered"', async () => {
    const { collected } = await record({ labels: { http: ['http.request.method'] } }, { a: get('/'), b: failed, c: unanswered }, '-a-b-c-|');
    expect(sums(metric(collected, 'packetd.request.errors'))).toEqual({
      'error.type=500,http.request.method=POST,network.protocol.name=http': 1,
      'error.type=unanswered,http.request.method=GET,network.protocol.name=http': 1,
    });
    expect(sums(metric(collected, 'packetd.requests'))).toEqual({
      'http.request.method=GET,network.protocol.name=http': 2,
      'http.request.method=POST,network.protocol.name=http': 1,
    });
  });

  it('records durations in seconds (answered roundtrips only) under the semantic-convention name of the protocol', async () => {
    const { collected } = await record({ labels: { default: [] } }, { a: get('/'), b: failed, c: unanswered, d: redis }, '-a-b-c-d-|');
    const http = metric(collected, 'http.server.request.duration');
    expect(http.descriptor.unit).toBe('s');
    expect(http.dataPointType).toBe(DataPointType.HISTOGRAM);
    const [point] = http.dataPoints as { value: { count: number; sum: number; buckets: { boundaries: number[]; counts: number[] } } }[];
    expect(point.value.count).toBe(2);
    expect(point.value.sum).toBeCloseTo(0.042, 9);
    expect(point.value.buckets.boundaries.slice(0, 4)).toEqual([0.0001, 0.00025, 0.0005, 0.001]);
    const db = metric(collected, 'db.client.operation.duration');
    expect((db.dataPoints[0].value as { count: number }).count).toBe(1);
    const sizes = metric(collected, 'packetd.request.size').dataPoints.map((p) => (p.value as { sum: number }).sum);
    expect(sizes.sort((a, b) => a - b)).toEqual([30, 360]);
  });

  it('counts a response whose request was not seen as a request, with its response size but no duration', async () => {
    const lone = get('/', { request: undefined, partial: 'request_missing', durationUs: 5_000, response: { size: 77 } });
    const { collected } = await record({ labels: { default: [] } }, { a: get('/'), b: lone }, '-a-b-|');
    expect(Object.values(sums(metric(collected, 'packetd.requests')))).toEqual([2]);
    const durations = metric(collected, 'http.server.request.duration').dataPoints as { value: { count: number } }[];
    expect(durations[0].value.count).toBe(1);
    const requestSizes = metric(collected, 'packetd.request.size').dataPoints as { value: { count: number } }[];
    expect(requestSizes[0].value.count).toBe(1);
    const responseSizes = metric(collected, 'packetd.response.size').dataPoints as { value: { count: number; sum: number } }[];
    expect(responseSizes[0].value.count).toBe(2);
  });

  it('takes configured labels per protocol and explicit buckets with units', async () => {
    const options = { labels: { redis: ['db.operation.name', 'db.query.text'] }, duration_buckets: ['1ms', '10ms'], size_buckets: ['1KiB'] };
    const { collected } = await record(options, { d: redis }, '-d-|');
    expect(sums(metric(collected, 'packetd.requests'))).toEqual({ 'db.operation.name=GET,db.query.text=GET k1,network.protocol.name=redis': 1 });
    const [point] = metric(collected, 'db.client.operation.duration').dataPoints as { value: { buckets: { boundaries: number[]; counts: number[] } } }[];
    expect(point.value.buckets).toEqual({ boundaries: [0.001, 0.01], counts: [1, 0, 0] });
    const [size] = metric(collected, 'packetd.response.size').dataPoints as { value: { buckets: { boundaries: number[] } } }[];
    expect(size.value.buckets.boundaries).toEqual([1024]);
  });

  it('folds label sets past max_series_per_metric into the otel.metric.overflow series and counts them', async () => {
    const values = { a: get('/a'), b: get('/b'), c: get('/c'), d: get('/d'), e: get('/a') };
    const { collected, snapshot } = await record({ labels: { http: ['url.template'] }, max_series_per_metric: 2 }, values, '-a-b-c-d-e-|');
    expect(sums(metric(collected, 'packetd.requests'))).toEqual({
      'network.protocol.name=http,url.template=/a': 2,
      'network.protocol.name=http,url.template=/b': 1,
      'otel.metric.overflow=true': 2,
    });
    expect(snapshot['packetd_metric_series_overflow_total{metric=packetd.requests}']).toBe(2);
  });

  it('aggregates into base-2 exponential histograms when asked', async () => {
    const { collected } = await record({ histograms: 'exponential', exponential_max_size: 20 }, { a: get('/'), b: failed }, '-a-b-|');
    const http = metric(collected, 'http.server.request.duration');
    expect(http.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
    const counts = http.dataPoints.map((p) => (p.value as { count: number }).count);
    expect(counts.reduce((a, b) => a + b)).toBe(2);
  });

  it("exports packetd's own counters and gauges next to the roundtrip metrics", async () => {
    const harness = testProcessor(toMetrics, toMetricsOptions.parse({}));
    harness.context.stats.counter('packetd_packets_read_total', 'Packets read', {}).inc(137);
    harness.context.stats.gauge('packetd_connections_tracked', 'Conversations tracked', () => 3);
    const collected = await metricsHub(harness.context).collect();
    expect(sums(metric(collected, 'packetd_packets_read_total'))).toEqual({ '': 137 });
    expect(metric(collected, 'packetd_connections_tracked').dataPoints[0].value).toBe(3);
  });

  it('may be used once per run: a second one would export every series twice', () => {
    const context = testContext();
    toMetrics(toMetricsOptions.parse({}), context);
    expect(() => toMetrics(toMetricsOptions.parse({}), context)).toThrow('toMetrics may be used once per run');
  });

  it('validates its options', () => {
    expect(toMetricsOptions.safeParse({ duration_buckets: ['10ms', '1ms'] }).success).toBe(false);
    expect(toMetricsOptions.safeParse({ histograms: 'native' }).success).toBe(false);
    expect(toMetricsOptions.safeParse({ max_series_per_metric: 0 }).success).toBe(false);
    expect(toMetricsOptions.safeParse({ label: {} }).success).toBe(false);
  });
});

describe('templatePath', () => {
  it.each([
    ['/users/42', '/users/{id}'],
    ['/users/42/orders/7', '/users/{id}/orders/{id}'],
    ['/o/3f2b8c1e-9a4d-4f6b-8e2a-1c5d7e9f0a2b', '/o/{id}'],
    ['/blob/5f1c0a9e3b7d2c4e6f8a', '/blob/{id}'],
    ['/t/eyJhbGciOiJIUzI1NiJ9abc123XYZ', '/t/{id}'],
    ['/api/v1/feedback', '/api/v1/feedback'],
    ['/deadbeef', '/deadbeef'],
    ['/static/app.css', '/static/app.css'],
    ['/', '/'],
  ])('%s → %s', (path, template) => {
    expect(templatePath(path)).toBe(template);
  });
});
