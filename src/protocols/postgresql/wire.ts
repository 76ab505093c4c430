/** PostgreSQL protocol 3 wire facts: message types, request codes, and body readers. */

export const PROTOCOL_3 = 3;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
/** Startup-family messages (no type byte) are small; anything longer is not one. */
export const MAX_STARTUP_LENGTH = 10_000;
/** The protocol's own limit on a message is 1 GiB. */
export const MAX_MESSAGE_LENGTH = 0x40000000;

function typeTable(types: string): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < types.length; i++) table[types.charCodeAt(i)] = 1;
  return table;
}

/** Types a client sends (Bind, Close, CopyData, …). */
export const FRONTEND_TYPES = typeTable('BCcdDEfFHPpQSX');
/** Types a server sends. */
export const BACKEND_TYPES = typeTable('123ACcdDEGHIKnNRsStTvVWZ');
/** Types only one side sends: a stream holding one of them says which side it is. */
export const FRONTEND_ONLY = typeTable('BfFPpQX');
export const BACKEND_ONLY = typeTable('123AGIKnNRstTvVWZ');

/** Index of the NUL ending the C string at `from`, or `end` when it is cut. */
export function cstringEnd(buf: Buffer, from: number, end: number): number {
  const nul = buf.indexOf(0, from);
  return nul < 0 || nul > end ? end : nul;
}

/** The C string at `from` (latin1; names and tags are ASCII). */
export function cstring(buf: Buffer, from: number, end: number): string {
  return buf.toString('latin1', from, cstringEnd(buf, from, end));
}

/** Startup parameters (`user`, `database`, …) from a startup body after its protocol code. */
export function startupParameters(buf: Buffer, from: number, end: number): Map<string, string> {
  const params = new Map<string, string>();
  let off = from;
  while (off < end && buf[off] !== 0) {
    const nameEnd = cstringEnd(buf, off, end);
    const valueEnd = cstringEnd(buf, nameEnd + 1, end);
    if (valueEnd >= end) break;
    params.set(buf.toString('latin1', off, nameEnd), buf.toString('utf8', nameEnd + 1, valueEnd));
    off = valueEnd + 1;
  }
  return params;
}

export interface ServerError {
  /** SQLSTATE (`23505`). */
  code: string;
  severity: string;
  message: string;
}

/** The fields of an ErrorResponse body: `S`/`V` severity, `C` SQLSTATE, `M` message. */
export function serverError(buf: Buffer, from: number, end: number): ServerError {
  const error: ServerError = { code: '', severity: '', message: '' };
  let off = from;
  while (off < end && buf[off] !== 0) {
    const field = buf[off]!;
    const valueEnd = cstringEnd(buf, off + 1, end);
    if (field === 0x43 /* C */) error.code = buf.toString('latin1', off + 1, valueEnd);
    else if (field === 0x4d /* M */) error.message = buf.toString('utf8', off + 1, valueEnd);
    else if (field === 0x56 /* V */ || (field === 0x53 /* S */ && error.severity === '')) error.severity = buf.toString('latin1', off + 1, valueEnd);
    off = valueEnd + 1;
  }
  return error;
}

const TAG_COUNT = / (\d+)$/;

/** The row count a CommandComplete tag ends with (`INSERT 0 5` → 5, `SELECT 3` → 3), if any. */
export function tagRowCount(tag: string): number | undefined {
  const m = TAG_COUNT.exec(tag);
  return m ? Number(m[1]) : undefined;
}
