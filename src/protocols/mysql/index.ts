import type { ProtocolModule } from '../types.js';
import { MysqlDecoder } from './decoder.js';
import { detectMysql } from './detect.js';
import { SQL_OPTION_NAMES } from '../sql/options.js';

/**
 * MySQL and MariaDB client/server protocol, recognised on any port by the server's greeting
 * (protocol 10) or, joined mid-stream, by a whole command packet with sequence id 0.
 *
 * One command is one roundtrip, answered in order (commands in flight wait in a queue; sequence
 * ids restart at each command): its response runs to the OK / ERR / EOF that ends it, through
 * result sets (several when the server says more follow; no column definitions when MariaDB's
 * cached metadata says none follow) or a prepare's parameter and column definitions. A response
 * still unfinished when the next starts (sequence id 1) is ended `partial: 'framing'`, one that
 * lost bytes `partial: 'gap'`. COM_QUIT, COM_STMT_CLOSE and COM_STMT_SEND_LONG_DATA get no reply
 * by design: roundtrips without a response, status ok, once the commands before them are
 * answered. COM_STMT_EXECUTE carries the text its COM_STMT_PREPARE gave the statement id. The handshake
 * and authentication are no roundtrips; they give the server kind, capabilities and the
 * database. A TLS request, or a replication stream, hands the conversation back. With the
 * compressed protocol the frames are inflated (sizes are then the uncompressed bytes) and
 * counted in `packetd_mysql_compressed_frames_total`.
 *
 * Attributes: `db.system.name` (`mysql`, or `mariadb` when the greeting says so),
 * `db.namespace` (handshake database, then COM_INIT_DB), `db.query.text` (literals as `?` unless
 * `include_literals: true`, cut at `max_query_bytes`, default 2 KiB), `db.operation.name` (the
 * first keyword; `PREPARE` for COM_STMT_PREPARE; the command name, e.g. `PING`, `INIT_DB`, for
 * commands without SQL), `db.response.returned_rows`, `db.response.status_code` and
 * `error.type` (the server's error number). Record details: `command` (`COM_QUERY`, …),
 * `affected_rows`, the error's `sql_state` and `message`.
 */
export const mysql: ProtocolModule = {
  name: 'mysql',
  transport: 'tcp',
  defaultPorts: [3306],
  match: 'stream',
  detect: detectMysql,
  createDecoder: (ctx) => new MysqlDecoder(ctx),
  optionNames: SQL_OPTION_NAMES,
};
