import { SpanKind } from '@opentelemetry/api';
import type { Attributes } from '../../model/message.js';
import type { RoundTrip } from '../../model/roundtrip.js';

/** Distinct raw paths whose templated form is remembered; the cache restarts when full. */
const PATH_CACHE_SIZE = 4096;
const ID_PLACEHOLDER = '{id}';
/** Segments that name one thing among many: numbers, UUIDs, long hex, long tokens with digits. */
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|(?=[^/]*\d)[A-Za-z0-9_~.=-]{20,})$/i;

/**
 * The path with its identifier-like segments replaced by `{id}`, so `/users/42/orders/9` and
 * `/users/7/orders/1` both name the span `GET /users/{id}/orders/{id}`: span names stay few
 * (backends index them) while `url.path` keeps the exact path.
 */
export class PathTemplates {
  private readonly cache = new Map<string, string>();

  of(path: string): string {
    let template = this.cache.get(path);
    if (template === undefined) {
      template = path
        .split('/')
        .map((segment) => (ID_SEGMENT.test(segment) ? ID_PLACEHOLDER : segment))
        .join('/');
      if (this.cache.size >= PATH_CACHE_SIZE) this.cache.clear();
      this.cache.set(path, template);
    }
    return template;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** OpenTelemetry semantic-convention span names, by the attribute family the protocol sets. */
export function spanName(rt: RoundTrip, paths: PathTemplates): string {
  const a = rt.attributes;
  const method = text(a['http.request.method']);
  if (method !== undefined) {
    const name = method === '_OTHER' ? 'HTTP' : method;
    const path = text(a['url.path']);
    return path === undefined ? name : `${name} ${paths.of(path)}`;
  }
  const rpcMethod = text(a['rpc.method']);
  if (rpcMethod !== undefined) {
    const service = text(a['rpc.service']);
    return service === undefined ? rpcMethod : `${service}/${rpcMethod}`;
  }
  if (a['db.system.name'] !== undefined || a['db.operation.name'] !== undefined) return dbName(a) ?? rt.protocol;
  const messagingOperation = text(a['messaging.operation.name']);
  if (messagingOperation !== undefined) {
    const destination = text(a['messaging.destination.template']) ?? text(a['messaging.destination.name']);
    return destination === undefined ? messagingOperation : `${messagingOperation} ${destination}`;
  }
  const dnsType = text(a['dns.question.type']);
  if (a['dns.question.name'] !== undefined) return dnsType === undefined ? 'DNS query' : `DNS ${dnsType}`;
  // A response whose request was not seen: the method is unknown, as the conventions foresee.
  if (a['http.response.status_code'] !== undefined) return 'HTTP';
  return rt.protocol;
}

function dbName(a: Attributes): string | undefined {
  const summary = text(a['db.query.summary']);
  if (summary !== undefined) return summary;
  const operation = text(a['db.operation.name']);
  const target = text(a['db.collection.name']) ?? text(a['db.stored_procedure.name']) ?? text(a['db.namespace']);
  if (operation !== undefined) return target === undefined ? operation : `${operation} ${target}`;
  return target ?? text(a['db.system.name']);
}

const PRODUCER_OPERATIONS: ReadonlySet<string> = new Set(['create', 'send', 'publish']);
const CONSUMER_OPERATIONS: ReadonlySet<string> = new Set(['receive', 'process', 'settle', 'deliver']);

/**
 * packetd sees a call from the wire, so which side the span stands for is a convention: HTTP
 * and RPC spans are the server's (they join the caller's trace as its child), database and
 * DNS spans the client's (as their semantic conventions describe them), messaging spans the
 * producer's or consumer's by operation.
 */
export function spanKind(rt: RoundTrip): SpanKind {
  const a = rt.attributes;
  if (a['http.request.method'] !== undefined || a['rpc.method'] !== undefined || a['rpc.system'] !== undefined) return SpanKind.SERVER;
  const operationType = text(a['messaging.operation.type']);
  if (operationType !== undefined) {
    if (PRODUCER_OPERATIONS.has(operationType)) return SpanKind.PRODUCER;
    if (CONSUMER_OPERATIONS.has(operationType)) return SpanKind.CONSUMER;
  }
  return SpanKind.CLIENT;
}
