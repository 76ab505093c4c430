import type { Attributes } from '../../model/message.js';
import type { Endpoint } from '../../model/stream.js';
import { isErrorResponse, type MessageHead } from './head.js';

/** Methods OpenTelemetry lists by name; any other becomes `_OTHER`. */
const SEMCONV_METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY',
]);

const SENSITIVE_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization']);
export const REDACTED = 'REDACTED';

const ABSOLUTE_FORM = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/;
const PORT_DIGITS = /^\d{1,5}$/;

/** Host and port of an authority (`host`, `host:port`, `[v6]`, `[v6]:port`); undefined when malformed. */
function splitAuthority(authority: string): { host: string; port: number | undefined } | undefined {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    const rest = authority.slice(close + 1);
    if (rest !== '' && !(rest.startsWith(':') && PORT_DIGITS.test(rest.slice(1)))) return undefined;
    return { host: authority.slice(1, close), port: rest === '' ? undefined : Number(rest.slice(1)) };
  }
  const colon = authority.indexOf(':');
  if (colon < 0) return { host: authority, port: undefined };
  const port = authority.slice(colon + 1);
  return PORT_DIGITS.test(port) ? { host: authority.slice(0, colon), port: Number(port) } : undefined;
}

/**
 * The last authority split, and its parts: a connection, and often a whole capture, names one
 * server request after request, and splitting it anew each time showed in profiles.
 */
let lastAuthority: string | undefined;
let lastParts: ReturnType<typeof splitAuthority>;

function setServer(attributes: Attributes, authority: string, fallback: Endpoint): void {
  if (authority !== lastAuthority) {
    lastAuthority = authority;
    lastParts = splitAuthority(authority.trim());
  }
  const parts = lastParts;
  if (parts === undefined || parts.host === '') {
    attributes['server.address'] = fallback.address;
    attributes['server.port'] = fallback.port;
    return;
  }
  attributes['server.address'] = parts.host;
  attributes['server.port'] = parts.port ?? fallback.port;
}

function setPathAndQuery(attributes: Attributes, pathAndQuery: string): void {
  const question = pathAndQuery.indexOf('?');
  const hash = pathAndQuery.indexOf('#');
  const end = hash < 0 ? pathAndQuery.length : hash;
  const pathEnd = question < 0 || question > end ? end : question;
  attributes['url.path'] = pathAndQuery.slice(0, pathEnd) || '/';
  if (pathEnd < end) attributes['url.query'] = pathAndQuery.slice(pathEnd + 1, end);
}

/**
 * Request attributes under OpenTelemetry HTTP semantic conventions. The target may be in
 * origin form (`/a?b`), absolute form (`http://host/a`, to proxies), authority form (CONNECT)
 * or `*`. The server is named by the URL or Host header, else by the conversation's server.
 */
export function requestAttributes(head: MessageHead, server: Endpoint, bodySize: number): Attributes {
  const attributes: Attributes = {};
  const method = head.method;
  if (SEMCONV_METHODS.has(method)) attributes['http.request.method'] = method;
  else {
    attributes['http.request.method'] = '_OTHER';
    attributes['http.request.method_original'] = method;
  }
  let scheme = 'http';
  let authority = head.host;
  const target = head.target;
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute) {
    scheme = absolute[1]!.toLowerCase();
    authority = absolute[2]!;
    setPathAndQuery(attributes, absolute[3]!);
  } else if (method === 'CONNECT') {
    authority = target;
  } else {
    setPathAndQuery(attributes, target);
  }
  attributes['url.scheme'] = scheme;
  setServer(attributes, authority ?? '', server);
  attributes['network.protocol.name'] = 'http';
  attributes['network.protocol.version'] = head.version;
  const userAgent = head.userAgent;
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  attributes['http.request.body.size'] = bodySize;
  if (head.anomalies !== undefined) attributes['packetd.http.request.anomaly'] = head.anomalies;
  return attributes;
}

/**
 * Response attributes; an error (5xx, or a code outside 100–599) also names its status code as
 * `error.type`. The answer to an HTTP/0.9 request has no status code.
 */
export function responseAttributes(head: MessageHead, bodySize: number): Attributes {
  const attributes: Attributes =
    head.version === '0.9'
      ? { 'http.response.body.size': bodySize }
      : { 'http.response.status_code': head.statusCode, 'http.response.body.size': bodySize };
  if (isErrorResponse(head)) attributes['error.type'] = String(head.statusCode);
  if (head.anomalies !== undefined) attributes['packetd.http.response.anomaly'] = head.anomalies;
  return attributes;
}

/** Headers for the record, with credentials replaced unless the rule asks to keep them. */
export function recordedHeaders(all: Record<string, string | string[]>, includeSensitive: boolean): Record<string, string | string[]> {
  if (includeSensitive) return all;
  let headers = all;
  for (const name of SENSITIVE_HEADERS) {
    if (headers[name] === undefined) continue;
    if (headers === all) headers = { ...all };
    headers[name] = REDACTED;
  }
  return headers;
}
