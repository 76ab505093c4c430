import type { ProtocolModule } from '../types.js';
import { MemcachedDecoder } from './decoder.js';
import { detectMemcached } from './detect.js';
import { MEMCACHED_OPTION_NAMES } from './options.js';

/**
 * memcached, text protocol (get/gets/gat/gats with many keys, set/add/replace/append/prepend/
 * cas with their data blocks, delete, incr/decr, touch, stats, flush_all, version, verbosity,
 * `noreply`, quit; meta `mg` hits are read as a value block) and binary protocol (all opcodes
 * of protocol_binary.h, quiet ones included, multi-packet STAT replies).
 *
 * Replies come in request order, so the matcher pairs them in order. Commands that get no
 * reply by design (`noreply`, `quit`, quiet binary commands the server did not answer) are
 * roundtrips without a response and status `ok`, never `unanswered`.
 *
 * Attributes (OpenTelemetry database conventions): `db.system.name` = `memcached`,
 * `db.operation.name` (the command: `get`, `set`, binary `getq`, …), `db.query.text` (the
 * command with every argument as `?`, `noreply` kept; or the arguments as sent with the option
 * `include_arguments: true`); on replies `db.response.status_code` (text: `STORED`,
 * `NOT_FOUND`, `EXISTS`, …, or the error word; binary: the status number when not 0), and
 * `error.type` on failures (`ERROR`, `CLIENT_ERROR`, `SERVER_ERROR`; binary statuses other than
 * not found, exists and not stored), which make the roundtrip an error. Retrievals also carry
 * `memcached.hits` (values returned) and `memcached.misses` (keys asked for that returned none).
 *
 * Detected by content on any port: binary magic with a plausible header, or a text command line
 * that follows its command's exact grammar. Forced on another protocol, it gives the
 * conversation up (`ctx.release`, reason `not_memcached`) at an HTTP request line, a reply line
 * memcached never sends or an impossible binary header; lines memcached would reject are held
 * until a reply (or a well-formed command) shows it is memcached, so such a conversation leaves
 * no record.
 */
export const memcached: ProtocolModule = {
  name: 'memcached',
  transport: 'tcp',
  defaultPorts: [11211],
  match: 'ordered',
  detect: detectMemcached,
  createDecoder: (ctx) => new MemcachedDecoder(ctx),
  optionNames: MEMCACHED_OPTION_NAMES,
};
