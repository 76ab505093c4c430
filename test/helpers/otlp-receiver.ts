/**
 * An OTLP/HTTP trace receiver for tests, on 127.0.0.1. It decodes protobuf requests by the
 * field numbers of opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1)
 * and JSON requests by the proto3 JSON mapping of the same schema, into one shape, so a test
 * asserts on what a backend would store. It can be stopped (connection refused) and started
 * again on the same port, or told to answer the next requests with an error status.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { FIXED32, FIXED64, forEachField, VARINT } from '../../src/telemetry/protobuf-reader.js';

export type Value = string | number | boolean | Value[] | { [key: string]: Value };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, Value>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  flags: number;
  resource: Record<string, Value>;
  scope: string;
}

export interface ReceivedRequest {
  encoding: 'protobuf' | 'json';
  gzip: boolean;
  headers: IncomingMessage['headers'];
  spans: number;
}

// --- protobuf, by opentelemetry-proto field numbers ---

const utf8 = new TextDecoder();
const hex = (buf: Uint8Array, start: number, end: number): string => Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('hex');
const text = (buf: Uint8Array, start: number, end: number): string => utf8.decode(buf.subarray(start, end));

function anyValue(buf: Uint8Array, start: number, end: number): Value {
  let value: Value = '';
  forEachField(buf, (f) => {
    if (f.number === 1) value = text(buf, f.start, f.end);
    else if (f.number === 2) value = f.varint !== 0;
    else if (f.number === 3) value = f.varint; // int64: packetd's integers (ports, sizes, codes) are non-negative
    else if (f.number === 4 && f.wireType === FIXED64) value = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readDoubleLE(f.start);
    else if (f.number === 5) {
      const items: Value[] = [];
      forEachField(buf, (item) => item.number === 1 && items.push(anyValue(buf, item.start, item.end)), f.start, f.end);
      value = items;
    } else if (f.number === 6) value = keyValues(buf, f.start, f.end, 1);
  }, start, end);
  return value;
}

function keyValue(buf: Uint8Array, start: number, end: number): [string, Value] {
  let key = '';
  let value: Value = '';
  forEachField(buf, (f) => {
    if (f.number === 1) key = text(buf, f.start, f.end);
    else if (f.number === 2) value = anyValue(buf, f.start, f.end);
  }, start, end);
  return [key, value];
}

/** The repeated KeyValue field `field` of a message. */
function keyValues(buf: Uint8Array, start: number, end: number, field: number): Record<string, Value> {
  const out: Record<string, Value> = {};
  forEachField(buf, (f) => {
    if (f.number !== field) return;
    const [key, value] = keyValue(buf, f.start, f.end);
    out[key] = value;
  }, start, end);
  return out;
}

function fixed64(buf: Uint8Array, start: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readBigUInt64LE(start).toString();
}

function protobufSpan(buf: Uint8Array, start: number, end: number, resource: Record<string, Value>, scope: string): ReceivedSpan {
  const span: ReceivedSpan = {
    traceId: '', spanId: '', parentSpanId: '', traceState: '', name: '', kind: 0,
    startTimeUnixNano: '0', endTimeUnixNano: '0', attributes: {}, status: { code: 0, message: '' }, flags: 0, resource, scope,
  };
  forEachField(buf, (f) => {
    switch (f.number) {
      case 1: span.traceId = hex(buf, f.start, f.end); break;
      case 2: span.spanId = hex(buf, f.start, f.end); break;
      case 3: span.traceState = text(buf, f.start, f.end); break;
      case 4: span.parentSpanId = hex(buf, f.start, f.end); break;
      case 5: span.name = text(buf, f.start, f.end); break;
      case 6: span.kind = f.varint; break;
      case 7: span.startTimeUnixNano = fixed64(buf, f.start); break;
      case 8: span.endTimeUnixNano = fixed64(buf, f.start); break;
      case 9: { const [k, v] = keyValue(buf, f.start, f.end); span.attributes[k] = v; break; }
      case 15:
        forEachField(buf, (s) => {
          if (s.number === 2) span.status.message = text(buf, s.start, s.end);
          else if (s.number === 3 && s.wireType === VARINT) span.status.code = s.varint;
        }, f.start, f.end);
        break;
      case 16: if (f.wireType === FIXED32) span.flags = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt32LE(f.start); break;
    }
  }, start, end);
  return span;
}

export function decodeProtobufRequest(buf: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  forEachField(buf, (rs) => {
    if (rs.number !== 1) return;
    let resource: Record<string, Value> = {};
    forEachField(buf, (f) => { if (f.number === 1) resource = keyValues(buf, f.start, f.end, 1); }, rs.start, rs.end);
    forEachField(buf, (ss) => {
      if (ss.number !== 2) return;
      let scope = '';
      forEachField(buf, (f) => {
        if (f.number === 1) forEachField(buf, (s) => { if (s.number === 1) scope = text(buf, s.start, s.end); }, f.start, f.end);
        else if (f.number === 2) spans.push(protobufSpan(buf, f.start, f.end, resource, scope));
      }, ss.start, ss.end);
    }, rs.start, rs.end);
  });
  return spans;
}

// --- JSON (proto3 JSON mapping) ---

interface JsonKeyValue { key: string; value: JsonAnyValue }
interface JsonAnyValue {
  stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] }; kvlistValue?: { values?: JsonKeyValue[] };
}

function jsonValue(v: JsonAnyValue): Value {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(jsonValue);
  if (v.kvlistValue !== undefined) return jsonAttributes(v.kvlistValue.values);
  return '';
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, Value> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
}

export function decodeJsonRequest(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as {
    resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[];
  };
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const status = (s.status ?? {}) as { code?: number; message?: string };
        spans.push({
          traceId: String(s.traceId ?? ''),
          spanId: String(s.spanId ?? ''),
          parentSpanId: String(s.parentSpanId ?? ''),
          traceState: String(s.traceState ?? ''),
          name: String(s.name ?? ''),
          kind: Number(s.kind ?? 0),
          startTimeUnixNano: String(s.startTimeUnixNano ?? '0'),
          endTimeUnixNano: String(s.endTimeUnixNano ?? '0'),
          attributes: jsonAttributes(s.attributes as JsonKeyValue[] | undefined),
          status: { code: status.code ?? 0, message: status.message ?? '' },
          flags: Number(s.flags ?? 0),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return spans;
}

// --- the server ---

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly requests: ReceivedRequest[] = [];
  /** Statuses to answer the next requests with (then 200 again). */
  readonly failNext: number[] = [];
  private server: Server | undefined;
  private port = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  /** The base URL to give `endpoint:` (the sink appends /v1/traces). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again) on 127.0.0.1: on a free port the first time, on the same port after `stop`. */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Refuses connections from now on (open keep-alive connections are cut). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Resolves once `count` spans have arrived. */
  waitForSpans(count: number): Promise<void> {
    if (this.spans.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const status = this.failNext.shift();
    if (status !== undefined) {
      res.writeHead(status, { 'content-type': 'text/plain' }).end('try later');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const gzip = req.headers['content-encoding'] === 'gzip';
    const body = gzip ? gunzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
    const json = (req.headers['content-type'] ?? '').startsWith('application/json');
    const spans = json ? decodeJsonRequest(body) : decodeProtobufRequest(body);
    this.spans.push(...spans);
    this.requests.push({ encoding: json ? 'json' : 'protobuf', gzip, headers: req.headers, spans: spans.length });
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    this.waiters = this.waiters.filter((w) => (this.spans.length >= w.count ? (w.resolve(), false) : true));
  }
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver = new OtlpReceiver();
  await receiver.start();
  return receiver;
}
