import type { RoundTrip } from '../../model/roundtrip.js';

/** Name, unit and description of a metric toMetrics records. */
export interface MetricInfo {
  name: string;
  unit: string;
  description: string;
}

export const REQUESTS: MetricInfo = { name: 'packetd.requests', unit: '{request}', description: 'Requests seen, by protocol and labels' };
export const ERRORS: MetricInfo = {
  name: 'packetd.request.errors',
  unit: '{request}',
  description: 'Requests that failed (the protocol said so) or got no response, by error.type',
};
export const REQUEST_SIZE: MetricInfo = { name: 'packetd.request.size', unit: 'By', description: 'Request size on the wire (headers and body)' };
export const RESPONSE_SIZE: MetricInfo = { name: 'packetd.response.size', unit: 'By', description: 'Response size on the wire (headers and body)' };

const DURATION_DESCRIPTION = 'Time from the first request byte to the last response byte, packet time';

/**
 * The duration histogram a protocol's roundtrips go to: the OpenTelemetry semantic-convention
 * metric of its kind, told by the attributes its decoder sets. HTTP and RPC use the server
 * metrics (a roundtrip is keyed by the server's endpoint and is usually captured on its
 * host); databases, messaging and DNS have only client metrics in the conventions.
 */
export function durationMetricOf(rt: RoundTrip): MetricInfo {
  const attributes = rt.attributes;
  let name = 'packetd.request.duration';
  if (attributes['rpc.system'] !== undefined) name = 'rpc.server.call.duration';
  else if (attributes['http.request.method'] !== undefined) name = 'http.server.request.duration';
  else if (attributes['db.system.name'] !== undefined) name = 'db.client.operation.duration';
  else if (attributes['messaging.system'] !== undefined) name = 'messaging.client.operation.duration';
  else if (rt.protocol === 'dns') name = 'dns.lookup.duration';
  return { name, unit: 's', description: DURATION_DESCRIPTION };
}

/** Selects every duration histogram above (for views). */
export const DURATION_PATTERN = '*.duration';
/** Selects both size histograms (for views). */
export const SIZE_PATTERN = 'packetd.*.size';
