import type { ProtocolModule } from '../types.js';
import { RedisDecoder } from './decoder.js';
import { detectRedis } from './detect.js';
import { REDIS_OPTION_NAMES } from './options.js';

/**
 * Redis: RESP2 and RESP3 (after `HELLO 3`: maps, sets, doubles, booleans, big numbers,
 * verbatim strings, blob errors, attributes, pushes), inline commands, pipelining.
 *
 * Replies come in command order, so the matcher pairs them in order. Pushes are not replies:
 * RESP3 `>` messages, and pub/sub messages on a subscribed RESP2 connection, are counted in
 * `packetd_redis_pushes_total` and never answer a command (a SUBSCRIBE is answered by its first
 * confirmation). Error replies (`-ERR …`, `!` blob errors) make the roundtrip an error.
 *
 * Attributes (OpenTelemetry database conventions): `db.system.name` = `redis`,
 * `db.operation.name` (the command, upper case, with its subcommand for container commands:
 * `CLIENT SETNAME`), `db.query.text` (the command with every argument as `?`, or the arguments
 * as sent with the option `include_arguments: true`), `db.namespace` (the database index once
 * the connection ran SELECT), and on error replies `db.response.status_code` and `error.type`
 * (the error prefix: `ERR`, `WRONGTYPE`, `NOAUTH`, …). The record's `response.type` names the
 * reply's RESP type (`bulk_string`, `integer`, `array`, `map`, `error`, …).
 *
 * Detected by content on any port from a client's `*<count>\r\n$`. Forced on another protocol
 * (a rule naming a port that carries HTTP), it gives the conversation up (`ctx.release`,
 * reason `not_redis`) at an HTTP request line or a server byte that starts no RESP value;
 * inline commands are held until a RESP reply (or a RESP array command) shows it is Redis, so
 * such a conversation leaves no record.
 */
export const redis: ProtocolModule = {
  name: 'redis',
  transport: 'tcp',
  defaultPorts: [6379],
  match: 'ordered',
  detect: detectRedis,
  createDecoder: (ctx) => new RedisDecoder(ctx),
  optionNames: REDIS_OPTION_NAMES,
};
