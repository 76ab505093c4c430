import type { Attributes } from '../../model/message.js';
import type { Endpoint } from '../../model/stream.js';
import type { ServerError } from './wire.js';

/**
 * Request attributes under the OpenTelemetry database conventions (statement ones are added by
 * the decoder). OpenTelemetry names MariaDB apart from MySQL: the greeting's version says which.
 */
export function requestAttributes(mariadb: boolean, server: Endpoint, namespace: string | undefined): Attributes {
  const attributes: Attributes = {
    'db.system.name': mariadb ? 'mariadb' : 'mysql',
    'server.address': server.address,
    'server.port': server.port,
  };
  if (namespace !== undefined) attributes['db.namespace'] = namespace;
  return attributes;
}

/** Response attributes: rows of the result sets, the server's error code. */
export function responseAttributes(error: ServerError | undefined, returnedRows: number | undefined): Attributes {
  const attributes: Attributes = {};
  if (returnedRows !== undefined) attributes['db.response.returned_rows'] = returnedRows;
  if (error !== undefined) {
    attributes['db.response.status_code'] = String(error.code);
    attributes['error.type'] = String(error.code);
  }
  return attributes;
}
