import { z } from 'zod';
import { formatTimestamp } from '../model/record.js';
import type { RoundTrip } from '../model/roundtrip.js';
import type { Endpoint } from '../model/stream.js';
import type { Sink, SinkFactory } from '../pipeline/component.js';
import { LineOutput, lineOutputOptions } from './line-output.js';

export const textOptions = z.strictObject(lineOutputOptions);
export type TextOptions = z.output<typeof textOptions>;

/**
 * Attributes that say what a roundtrip was about, in the order they read best
 * ("GET /index.html 200", "GET users:1", "A example.com NOERROR"). Whatever a protocol sets
 * from this list shows up; no per-protocol code.
 */
const HEADLINE_ATTRIBUTES = [
  'http.request.method',
  'url.path',
  'rpc.service',
  'rpc.method',
  'db.operation.name',
  'db.query.text',
  'dns.question.type',
  'dns.question.name',
  'messaging.operation.name',
  'messaging.destination.name',
  'http.response.status_code',
  'rpc.grpc.status_code',
  'db.response.status_code',
  'dns.response_code',
];
const MAX_HEADLINE_VALUE = 80;

function endpoint(ep: Endpoint): string {
  return ep.address.includes(':') ? `[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`;
}

/** The query text usually starts with the operation ("SET ? ?"): then the operation is not repeated. */
function repeatsOperation(rt: RoundTrip): boolean {
  const operation = rt.attributes['db.operation.name'];
  const query = rt.attributes['db.query.text'];
  return typeof operation === 'string' && typeof query === 'string' && query.toUpperCase().startsWith(operation.toUpperCase());
}

function headline(rt: RoundTrip): string {
  let out = '';
  const skipOperation = repeatsOperation(rt);
  for (const key of HEADLINE_ATTRIBUTES) {
    const value = rt.attributes[key];
    if (value === undefined || (skipOperation && key === 'db.operation.name')) continue;
    const text = String(value).replace(/\s+/g, ' ');
    out += ' ' + (text.length > MAX_HEADLINE_VALUE ? text.slice(0, MAX_HEADLINE_VALUE - 1) + '…' : text);
  }
  return out;
}

/** `2026-11-22T04:37:44.123456Z http 127.0.0.1:51234 -> 127.0.0.1:80 GET /index.html 200 1.234ms 512B/1024B ok` */
export function formatTextLine(rt: RoundTrip): string {
  const sizes = `${rt.request === undefined ? '-' : `${rt.request.size}B`}/${rt.response === undefined ? '-' : `${rt.response.size}B`}`;
  const duration = `${(rt.durationUs / 1000).toFixed(3)}ms`;
  const partial = rt.partial === undefined ? '' : ` partial=${rt.partial}`;
  return `${formatTimestamp(rt.start)} ${rt.protocol} ${endpoint(rt.client)} -> ${endpoint(rt.server)}${headline(rt)} ${duration} ${sizes} ${rt.status}${partial}`;
}

/** One human-readable line per roundtrip, for people (`packetd log`'s default). */
export const textSink: SinkFactory<TextOptions> = (options, context): Sink => {
  const out = new LineOutput(options, context.baseDir, context.gate, context.log);
  return {
    write: (rt) => out.writeLine(formatTextLine(rt)),
    flush: () => out.flush(),
    shutdown: () => out.close(),
  };
};
