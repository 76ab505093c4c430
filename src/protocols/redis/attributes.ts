import type { Attributes } from '../../model/message.js';

/** Attributes of a command, under OpenTelemetry database semantic conventions. */
export function commandAttributes(operation: string, queryText: string, namespace: string | undefined): Attributes {
  const attributes: Attributes = {
    'db.system.name': 'redis',
    'db.operation.name': operation,
    'db.query.text': queryText,
  };
  if (namespace !== undefined) attributes['db.namespace'] = namespace;
  return attributes;
}

/** Replies that are not errors add nothing; shared, since the matcher only reads them. */
export const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;

/**
 * An error reply: its prefix (`ERR`, `WRONGTYPE`, `NOAUTH`, …) is the status code and the
 * error type, as the semantic conventions suggest for Redis.
 */
export function errorAttributes(message: string): Attributes {
  const space = message.indexOf(' ');
  const prefix = space < 0 ? message : message.slice(0, space);
  const code = prefix === '' ? 'ERR' : prefix;
  return { 'db.response.status_code': code, 'error.type': code };
}
