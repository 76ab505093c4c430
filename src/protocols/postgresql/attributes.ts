import type { Attributes } from '../../model/message.js';
import type { Endpoint } from '../../model/stream.js';
import type { ServerError } from './wire.js';

/** `error.type` of statements the server discarded because an earlier one in their batch failed. */
export const SKIPPED = 'skipped';

/** Request attributes under the OpenTelemetry database conventions (statement ones are added by the decoder). */
export function requestAttributes(server: Endpoint, namespace: string | undefined): Attributes {
  const attributes: Attributes = {
    'db.system.name': 'postgresql',
    'server.address': server.address,
    'server.port': server.port,
  };
  if (namespace !== undefined) attributes['db.namespace'] = namespace;
  return attributes;
}

/** Response attributes: rows returned (when the statement returns rows), SQLSTATE on errors. */
export function responseAttributes(error: ServerError | undefined, returnedRows: number | undefined, skipped: boolean): Attributes {
  const attributes: Attributes = {};
  if (returnedRows !== undefined) attributes['db.response.returned_rows'] = returnedRows;
  if (error !== undefined) {
    attributes['db.response.status_code'] = error.code;
    attributes['error.type'] = error.code;
  } else if (skipped) attributes['error.type'] = SKIPPED;
  return attributes;
}
