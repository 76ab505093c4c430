/**
 * tshark's reading of MySQL traffic as roundtrips: each client packet with sequence number 0
 * and a command starts one and waits in a queue; a server frame starting with sequence number 1
 * (or any, while no response is under way: tshark misreads a deflated frame's header) starts
 * the response of the oldest waiting command, and server frames after it belong to that
 * response (the captures put no two responses in one frame); commands without a reply by design
 * stand alone.
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
  /**
   * Rows of a single classic result set: packets less the column count, the definitions (none
   * when MariaDB's cached metadata says `metadata_follows` 0) and two EOFs.
   */
  rows: number | undefined;
}

interface Building extends ExpectedCommand {
  packets: number;
  fields: number | undefined;
  metadataFollows: boolean;
  stmtId: string | undefined;
}

export function expectedCommands(file: string, port: number): ExpectedCommand[] {
  const rows = tsharkFields(
    file,
    ['tcp.stream', 'frame.time_epoch', 'tcp.dstport', 'tcp.srcport', 'mysql.packet_length', 'mysql.packet_number', 'mysql.command',
      'mysql.query', 'mysql.error_code', 'mysql.sqlstate', 'mysql.affected_rows', 'mysql.num_fields', 'mysql.stmt_id', 'mysql.metadata_follows'],
    { filter: 'mysql', decodeAs: [`tcp.port==${port},mysql`] },
  );
  const all: Building[] = [];
  const waiting = new Map<string, Building[]>();
  const current = new Map<string, Building | undefined>();
  const prepared = new Map<string, string | undefined>();
  for (const [[stream], [time], [dport], [sport], lengths, numbers, commands, queries, errors, states, affected, fields, stmtIds, metadata] of rows) {
    const ts = epochToMicros(time);
    if (Number(dport) === port) {
      // One command per client frame in these captures.
      if (numbers[0] !== '0' || commands[0] === undefined) continue;
      const command = Number(commands[0]);
      const stmtId = stmtIds[0];
      const entry: Building = {
        clientPort: Number(sport), command, query: queries[0] ?? (stmtId === undefined ? undefined : prepared.get(`${stream} ${stmtId}`)),
        requestSize: lengths.reduce((sum, l) => sum + Number(l) + 4, 0), start: ts, responseSize: undefined, end: undefined,
        errorCode: undefined, sqlState: undefined, affectedRows: undefined, rows: undefined, packets: 0, fields: undefined,
        metadataFollows: true, stmtId: undefined,
      };
      all.push(entry);
      if (!NO_REPLY.has(command)) waiting.set(stream, [...(waiting.get(stream) ?? []), entry]);
      continue;
    }
    if (numbers[0] === '1' || current.get(stream) === undefined) current.set(stream, waiting.get(stream)?.shift());
    const entry = current.get(stream);
    if (entry === undefined) continue;
    entry.responseSize = (entry.responseSize ?? 0) + lengths.reduce((sum, l) => sum + Number(l) + 4, 0);
    entry.end = ts;
    entry.packets += lengths.length;
    entry.errorCode ??= errors[0];
    entry.sqlState ??= states[0];
    if (affected.length > 0) entry.affectedRows = (entry.affectedRows ?? 0) + affected.reduce((sum, a) => sum + Number(a), 0);
    if (fields.length > 0) entry.fields = Number(fields[0]);
    if (metadata[0] === '0') entry.metadataFollows = false;
    if (entry.command === COM_STMT_PREPARE && stmtIds[0] !== undefined) prepared.set(`${stream} ${stmtIds[0]}`, entry.query);
  }
  return all.map(({ packets, fields, metadataFollows, stmtId: _s, ...entry }) => ({
    ...entry,
    rows: fields !== undefined && entry.command !== COM_STMT_PREPARE ? packets - (metadataFollows ? fields : 0) - 3 : undefined,
  }));
}
