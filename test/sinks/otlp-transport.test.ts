import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spanBuilder, toSpansOptions } from '../../src/processors/to-spans/index.js';
import { otlpTraceOptions, otlpTraceSink } from '../../src/sinks/otlp/trace-sink.js';
import { signalUrl } from '../../src/sinks/otlp/options.js';
import { buildResource } from '../../src/telemetry/resource.js';
import { countSpans } from '../../src/telemetry/protobuf-reader.js';
import { roundtrip, testContext } from '../../src/testing/index.js';
import { decodeJsonRequest, decodeProtobufRequest, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

const build = spanBuilder(toSpansOptions.parse({}), buildResource({ 'service.name': 'packetd', 'host.name': 'h' }));
const spans = (n: number) => Array.from({ length: n }, (_, i) => build(roundtrip({ start: 1_700_000_000_000_000 + i, connId: i })));
const fast = { retry: { initial_interval: '20ms', max_interval: '100ms', max_elapsed_time: '5s' } };

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(() => receiver.stop());

describe('OTLP encodings', () => {
  it('protobuf and JSON carry the same spans', () => {
    const batch = [...spans(2), build(roundtrip({ status: 'error', trace: { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), flags: 1 } }))];
    const fromProtobuf = decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(batch)!);
    const fromJson = decodeJsonRequest(Buffer.from(JsonTraceSerializer.serializeRequest(batch)!));
    expect(fromProtobuf).toHaveLength(3);
    // JSON writes the flags only when set; everything else must agree field by field.
    expect(fromProtobuf.map((s) => ({ ...s, flags: 0 }))).toEqual(fromJson.map((s) => ({ ...s, flags: 0 })));
    expect(countSpans(ProtobufTraceSerializer.serializeRequest(batch)!)).toBe(3);
    expect(fromProtobuf[2]).toMatchObject({ traceId: 'ab'.repeat(16), parentSpanId: 'cd'.repeat(8), status: { code: 2 } });
  });

  it('appends the signal path to a bare endpoint only', () => {
    expect(signalUrl('http://collector:4318', '/v1/traces').href).toBe('http://collector:4318/v1/traces');
    expect(signalUrl('https://tempo.example/otlp/v1/traces', '/v1/traces').href).toBe('https://tempo.example/otlp/v1/traces');
  });
});

describe('otlp sink', () => {
  it('batches, sends headers, gzip and JSON as configured', async () => {
    const context = testContext();
    const sink = otlpTraceSink(
      otlpTraceOptions.parse({ endpoint: receiver.url, batch_size: 4, encoding: 'json', compression: 'gzip', headers: { authorization: 'Bearer t0k' } }),
      context,
    );
    for (const span of spans(10)) sink.write(span);
    await sink.shutdown();
    expect(receiver.spans).toHaveLength(10);
    expect(receiver.requests.map((r) => r.spans)).toEqual([4, 4, 2]);
    expect(receiver.requests.every((r) => r.encoding === 'json' && r.gzip && r.headers.authorization === 'Bearer t0k')).toBe(true);
  });

  it('retries 503 and 429 with backoff, then delivers', async () => {
    receiver.failNext.push(503, 429, 503);
    const context = testContext();
    const sink = otlpTraceSink(otlpTraceOptions.parse({ endpoint: receiver.url, batch_size: 5, ...fast }), context);
    for (const span of spans(5)) sink.write(span);
    await sink.shutdown();
    expect(receiver.spans).toHaveLength(5);
    const snapshot = context.stats.snapshot();
    const key = (name: string, extra = '') => `${name}{endpoint=${receiver.url}/v1/traces${extra},signal=traces}`;
    expect(snapshot[key('packetd_otlp_retries_total')]).toBe(3);
    expect(snapshot[key('packetd_otlp_exported_items_total')]).toBe(5);
    expect(context.logged.some((l) => /warn: otlp traces .*failed request.*HTTP 503/.test(l))).toBe(true);
    expect(context.logged).toContain(`info: otlp traces → ${receiver.url}/v1/traces: export is working again`);
  });

  it('drops a batch the endpoint refuses for good, and counts it', async () => {
    receiver.failNext.push(400);
    const context = testContext();
    const sink = otlpTraceSink(otlpTraceOptions.parse({ endpoint: receiver.url, batch_size: 3, ...fast }), context);
    for (const span of spans(6)) sink.write(span);
    await sink.shutdown();
    expect(receiver.spans).toHaveLength(3);
    expect(context.stats.snapshot()[`packetd_otlp_dropped_items_total{endpoint=${receiver.url}/v1/traces,reason=rejected,signal=traces}`]).toBe(3);
    expect(context.logged.some((l) => l.includes('dropped 3 spans (rejected 3)'))).toBe(true);
  });

  it('waits out an endpoint that is down, holding the flow gate while its queue is full', async () => {
    await receiver.stop();
    const context = testContext();
    const sink = otlpTraceSink(otlpTraceOptions.parse({ endpoint: receiver.url, batch_size: 2, queue_size: 8, ...fast }), context);
    for (const span of spans(4)) sink.write(span);
    expect(context.gate.held).toBe(true);
    const drained = context.gate.ready();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.spans).toHaveLength(0);
    await receiver.start();
    await drained;
    await sink.shutdown();
    expect(receiver.spans).toHaveLength(4);
    expect(context.logged.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
  });

  it('drops what overflows the queue and what runs out of retry time', async () => {
    await receiver.stop();
    const context = testContext();
    const sink = otlpTraceSink(
      otlpTraceOptions.parse({ endpoint: receiver.url, batch_size: 2, queue_size: 4, retry: { initial_interval: '20ms', max_elapsed_time: '150ms' } }),
      context,
    );
    for (const span of spans(10)) sink.write(span);
    await sink.shutdown();
    const dropped = (reason: string) => context.stats.snapshot()[`packetd_otlp_dropped_items_total{endpoint=${receiver.url}/v1/traces,reason=${reason},signal=traces}`];
    expect(dropped('queue_full')).toBe(6);
    expect(dropped('retries_exhausted')).toBe(4);
    // The first drop is told at once; the rest, within the interval, when the sink shuts down.
    const told = context.logged.filter((l) => l.includes('dropped')).map((l) => l.replace(/^.*dropped/, 'dropped'));
    expect(told).toEqual(['dropped 2 spans (queue full 2)', 'dropped 8 spans (queue full 4, retries exhausted 4)']);
  });
});
