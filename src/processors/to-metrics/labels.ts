import type { Attributes as MetricAttributes } from '@opentelemetry/api';
import type { RoundTrip } from '../../model/roundtrip.js';
import { templatePath } from './path-template.js';

/**
 * Roundtrip attributes that become metric labels when present, for every protocol that has
 * no list of its own. All are low-cardinality by design; `url.path` is left out on purpose
 * (`url.template`, derived from it, stands in), as are queries, statements, names and ids.
 */
export const DEFAULT_LABELS: readonly string[] = [
  'http.request.method',
  'http.response.status_code',
  'url.scheme',
  'url.template',
  'network.protocol.version',
  'server.address',
  'server.port',
  'db.system.name',
  'db.operation.name',
  'db.response.status_code',
  'rpc.system',
  'rpc.service',
  'rpc.method',
  'rpc.grpc.status_code',
  'dns.question.type',
  'dns.response_code',
  'messaging.system',
  'messaging.operation.name',
  'messaging.destination.name',
];

/** Always a label: it tells protocols apart in the metrics they share. */
export const PROTOCOL_LABEL = 'network.protocol.name';

const ABSENT = '\u0002';
const SEPARATOR = '\u0001';

/** The labels of the label set a key names, built only when a series is new. */
export interface LabelSource {
  attributes(): MetricAttributes;
}

/**
 * Picks one protocol's labels from a roundtrip: the configured attribute names that are
 * present, plus `network.protocol.name` (the roundtrip's protocol) and `url.template` (the
 * templated `url.path`) when asked for and not set by the decoder. `pick` returns the key of
 * the label set; `attributes()` builds the labels of the last pick, for a new series only.
 */
export class LabelPicker implements LabelSource {
  private readonly names: string[];
  private readonly values: (string | number | boolean | undefined)[];

  constructor(
    private readonly protocol: string,
    names: readonly string[],
  ) {
    this.names = names.filter((name) => name !== PROTOCOL_LABEL);
    this.values = new Array<undefined>(this.names.length);
  }

  pick(rt: RoundTrip): string {
    let key = this.protocol;
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i];
      let value = rt.attributes[name];
      if (value === undefined && name === 'url.template') {
        const path = rt.attributes['url.path'];
        if (typeof path === 'string') value = templatePath(path);
      }
      const label = Array.isArray(value) ? value.join(',') : value;
      this.values[i] = label;
      key += SEPARATOR + (label === undefined ? ABSENT : String(label));
    }
    return key;
  }

  attributes(): MetricAttributes {
    const attributes: MetricAttributes = { [PROTOCOL_LABEL]: this.protocol };
    for (let i = 0; i < this.names.length; i++) {
      if (this.values[i] !== undefined) attributes[this.names[i]] = this.values[i];
    }
    return attributes;
  }
}
