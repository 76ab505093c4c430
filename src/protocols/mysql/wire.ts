/** MySQL / MariaDB client-server protocol facts: commands, capability flags, packet readers. */

export const COM_QUIT = 0x01;
export const COM_INIT_DB = 0x02;
export const COM_QUERY = 0x03;
export const COM_FIELD_LIST = 0x04;
export const COM_STATISTICS = 0x09;
export const COM_PROCESS_INFO = 0x0a;
export const COM_PING = 0x0e;
export const COM_CHANGE_USER = 0x11;
export const COM_BINLOG_DUMP = 0x12;
export const COM_STMT_PREPARE = 0x16;
export const COM_STMT_EXECUTE = 0x17;
export const COM_STMT_SEND_LONG_DATA = 0x18;
export const COM_STMT_CLOSE = 0x19;
export const COM_STMT_RESET = 0x1a;
export const COM_STMT_FETCH = 0x1c;
export const COM_BINLOG_DUMP_GTID = 0x1e;
export const COM_RESET_CONNECTION = 0x1f;

/** Command names as `db.operation.name` shows commands that carry no SQL. */
export const COMMAND_NAMES: ReadonlyMap<number, string> = new Map([
  [COM_QUIT, 'QUIT'], [COM_INIT_DB, 'INIT_DB'], [COM_QUERY, 'QUERY'], [COM_FIELD_LIST, 'FIELD_LIST'], [0x05, 'CREATE_DB'],
  [0x06, 'DROP_DB'], [0x07, 'REFRESH'], [0x08, 'SHUTDOWN'], [COM_STATISTICS, 'STATISTICS'], [COM_PROCESS_INFO, 'PROCESS_INFO'],
  [0x0c, 'PROCESS_KILL'], [0x0d, 'DEBUG'], [COM_PING, 'PING'], [COM_CHANGE_USER, 'CHANGE_USER'], [COM_BINLOG_DUMP, 'BINLOG_DUMP'],
  [COM_STMT_PREPARE, 'STMT_PREPARE'], [COM_STMT_EXECUTE, 'STMT_EXECUTE'], [COM_STMT_SEND_LONG_DATA, 'STMT_SEND_LONG_DATA'],
  [COM_STMT_CLOSE, 'STMT_CLOSE'], [COM_STMT_RESET, 'STMT_RESET'], [0x1b, 'SET_OPTION'], [COM_STMT_FETCH, 'STMT_FETCH'],
  [COM_BINLOG_DUMP_GTID, 'BINLOG_DUMP_GTID'], [COM_RESET_CONNECTION, 'RESET_CONNECTION'],
]);

export const CLIENT_CONNECT_WITH_DB = 0x00000008;
export const CLIENT_COMPRESS = 0x00000020;
export const CLIENT_PROTOCOL_41 = 0x00000200;
export const CLIENT_SSL = 0x00000800;
export const CLIENT_PLUGIN_AUTH_LENENC_DATA = 0x00200000;
export const CLIENT_SECURE_CONNECTION = 0x00008000;
export const CLIENT_DEPRECATE_EOF = 0x01000000;
export const CLIENT_QUERY_ATTRIBUTES = 0x08000000;
export const SERVER_MORE_RESULTS_EXISTS = 0x0008;

export const PACKET_OK = 0x00;
export const PACKET_EOF = 0xfe;
export const PACKET_ERR = 0xff;
export const PACKET_LOCAL_INFILE = 0xfb;
/** A packet this long continues in the next one. */
export const MAX_PACKET_PAYLOAD = 0xffffff;

/** A length-encoded integer at `off`: its value and the offset after it (value -1 when cut or NULL). */
export function lenenc(buf: Buffer, off: number, end: number): [number, number] {
  if (off >= end) return [-1, end];
  const first = buf[off]!;
  if (first < 0xfb) return [first, off + 1];
  const width = first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : 0;
  if (width === 0 || off + 1 + width > end) return [-1, end];
  return [width === 8 ? Number(buf.readBigUInt64LE(off + 1)) : buf.readUIntLE(off + 1, width), off + 1 + width];
}

export interface ServerError {
  code: number;
  sqlState: string | undefined;
  message: string;
}

/** An ERR packet body (`0xff`, code, `#` + SQL state, message). */
export function serverError(buf: Buffer, from: number, end: number): ServerError {
  const code = end - from >= 3 ? buf.readUInt16LE(from + 1) : 0;
  const hasState = end - from >= 9 && buf[from + 3] === 0x23;
  return {
    code,
    sqlState: hasState ? buf.toString('latin1', from + 4, from + 9) : undefined,
    message: buf.toString('utf8', hasState ? from + 9 : from + 3, end),
  };
}

/** Status flags of an EOF packet (`0xfe`, warnings, status) or of an OK packet (either header byte). */
export function statusFlags(buf: Buffer, from: number, end: number): number {
  if (buf[from] === PACKET_EOF && end - from === 5) return buf.readUInt16LE(from + 3);
  const [, afterRows] = lenenc(buf, from + 1, end);
  const [, afterId] = lenenc(buf, afterRows, end);
  return afterId + 2 <= end ? buf.readUInt16LE(afterId) : 0;
}

/** Affected rows of an OK packet. */
export function affectedRows(buf: Buffer, from: number, end: number): number {
  return lenenc(buf, from + 1, end)[0];
}

/** The NUL-terminated string at `from` and the offset after its NUL. */
export function nulString(buf: Buffer, from: number, end: number): [string, number] {
  const nul = buf.indexOf(0, from);
  const stop = nul < 0 || nul >= end ? end : nul;
  return [buf.toString('utf8', from, stop), stop + 1];
}
