/**
 * tshark's reading of MySQL traffic as roundtrips: each client packet with sequence number 0
 * and a command starts one, every server packet until the next belongs to its response
 * (the captures hold no pipelining), commands without a reply by design stand alone.
 */
import { epochToMicros, tsharkFields } from '../../helpers/tshark.js';

const NO_REPLY = new Set([1, 24, 25]); // COM_QUIT, COM_STMT_SEND_LONG_DATA, COM_STMT_CLOSE
const COM_STMT_PREPARE = 22;

export interface ExpectedCommand {
  clientPort: number;
  command: number;
  query: string | undefined;
  requestSize: number;
  start: number;
  responseSize: number | undefined;
  end: number | undefined;
  errorCode: string | undefined;
  sqlState: string | undefined;
  affectedRows: number | undefined;
  /** Rows of a single classic result set (packets less the column count, definitions and two EOFs). */
  rows: number | undefined;
}

interface Building extends ExpectedCommand {
  packets: number;
  fields: number | undefined;
  stmtId: string | undefined;
}

export function expectedCommands(file: string, port: number): ExpectedCommand[] {
  const rows = tsharkFields(
    file,
    ['tcp.stream', 'frame.time_epoch', 'tcp.dstport', 'tcp.srcport', 'mysql.packet_length', 'mysql.packet_number', 'mysql.command',
      'mysql.query', 'mysql.error_code', 'mysql.sqlstate', 'mysql.affected_rows', 'mysql.num_fields', 'mysql.stmt_id', 'mysql.eof'],
    { filter: 'mysql', decodeAs: [`tcp.port==${port},mysql`] },
  );
  const all: Building[] = [];
  const current = new Map<string, Building | undefined>();
  const prepared = new Map<string, string | undefined>();
  for (const [[stream], [time], [dport], [sport], lengths, numbers, commands, queries, errors, states, affected, fields, stmtIds] of rows) {
    const ts = epochToMicros(time);
    if (Number(dport) === port) {
      // One command per client frame in these captures.
      if (numbers[0] !== '0' || commands[0] === undefined) continue;
      const command = Number(commands[0]);
      const stmtId = stmtIds[0];
      const entry: Building = {
        clientPort: Number(sport), command, query: queries[0] ?? (stmtId === undefined ? undefined : prepared.get(`${stream} ${stmtId}`)),
        requestSize: lengths.reduce((sum, l) => sum + Number(l) + 4, 0), start: ts, responseSize: undefined, end: undefined,
        errorCode: undefined, sqlState: undefined, affectedRows: undefined, rows: undefined, packets: 0, fields: undefined, stmtId: undefined,
      };
      all.push(entry);
      current.set(stream, NO_REPLY.has(command) ? undefined : entry);
      continue;
    }
    const entry = current.get(stream);
    if (entry === undefined) continue;
    entry.responseSize = (entry.responseSize ?? 0) + lengths.reduce((sum, l) => sum + Number(l) + 4, 0);
    entry.end = ts;
    entry.packets += lengths.length;
    entry.errorCode ??= errors[0];
    entry.sqlState ??= states[0];
    if (affected.length > 0) entry.affectedRows = (entry.affectedRows ?? 0) + affected.reduce((sum, a) => sum + Number(a), 0);
    if (fields.length > 0) entry.fields = Number(fields[0]);
    if (entry.command === COM_STMT_PREPARE && stmtIds[0] !== undefined) prepared.set(`${stream} ${stmtIds[0]}`, entry.query);
  }
  return all.map(({ packets, fields, stmtId: _s, ...entry }) => ({
    ...entry,
    rows: fields !== undefined && entry.command !== COM_STMT_PREPARE ? packets - fields - 3 : undefined,
  }));
}
