import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { IdSource } from '../../src/processors/to-spans/ids.js';
import { spanBuilder, toSpans, toSpansOptions } from '../../src/processors/to-spans/index.js';
import { buildResource } from '../../src/telemetry/resource.js';
import { marbles, roundtrip, testContext } from '../../src/testing/index.js';

/** Ids in order (1, 2, 3, … in their last bytes), so expectations can name them. */
function sequentialIds(): IdSource {
  let n = 0;
  const next = (target: Buffer, offset: number, bytes: number) => {
    target.fill(0, offset, offset + bytes);
    target.writeUInt32BE(++n, offset + bytes - 4);
  };
  return { traceId: (target, offset) => next(target, offset, 16), spanId: (target, offset) => next(target, offset, 8) };
}

/** What a backend would show of a span, ids and times included. */
function view(span: ReadableSpan) {
  const ctx = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parent: span.parentSpanContext?.spanId,
    start: span.startTime,
    end: span.endTime,
    status: span.status,
  };
}

const options = toSpansOptions.parse({});
const resource = buildResource({ 'service.name': 'packetd' });

describe('toSpans', () => {
  it('emits one span per roundtrip, in order, named by method and templated path', () => {
    const a = roundtrip({ attributes: { 'http.request.method': 'GET', 'url.path': '/users/42/orders/7', 'http.response.status_code': 200 } });
    const b = roundtrip({
      status: 'error',
      start: 1_700_000_001_000_000,
      end: 1_700_000_001_000_250,
      attributes: { 'http.request.method': 'POST', 'url.path': '/fail', 'http.response.status_code': 503, 'error.type': '503' },
    });
    const c = roundtrip({ status: 'unanswered', response: undefined, attributes: { 'http.request.method': 'PURGE' as string, 'url.path': '/' } });
    const build = spanBuilder(options, resource, sequentialIds());
    marbles(({ cold, expectObservable }) => {
      const spans$ = cold('-a-b--c-|', { a, b, c }).pipe(map(build), map(view));
      expectObservable(spans$).toBe('-A-B--C-|', {
        A: {
          name: 'GET /users/{id}/orders/{id}', kind: SpanKind.SERVER, traceId: '1'.padStart(32, '0'), spanId: '2'.padStart(16, '0'),
          parent: undefined, start: [1_700_000_000, 0], end: [1_700_000_000, 2_000_000], status: { code: SpanStatusCode.UNSET },
        },
        B: {
          name: 'POST /fail', kind: SpanKind.SERVER, traceId: '3'.padStart(32, '0'), spanId: '4'.padStart(16, '0'),
          parent: undefined, start: [1_700_000_001, 0], end: [1_700_000_001, 250_000], status: { code: SpanStatusCode.ERROR, message: 'HTTP 503' },
        },
        C: {
          name: 'PURGE /', kind: SpanKind.SERVER, traceId: '5'.padStart(32, '0'), spanId: '6'.padStart(16, '0'),
          parent: undefined, start: [1_700_000_000, 0], end: [1_700_000_000, 2_000_000],
          status: { code: SpanStatusCode.ERROR, message: 'unanswered: no response seen' },
        },
      });
    });
  });

  it('joins the trace the request carried, as a child of the caller span', () => {
    const rt = roundtrip({ trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1, traceState: 'vendor=opaque' } });
    const span = spanBuilder(options, resource, sequentialIds())(rt);
    expect(span.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.spanContext().spanId).toBe('1'.padStart(16, '0'));
    expect(span.spanContext().traceState?.serialize()).toBe('vendor=opaque');
    expect(span.parentSpanContext).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
  });

  it('adds network attributes, redacts signed query parameters, records chosen headers', () => {
    const rt = roundtrip({
      attributes: { 'http.request.method': 'GET', 'url.path': '/s3', 'url.query': 'a=1&Signature=abc&sig=x' },
      request: { size: 10, headers: { authorization: 'REDACTED', 'x-request-id': 'r1' } },
    });
    const span = spanBuilder(toSpansOptions.parse({ request_headers: ['Authorization', 'X-Request-Id'] }), resource)(rt);
    expect(span.attributes).toMatchObject({
      'url.query': 'a=1&Signature=REDACTED&sig=REDACTED',
      'client.address': '10.0.0.1',
      'client.port': 51234,
      'network.peer.address': '10.0.0.1',
      'network.transport': 'tcp',
      'network.type': 'ipv4',
      'http.request.header.authorization': ['REDACTED'],
      'http.request.header.x-request-id': ['r1'],
    });
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('names and kinds other protocol families by their conventions', () => {
    const build = spanBuilder(options, resource, sequentialIds());
    const db = build(roundtrip({ protocol: 'redis', attributes: { 'db.system.name': 'redis', 'db.operation.name': 'GET' } }));
    expect([db.name, db.kind, db.attributes['network.peer.port']]).toEqual(['GET', SpanKind.CLIENT, 80]);
    const rpc = build(roundtrip({ protocol: 'grpc', attributes: { 'rpc.system': 'grpc', 'rpc.service': 'helloworld.Greeter', 'rpc.method': 'SayHello' } }));
    expect([rpc.name, rpc.kind]).toEqual(['helloworld.Greeter/SayHello', SpanKind.SERVER]);
    const pub = build(roundtrip({ protocol: 'mqtt', attributes: { 'messaging.operation.name': 'publish', 'messaging.operation.type': 'send', 'messaging.destination.name': 'orders' } }));
    expect([pub.name, pub.kind]).toEqual(['publish orders', SpanKind.PRODUCER]);
    const other = build(roundtrip({ protocol: 'x', attributes: {} }));
    expect(other.name).toBe('x');
  });

  it('names a response whose request was not seen "HTTP" and marks the span partial', () => {
    const build = spanBuilder(options, resource, sequentialIds());
    const lone = build(roundtrip({ request: undefined, partial: 'request_missing', attributes: { 'http.response.status_code': 200 } }));
    expect([lone.name, lone.attributes['packetd.partial']]).toEqual(['HTTP', 'request_missing']);
  });

  it('describes the pipeline resource through the factory', () => {
    const context = testContext({ resource: { 'service.name': 'edge', 'deployment.environment.name': 'prod' } });
    marbles(({ cold, expectObservable }) => {
      const out$ = cold('-a|', { a: roundtrip() }).pipe(toSpans(options, context), map((s) => s.resource.attributes));
      expectObservable(out$).toBe('-r|', { r: { 'service.name': 'edge', 'deployment.environment.name': 'prod' } });
    });
  });
});
