/**
 * packetd's protobuf trace encoder against the OpenTelemetry serializer as the reference:
 * the same spans encoded both ways must carry the same fields, field for field and in the
 * same order, apart from the proto3 defaults (zero counts, UNSET status) packetd leaves out.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { spanBuilder, toSpansOptions } from '../../src/processors/to-spans/index.js';
import { RoundTripSpan } from '../../src/processors/to-spans/span.js';
import { ProtobufWriter } from '../../src/sinks/otlp/protobuf-writer.js';
import { TraceRequestEncoder } from '../../src/sinks/otlp/trace-encoder.js';
import { buildResource } from '../../src/telemetry/resource.js';
import { forEachField, LENGTH_DELIMITED, VARINT } from '../../src/telemetry/protobuf-reader.js';
import { roundtrip } from '../../src/testing/index.js';
import { decodeProtobufRequest } from '../helpers/otlp-receiver.js';

/** Which length-delimited fields of each opentelemetry-proto message are messages themselves. */
const SCHEMA: Record<string, Record<number, string>> = {
  ExportTraceServiceRequest: { 1: 'ResourceSpans' },
  ResourceSpans: { 1: 'Resource', 2: 'ScopeSpans' },
  Resource: { 1: 'KeyValue' },
  ScopeSpans: { 1: 'InstrumentationScope', 2: 'Span' },
  InstrumentationScope: { 3: 'KeyValue' },
  Span: { 9: 'KeyValue', 11: 'Event', 13: 'Link', 15: 'Status' },
  Status: {},
  KeyValue: { 2: 'AnyValue' },
  AnyValue: { 5: 'ArrayValue', 6: 'KeyValueList' },
  ArrayValue: { 1: 'AnyValue' },
  KeyValueList: { 1: 'KeyValue' },
};

type Tree = [field: number, value: string | Tree][];

/**
 * A message as its fields in order, nested messages decoded, proto3 defaults (zero varints,
 * messages left empty by that) dropped: what any protobuf reader would make of the bytes.
 */
function tree(buf: Uint8Array, message = 'ExportTraceServiceRequest', start = 0, end = buf.length): Tree {
  const out: Tree = [];
  forEachField(buf, (f) => {
    const child = SCHEMA[message]![f.number];
    if (f.wireType === LENGTH_DELIMITED && child !== undefined) {
      const nested = tree(buf, child, f.start, f.end);
      if (nested.length > 0) out.push([f.number, nested]);
    } else if (f.wireType === VARINT) {
      if (f.varint !== 0) out.push([f.number, `varint ${f.varint}`]);
    } else {
      out.push([f.number, Buffer.from(buf.subarray(f.start, f.end)).toString('hex')]);
    }
  }, start, end);
  return out;
}

const resource = buildResource({ 'service.name': 'packetd', 'host.name': 'h', 'service.instance.id': 'ü-1', replicas: 3 });
const build = spanBuilder(toSpansOptions.parse({ request_headers: ['x-tag'] }), resource);
const longText = 'SELECT * FROM t WHERE name = ' + "'x'".repeat(6000);

/** Spans from roundtrips of every shape toSpans makes, plus attribute values it never makes itself. */
function variedSpans(): RoundTripSpan[] {
  const spans = [
    build(roundtrip()),
    build(roundtrip({ status: 'error', attributes: { 'http.request.method': 'POST', 'url.path': '/caf\u00e9/🚀/42', 'http.response.status_code': 503 } })),
    build(roundtrip({ status: 'unanswered', response: undefined, end: 1_700_000_000_000_000 })),
    build(
      roundtrip({
        trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1, traceState: 'vendor=opaque, other=x' },
        request: { size: 10, headers: { 'x-tag': ['a', 'b'] } },
      }),
    ),
    build(roundtrip({ trace: { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), flags: 0 } })),
    build(roundtrip({ protocol: 'redis', start: 1_763_788_921_123_457, end: 1_763_788_921_999_999, attributes: { 'db.system.name': 'redis', 'db.operation.name': 'GET', 'db.query.text': longText } })),
    build(roundtrip({ client: { address: '2001:db8::1', port: 40000 }, server: { address: '2001:db8::2', port: 443 } })),
  ];
  const exotic = spans[0]!;
  const otherResource = buildResource({ 'service.name': 'other' });
  const versionedScope = { name: 'packetd', version: '1.2.3', schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' };
  const attributes = {
    negative: -5,
    zero: 0,
    large: 2 ** 60,
    ratio: 0.25,
    notANumber: NaN,
    yes: true,
    no: false,
    empty: '',
    mixed: ['a', null, 'ü'],
    numbers: [1, -2, 2.5],
    flags: [true, false],
    long: 'y'.repeat(200),
  };
  const variant = (res = exotic.resource, scope = exotic.instrumentationScope, kind = SpanKind.CONSUMER) =>
    new RoundTripSpan('exotic', kind, exotic.ids, exotic.idsAt, 1, undefined, undefined, exotic.startUs, exotic.endUs, { code: SpanStatusCode.OK }, attributes, res, scope);
  return [...spans, variant(), variant(otherResource), variant(resource, versionedScope, SpanKind.INTERNAL), build(roundtrip({ connId: 9 }))];
}

describe('TraceRequestEncoder', () => {
  it('encodes what the OpenTelemetry serializer encodes, field for field', () => {
    const spans = variedSpans();
    const ours = new TraceRequestEncoder().encode(spans);
    const reference = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(tree(ours)).toEqual(tree(reference));
    // The same, as the test receiver (and a backend) reads it.
    const received = decodeProtobufRequest(ours);
    expect(received).toEqual(decodeProtobufRequest(reference));
    expect(received).toHaveLength(spans.length);
    expect(received[3]).toMatchObject({ parentSpanId: '00f067aa0ba902b7', traceState: 'vendor=opaque,other=x', flags: 0x301 });
    expect(received[1]!.name).toBe('POST /caf\u00e9/🚀/{id}');
    // Without defaults, smaller than the reference.
    expect(ours.length).toBeLessThan(reference.length);
  });

  it('encodes batch after batch from its reused buffer, each request standing alone', () => {
    const encoder = new TraceRequestEncoder();
    const spans = variedSpans();
    const first = encoder.encode(spans.slice(0, 4));
    const second = encoder.encode(spans.slice(4));
    const again = encoder.encode(spans.slice(0, 4));
    expect(tree(first)).toEqual(tree(ProtobufTraceSerializer.serializeRequest(spans.slice(0, 4))!));
    expect(tree(second)).toEqual(tree(ProtobufTraceSerializer.serializeRequest(spans.slice(4))!));
    expect(again).toEqual(first);
    expect(encoder.encode([])).toHaveLength(0);
  });
});

describe('ProtobufWriter', () => {
  it('back-patches lengths that need more or fewer bytes than reserved', () => {
    const w = new ProtobufWriter();
    for (const length of [0, 127, 128, 16_383, 16_384, 70_000]) {
      const mark = w.begin(2);
      for (let i = 0; i < length; i++) w.byte(i & 0xff);
      w.end(mark, 2);
      const out = w.take();
      const fields: number[] = [];
      forEachField(Buffer.concat([Buffer.from([0x0a]), out]), (f) => fields.push(f.end - f.start));
      expect(fields).toEqual([length]);
      expect(out[out.length - 1]).toBe(length === 0 ? out[0] : (length - 1) & 0xff);
    }
  });

  it('writes nanoseconds from microseconds exactly', () => {
    const w = new ProtobufWriter();
    for (const us of [0, 1, 1_763_788_921_123_457, 2 ** 52 + 1]) {
      w.fixed64NanosFromMicros(us);
      expect(w.take().readBigUInt64LE(0)).toBe(BigInt(us) * 1000n);
    }
  });
});
