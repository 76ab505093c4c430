import { hostname } from 'node:os';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { Attributes } from '../model/message.js';

/**
 * The resource attributes packetd reports: `service.name` "packetd" and `host.name` (this
 * machine) unless the pipeline's `resource:` key says otherwise, plus whatever it adds.
 */
export function resourceAttributes(configured: Attributes = {}): Attributes {
  return { 'service.name': 'packetd', 'host.name': hostname(), ...configured };
}

/**
 * The SDK Resource for exporters. One object per pipeline run: the OTLP serializers group
 * spans by resource identity, so every span of a run must share this instance.
 */
export function buildResource(attributes: Attributes): Resource {
  return resourceFromAttributes(attributes);
}
