import type { ProtocolModule } from '../types.js';
import { PostgresqlDecoder } from './decoder.js';
import { detectPostgresql } from './detect.js';
import { SQL_OPTION_NAMES } from '../sql/options.js';

/**
 * PostgreSQL frontend/backend protocol 3, recognised on any port by its startup message
 * (or SSLRequest, GSSENCRequest, CancelRequest) or, joined mid-stream, by a run of typed
 * messages only one side sends.
 *
 * Roundtrip granularity, as a user reads a session:
 * - a simple Query is one roundtrip, answered by everything up to its ReadyForQuery (several
 *   statements in one Query stay one roundtrip; a COPY's data from the client counts in it);
 * - in the extended protocol each Execute is one roundtrip, with the Parse/Bind/Describe before
 *   it merged in, answered up to its CommandComplete (or EmptyQueryResponse, PortalSuspended,
 *   ErrorResponse); a Sync right after it joins it, and its response then runs to the
 *   ReadyForQuery. So several Executes pipelined before one Sync are several roundtrips;
 *   after an error the server discards the rest of the batch up to the Sync: those roundtrips
 *   are errors with `error.type` `skipped` and no response (the one holding the Sync is
 *   answered by the ReadyForQuery alone);
 * - messages up to a Sync without an Execute (Parse/Describe/Sync: preparing) are one
 *   roundtrip, `db.operation.name` `PREPARE` (or `SYNC`, `CLOSE`, … after what they hold);
 * - CancelRequest (on a connection of its own) and Terminate get no reply by design: roundtrips
 *   without a response, status ok, `db.operation.name` `CANCEL` / `TERMINATE`;
 * - startup, SSL/GSS negotiation and authentication are no roundtrips; the startup message
 *   names `db.namespace`. A server accepting TLS hands the conversation back.
 *
 * Lost server bytes end the response they fell in (`partial: 'gap'`, or unanswered when none
 * of it was read); the server's messages after them are passed over up to the next
 * ReadyForQuery, and the roundtrips up to the Sync it answers are unanswered: never paired
 * with another statement's response.
 *
 * Attributes: `db.system.name` `postgresql`, `db.namespace`, `db.query.text` (literals as `?`
 * unless `include_literals: true`, cut at `max_query_bytes`, default 2 KiB), `db.operation.name`
 * (first keyword), `db.response.returned_rows` (DataRows), `db.response.status_code` and
 * `error.type` (SQLSTATE). Record details: `messages` (the request's message types, e.g.
 * `P/B/D/E/S`), `command_tag` and its `rows`, the error's `severity` and `message`.
 */
export const postgresql: ProtocolModule = {
  name: 'postgresql',
  transport: 'tcp',
  defaultPorts: [5432],
  match: 'stream',
  detect: detectPostgresql,
  createDecoder: (ctx) => new PostgresqlDecoder(ctx),
  optionNames: SQL_OPTION_NAMES,
};
