import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { MessageSummary, RoundTrip } from '../../model/roundtrip.js';

/** Query parameters whose values the semantic conventions ask to replace (signatures, keys). */
const SENSITIVE_QUERY = /(^|&)(AWSAccessKeyId|Signature|sig|X-Goog-Signature)=[^&]*/g;
const REDACTED = 'REDACTED';

export interface HeaderSelection {
  /** Lower-case request header names recorded as `http.request.header.<name>`. */
  request: string[];
  /** Lower-case response header names recorded as `http.response.header.<name>`. */
  response: string[];
}

function addHeaders(attributes: Attributes, message: MessageSummary | undefined, names: string[], prefix: string): void {
  const headers = message?.headers as Record<string, string | string[]> | undefined;
  if (headers === undefined) return;
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) attributes[prefix + name] = Array.isArray(value) ? value : [value];
  }
}

/**
 * The roundtrip's protocol attributes plus where the call went on the network. A server span
 * names its client as the peer, other spans the server (the opt-in `network.local.*` pair is
 * left out: every span pays for each attribute in encoding and storage). Header values come from the record,
 * where the decoder already redacted credentials (unless its rule keeps them).
 */
export function spanAttributes(rt: RoundTrip, kind: SpanKind, headers: HeaderSelection): Attributes {
  const networkType = rt.server.address.includes(':') ? 'ipv6' : 'ipv4';
  // One literal shape per side, then the protocol's attributes: far cheaper than a spread
  // followed by a run of property additions.
  const attributes: Attributes =
    kind === SpanKind.SERVER
      ? {
          'network.transport': rt.transport,
          'network.type': networkType,
          'client.address': rt.client.address,
          'client.port': rt.client.port,
          'network.peer.address': rt.client.address,
          'network.peer.port': rt.client.port,
        }
      : {
          'network.transport': rt.transport,
          'network.type': networkType,
          'network.peer.address': rt.server.address,
          'network.peer.port': rt.server.port,
        };
  const own = rt.attributes;
  for (const key in own) attributes[key] = own[key];
  if (own['server.address'] === undefined) {
    attributes['server.address'] = rt.server.address;
    attributes['server.port'] = rt.server.port;
  }
  const query = own['url.query'];
  if (typeof query === 'string' && query.length > 0) attributes['url.query'] = query.replace(SENSITIVE_QUERY, `$1$2=${REDACTED}`);
  if (rt.partial !== undefined) attributes['packetd.partial'] = rt.partial;
  if (headers.request.length > 0) addHeaders(attributes, rt.request, headers.request, 'http.request.header.');
  if (headers.response.length > 0) addHeaders(attributes, rt.response, headers.response, 'http.response.header.');
  return attributes;
}
