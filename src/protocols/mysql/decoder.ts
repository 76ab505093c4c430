import { inflateSync } from 'node:zlib';
import { type L7Message, type MessagePartial, newMessage } from '../../model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../model/stream.js';
import type { Counter } from '../../pipeline/stats.js';
import { FrameReader, type Framing } from '../sql/framer.js';
import { sqlOptions, statementBytesToKeep, type SqlOptions } from '../sql/options.js';
import { sqlResponse } from '../sql/response.js';
import { readStatement, setStatementAttributes, type Statement } from '../sql/statement.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import { requestAttributes, responseAttributes } from './attributes.js';
import { isCommand, isCompressedCommand, isGreeting } from './detect.js';
import {
  affectedRows, CLIENT_COMPRESS, CLIENT_CONNECT_WITH_DB, CLIENT_DEPRECATE_EOF, CLIENT_PLUGIN_AUTH_LENENC_DATA,
  CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION, CLIENT_SSL, COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID, COM_CHANGE_USER,
  COM_FIELD_LIST, COM_INIT_DB, COM_PROCESS_INFO, COM_QUERY, COM_QUIT, COM_STATISTICS, COM_STMT_CLOSE, COM_STMT_EXECUTE,
  COM_STMT_FETCH, COM_STMT_PREPARE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA, COMMAND_NAMES, CLIENT_QUERY_ATTRIBUTES, lenenc, MAX_PACKET_PAYLOAD,
  nulString, PACKET_EOF, PACKET_ERR, PACKET_LOCAL_INFILE, PACKET_OK, SERVER_MORE_RESULTS_EXISTS, serverError,
  statusFlags, type ServerError,
} from './wire.js';

const MAX_PENDING = 1024;
const MAX_STATEMENTS = 1024;
/** MariaDB's statement id for "the statement prepared last" (a prepare and its execute sent together). */
const LAST_PREPARED = 0xffffffff;
/** Compressed frames are inflated whole; a larger one is counted and its contents skipped. */
const MAX_COMPRESSED_FRAME = 4 * 1024 * 1024;

const enum Phase {
  /** Nothing seen yet: a greeting, a handshake response or (joined mid-stream) a command may come. */
  Start,
  /** Handshake and authentication: passed over until the server's OK or ERR. */
  Login,
  Command,
}

/** How the response to a command is framed. */
const enum Shape {
  /** OK, ERR or EOF: one packet. */
  Simple,
  /** Any single packet (COM_STATISTICS answers with bare text). */
  Single,
  /** OK, ERR, LOCAL INFILE request, or result sets (several when the status says more follow). */
  ResultSet,
  /** The prepare OK, then parameter and column definitions. */
  Prepare,
  /** Packets up to EOF or ERR (COM_FIELD_LIST). */
  UntilEof,
  /** Authentication exchange up to OK or ERR (COM_CHANGE_USER). */
  Auth,
}

const enum Step {
  First,
  Columns,
  ColumnsDone,
  Rows,
  Infile,
  Definitions,
}

interface Command {
  command: number;
  start: number;
  end: number;
  size: number;
  statement: Statement | undefined;
  /** COM_STMT_*: the statement id it names (-1: none), resolved when it leaves the queue. */
  statementId: number;
  /** No reply by design: it leaves the queue as soon as every command before it is answered. */
  noReply: boolean;
  /** COM_INIT_DB: the schema that becomes `db.namespace` when the server accepts it. */
  schema: string | undefined;
  shape: Shape;
  step: Step;
  /** Columns (result set) or definitions (prepare) still to come. */
  remaining: number;
  reply: Reply | undefined;
}

interface Reply {
  start: number;
  /** Time of the last packet credited to it. */
  end: number;
  /** Sequence id of that packet: a response's packets count up from 1 (wrapping at 256). */
  seq: number;
  size: number;
  rows: number;
  resultSets: number;
  affected: number;
  error: ServerError | undefined;
}

function shapeOf(command: number): Shape {
  switch (command) {
    case COM_QUERY:
    case COM_STMT_EXECUTE:
    case COM_PROCESS_INFO:
      return Shape.ResultSet;
    case COM_STMT_FETCH:
      return Shape.ResultSet;
    case COM_STMT_PREPARE:
      return Shape.Prepare;
    case COM_FIELD_LIST:
      return Shape.UntilEof;
    case COM_STATISTICS:
      return Shape.Single;
    case COM_CHANGE_USER:
      return Shape.Auth;
    default:
      return Shape.Simple;
  }
}

/** Packets: 3-byte length, sequence id, payload. */
class PacketFraming implements Framing {
  bodyLength = 0;
  constructor(
    private readonly decoder: MysqlDecoder,
    private readonly dir: Direction,
  ) {}

  readHeader(buf: Buffer, off: number): number {
    if (buf.length - off < 4) return 0;
    this.bodyLength = buf.readUIntLE(off, 3);
    return 4;
  }

  onMessage(buf: Buffer, off: number, _headerLength: number, bodyEnd: number, size: number, start: number, end: number): void {
    this.decoder.packet(this.dir, buf, off, bodyEnd, size, start, end);
  }

  /** After lost bytes: a whole command from the client, or a response's first packet from the server. */
  plausibleStart(buf: Buffer, off: number): boolean {
    if (buf.length - off < 5) return false;
    const length = buf.readUIntLE(off, 3);
    if (this.dir === CLIENT_TO_SERVER) return buf[off + 3] === 0 && off + 4 + length === buf.length && isCommand(buf, off, length);
    return buf[off + 3] === 1 && off + 4 + length <= buf.length;
  }
}

/** Compressed frames: 3-byte compressed length, sequence id, 3-byte uncompressed length (0: stored as is). */
class CompressedFraming implements Framing {
  bodyLength = 0;
  constructor(
    private readonly decoder: MysqlDecoder,
    private readonly dir: Direction,
  ) {}

  readHeader(buf: Buffer, off: number): number {
    if (buf.length - off < 7) return 0;
    this.bodyLength = buf.readUIntLE(off, 3);
    return 7;
  }

  onMessage(buf: Buffer, off: number, _headerLength: number, bodyEnd: number, size: number, _start: number, end: number): void {
    this.decoder.compressedFrame(this.dir, buf, off, bodyEnd, size, end);
  }

  plausibleStart(): boolean {
    return false;
  }
}

/**
 * MySQL / MariaDB decoder for one conversation, pairing each command with its response itself
 * (match strategy `stream`): commands are answered in order, and the response's framing
 * depends on the command (a result set's column count, a prepare's definitions, …). The
 * handshake is read for the server version, capabilities and database, and otherwise passed
 * over (auth data is never looked at). With the compressed protocol, frames are inflated and
 * their packets decoded the same way.
 */
export class MysqlDecoder implements StreamDecoder {
  readonly options: SqlOptions;
  private readonly packets: [FrameReader, FrameReader];
  private readonly frames: [FrameReader, FrameReader];
  private phase = Phase.Start;
  private compressed = false;
  private clientCapabilities = 0;
  private serverCapabilities = 0;
  private mariadb = false;
  private namespace: string | undefined;
  private readonly pending: Command[] = [];
  private readonly statements = new Map<number, Statement>();
  private lastPrepared = -1;
  /** The last packet of each direction filled a whole packet: the next one continues it. */
  private readonly continues = [false, false];
  private stopped = false;
  private readonly compressedFrames: Counter;

  constructor(readonly ctx: DecoderContext) {
    this.options = sqlOptions(ctx.options);
    const keep = statementBytesToKeep(this.options);
    const lost = (reason: string): void => ctx.error(reason);
    this.packets = [
      new FrameReader(new PacketFraming(this, CLIENT_TO_SERVER), keep, lost),
      new FrameReader(new PacketFraming(this, SERVER_TO_CLIENT), keep, lost),
    ];
    this.frames = [
      new FrameReader(new CompressedFraming(this, CLIENT_TO_SERVER), MAX_COMPRESSED_FRAME, lost),
      new FrameReader(new CompressedFraming(this, SERVER_TO_CLIENT), MAX_COMPRESSED_FRAME, lost),
    ];
    this.compressedFrames = ctx.stats.counter('packetd_mysql_compressed_frames_total', 'MySQL compressed-protocol frames decoded');
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    if (this.phase === Phase.Start && dir === CLIENT_TO_SERVER && isCompressedCommand(payload, 0)) {
      // Joined mid-stream on a compressed conversation: its first command says so.
      this.phase = Phase.Command;
      this.compressed = true;
    }
    let off = 0;
    while (off < payload.length && !this.stopped) {
      const wasCompressed = this.compressed;
      off = (wasCompressed ? this.frames : this.packets)[dir].feed(payload, off, ts);
      if (this.compressed === wasCompressed) return;
    }
  }

  gap(dir: Direction, _bytes: number, _ts: number): void {
    (this.compressed ? this.frames : this.packets)[dir].lose();
    this.packets[dir].lose();
    this.continues[dir] = false;
    if (dir === CLIENT_TO_SERVER && !this.compressed) return;
    // The lost bytes were (part of) the response to the oldest command: that one ends here,
    // with what was read of it, and the next response (sequence id 1) answers the next command.
    const head = this.pending[0];
    if (head === undefined) return;
    if (head.reply !== undefined) this.complete(head.reply.end, 'gap');
    else {
      this.ctx.emit(this.request(this.pending.shift()!));
      this.releaseNoReply();
    }
  }

  end(_ts: number): void {
    if (this.stopped) return;
    if (this.packets[0].midMessage || this.packets[1].midMessage) this.ctx.error('truncated');
    for (const command of this.pending) this.ctx.emit(this.request(command));
    this.pending.length = 0;
    this.stopped = true;
  }

  compressedFrame(dir: Direction, buf: Buffer, off: number, bodyEnd: number, size: number, end: number): void {
    this.compressedFrames.inc();
    const inner = this.packets[dir];
    if (bodyEnd - off < size) {
      this.ctx.error('compressed_frame_too_large');
      inner.lose();
      return;
    }
    const uncompressed = buf.readUIntLE(off + 4, 3);
    if (uncompressed === 0) {
      inner.feed(buf.subarray(off + 7, bodyEnd), 0, end);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = inflateSync(buf.subarray(off + 7, bodyEnd), { maxOutputLength: uncompressed });
    } catch {
      this.ctx.error('bad_compressed_frame');
      inner.lose();
      return;
    }
    inner.feed(bytes, 0, end);
  }

  packet(dir: Direction, buf: Buffer, off: number, bodyEnd: number, size: number, start: number, end: number): void {
    const body = off + 4;
    const seq = buf[off + 3]!;
    const continued = this.continues[dir];
    this.continues[dir] = size - 4 === MAX_PACKET_PAYLOAD;
    if (dir === CLIENT_TO_SERVER) this.clientPacket(buf, off, body, bodyEnd, seq, size, start, end, continued);
    else this.serverPacket(buf, off, body, bodyEnd, seq, size, start, end, continued);
  }

  private clientPacket(buf: Buffer, off: number, body: number, bodyEnd: number, seq: number, size: number, start: number, end: number, continued: boolean): void {
    if (this.phase !== Phase.Command) {
      if (this.phase === Phase.Start && seq === 0 && isCommand(buf, off, size - 4)) this.phase = Phase.Command;
      else {
        if (this.phase === Phase.Start || (seq === 1 && this.clientCapabilities === 0)) this.handshakeResponse(buf, body, bodyEnd);
        return;
      }
    }
    if (seq !== 0 || continued) {
      // The rest of a long command, or LOCAL INFILE data: part of the last command.
      const last = this.pending[this.pending.length - 1];
      if (last !== undefined) {
        last.size += size;
        last.end = end;
      }
      return;
    }
    this.command(buf, body, bodyEnd, size, start, end);
  }

  /**
   * Where a COM_QUERY's text starts: with query attributes (MySQL 8 clients), after their
   * count and set count (0 and 1 for plain queries; bound attributes are not read: -1).
   * Joined mid-stream, the capability is unknown and those two bytes tell.
   */
  private queryTextStart(buf: Buffer, body: number, bodyEnd: number): number {
    const negotiated = (this.clientCapabilities & this.serverCapabilities & CLIENT_QUERY_ATTRIBUTES) !== 0;
    const looksLikeAttributes = this.clientCapabilities === 0 && buf[body + 1] === 0 && buf[body + 2] === 1;
    if (!negotiated && !looksLikeAttributes) return body + 1;
    const [count, afterCount] = lenenc(buf, body + 1, bodyEnd);
    return count === 0 ? lenenc(buf, afterCount, bodyEnd)[1] : -1;
  }

  private handshakeResponse(buf: Buffer, body: number, bodyEnd: number): void {
    this.phase = Phase.Login;
    if (bodyEnd - body < 4) return;
    const capabilities = buf.readUInt32LE(body);
    this.clientCapabilities = capabilities;
    if (capabilities & CLIENT_SSL && bodyEnd - body === 32) {
      this.stopped = true;
      this.ctx.release('tls');
      return;
    }
    if (!(capabilities & CLIENT_PROTOCOL_41) || !(capabilities & CLIENT_CONNECT_WITH_DB)) return;
    let at = nulString(buf, body + 32, bodyEnd)[1]; // past the user name
    if (capabilities & CLIENT_PLUGIN_AUTH_LENENC_DATA) {
      const [length, after] = lenenc(buf, at, bodyEnd);
      at = after + Math.max(0, length);
    } else if (capabilities & CLIENT_SECURE_CONNECTION) at += 1 + (buf[at] ?? 0);
    else at = nulString(buf, at, bodyEnd)[1];
    if (at < bodyEnd) this.namespace = nulString(buf, at, bodyEnd)[0] || this.namespace;
  }

  private command(buf: Buffer, body: number, bodyEnd: number, size: number, start: number, end: number): void {
    const code = buf[body]!;
    const command: Command = {
      command: code, start, end, size, statement: undefined, statementId: -1, noReply: false, schema: undefined,
      shape: shapeOf(code), step: Step.First, remaining: 0, reply: undefined,
    };
    switch (code) {
      case COM_QUERY:
      case COM_STMT_PREPARE: {
        // Some clients (mysqlslap) send the C string's NUL along.
        let textEnd = bodyEnd;
        while (textEnd > body + 1 && buf[textEnd - 1] === 0) textEnd--;
        const textStart = code === COM_QUERY ? this.queryTextStart(buf, body, bodyEnd) : body + 1;
        if (textStart >= 0) command.statement = readStatement(buf, textStart, textEnd, 'mysql', this.options);
        break;
      }
      case COM_STMT_EXECUTE:
      case COM_STMT_CLOSE:
      case COM_STMT_RESET:
      case COM_STMT_SEND_LONG_DATA:
      case COM_STMT_FETCH:
        if (bodyEnd - body >= 5) command.statementId = buf.readUInt32LE(body + 1);
        break;
      case COM_INIT_DB:
        command.schema = buf.toString('utf8', body + 1, bodyEnd);
        break;
      case COM_BINLOG_DUMP:
      case COM_BINLOG_DUMP_GTID:
        this.stopped = true;
        this.ctx.release('replication');
        return;
    }
    if (!COMMAND_NAMES.has(code)) this.ctx.error('unknown_command');
    command.noReply = code === COM_QUIT || code === COM_STMT_CLOSE || code === COM_STMT_SEND_LONG_DATA;
    if (command.noReply && this.pending.length === 0) {
      this.ctx.emit(this.request(command));
      return;
    }
    if (this.pending.length >= MAX_PENDING) {
      this.ctx.error('too_many_pending');
      this.ctx.emit(this.request(this.pending.shift()!));
      this.releaseNoReply();
    }
    this.pending.push(command);
  }

  /** Commands without a reply that the answered ones held back leave the queue. */
  private releaseNoReply(): void {
    while (this.pending.length > 0 && this.pending[0]!.noReply) this.ctx.emit(this.request(this.pending.shift()!));
  }

  private serverPacket(buf: Buffer, off: number, body: number, bodyEnd: number, seq: number, size: number, start: number, end: number, continued: boolean): void {
    if (this.phase === Phase.Start) {
      if (seq === 0 && isGreeting(buf, off, size - 4)) {
        this.greeting(buf, body, bodyEnd);
        this.phase = Phase.Login;
        return;
      }
      this.phase = Phase.Command;
    }
    if (this.phase === Phase.Login) {
      const first = buf[body];
      if (first === PACKET_OK || first === PACKET_ERR) {
        this.phase = Phase.Command;
        if (first === PACKET_OK && this.clientCapabilities & this.serverCapabilities & CLIENT_COMPRESS) {
          this.compressed = true;
          this.packets[SERVER_TO_CLIENT].stopAfterMessage();
        }
      }
      return;
    }
    let head = this.pending[0];
    if (head !== undefined && !continued) {
      const first = head.reply === undefined;
      if (!first && seq === 1 && head.reply!.seq !== 0) {
        // The next response starts while this one seemed unfinished: its framing was misread.
        this.ctx.error('response_framing');
        this.complete(head.reply!.end, 'framing');
        head = this.pending[0];
      } else if (first && seq !== 1) {
        // More of a response already taken as complete, not the start of the next one.
        this.ctx.error('response_framing');
        return;
      }
    }
    if (head === undefined) return; // joined mid-stream, or a response we lost the command of
    const reply = (head.reply ??= { start, end, seq, size: 0, rows: 0, resultSets: 0, affected: -1, error: undefined });
    reply.size += size;
    reply.end = end;
    reply.seq = seq;
    if (continued) return;
    if (this.responsePacket(head, reply, buf, body, bodyEnd, size - 4)) this.complete(end);
  }

  private greeting(buf: Buffer, body: number, bodyEnd: number): void {
    const [version, after] = nulString(buf, body + 1, bodyEnd);
    this.mariadb = version.includes('MariaDB');
    const capsLow = after + 4 + 8 + 1;
    if (capsLow + 2 > bodyEnd) return;
    this.serverCapabilities = buf.readUInt16LE(capsLow);
    if (capsLow + 7 <= bodyEnd) this.serverCapabilities |= buf.readUInt16LE(capsLow + 5) << 16;
  }

  /** Credits one response packet to `head`; true when it ends the response. */
  private responsePacket(head: Command, reply: Reply, buf: Buffer, body: number, bodyEnd: number, length: number): boolean {
    const first = buf[body]!;
    if (first === PACKET_ERR && head.step !== Step.Columns && head.step !== Step.Definitions && head.shape !== Shape.Single) {
      reply.error = serverError(buf, body, bodyEnd);
      return true;
    }
    switch (head.shape) {
      case Shape.Simple:
      case Shape.Single:
        if (first === PACKET_OK) reply.affected = affectedRows(buf, body, bodyEnd);
        return true;
      case Shape.Auth:
        return first === PACKET_OK;
      case Shape.UntilEof:
        return first === PACKET_EOF && length < 9;
      case Shape.Prepare:
        return this.preparePacket(head, buf, body, bodyEnd);
      case Shape.ResultSet:
        return this.resultSetPacket(head, reply, buf, body, bodyEnd, length);
    }
  }

  private preparePacket(head: Command, buf: Buffer, body: number, bodyEnd: number): boolean {
    if (head.step === Step.First) {
      if (bodyEnd - body < 9) return true;
      const columns = buf.readUInt16LE(body + 5);
      const params = buf.readUInt16LE(body + 7);
      if (head.statement !== undefined) {
        if (this.statements.size >= MAX_STATEMENTS) this.statements.delete(this.statements.keys().next().value!);
        this.statements.set(buf.readUInt32LE(body + 1), head.statement);
      }
      this.lastPrepared = buf.readUInt32LE(body + 1);
      const eofs = this.deprecateEof() ? 0 : (params > 0 ? 1 : 0) + (columns > 0 ? 1 : 0);
      head.remaining = params + columns + eofs;
      head.step = Step.Definitions;
      return head.remaining === 0;
    }
    return --head.remaining <= 0;
  }

  /** Column definitions, an optional EOF, rows, then EOF/OK (or ERR); another result set when the status says so. */
  private resultSetPacket(head: Command, reply: Reply, buf: Buffer, body: number, bodyEnd: number, length: number): boolean {
    const first = buf[body]!;
    switch (head.step) {
      case Step.First: {
        if (first === PACKET_OK) return this.endOfResult(head, reply, buf, body, bodyEnd, true);
        if (first === PACKET_LOCAL_INFILE) {
          head.step = Step.Infile;
          return false;
        }
        const [columns, afterCount] = lenenc(buf, body, bodyEnd);
        // MariaDB's cached metadata (MARIADB_CLIENT_CACHE_METADATA): a byte after the count says
        // whether column definitions follow; an EXECUTE of an unchanged statement gets none.
        const definitions = afterCount >= bodyEnd || buf[afterCount] !== 0;
        head.remaining = definitions ? columns : 0;
        head.step = head.remaining > 0 ? Step.Columns : Step.ColumnsDone;
        reply.resultSets++;
        return false;
      }
      case Step.Columns:
        if (--head.remaining === 0) head.step = Step.ColumnsDone;
        return false;
      case Step.ColumnsDone:
        head.step = Step.Rows;
        if (first === PACKET_EOF && length < 9) return false;
        break;
      case Step.Infile:
        return this.endOfResult(head, reply, buf, body, bodyEnd, first === PACKET_OK);
      default:
        break;
    }
    // A text row never starts with 0xfe unless it fills a whole packet; a binary row starts with 0x00.
    if (first === PACKET_EOF && length < MAX_PACKET_PAYLOAD) return this.endOfResult(head, reply, buf, body, bodyEnd, false);
    reply.rows++;
    return false;
  }

  private endOfResult(head: Command, reply: Reply, buf: Buffer, body: number, bodyEnd: number, ok: boolean): boolean {
    if (ok) reply.affected = Math.max(0, reply.affected) + affectedRows(buf, body, bodyEnd);
    if (statusFlags(buf, body, bodyEnd) & SERVER_MORE_RESULTS_EXISTS) {
      head.step = Step.First;
      return false;
    }
    return true;
  }

  /** Without the handshake, EOF packets are assumed (the classic framing). */
  private deprecateEof(): boolean {
    return (this.clientCapabilities & this.serverCapabilities & CLIENT_DEPRECATE_EOF) !== 0;
  }

  private complete(end: number, partial?: MessagePartial): void {
    const command = this.pending.shift()!;
    const reply = command.reply!;
    const request = this.request(command);
    if (command.schema !== undefined && reply.error === undefined) this.namespace = command.schema;
    const details: Record<string, unknown> = {};
    if (reply.affected >= 0) details['affected_rows'] = reply.affected;
    if (reply.error !== undefined) {
      if (reply.error.sqlState !== undefined) details['sql_state'] = reply.error.sqlState;
      details['message'] = reply.error.message;
    }
    const attributes = responseAttributes(reply.error, reply.resultSets > 0 ? reply.rows : undefined);
    const response = sqlResponse('mysql', this.ctx.conv, reply, end, attributes, details, request, reply.error !== undefined);
    if (partial !== undefined) response.partial = partial;
    this.ctx.emit(response);
    this.releaseNoReply();
  }

  /**
   * The statement a COM_STMT_* command names, as the server knows it when it reaches that
   * command: commands leave the queue in order, so the prepares before it are answered.
   */
  private statementOf(command: Command): Statement | undefined {
    if (command.statementId < 0) return command.statement;
    const id = command.statementId === LAST_PREPARED ? this.lastPrepared : command.statementId;
    const statement = this.statements.get(id);
    if (command.command === COM_STMT_CLOSE) this.statements.delete(id);
    return statement;
  }

  private request(command: Command): L7Message {
    const attributes = requestAttributes(this.mariadb, this.ctx.conv.server, command.schema ?? this.namespace);
    const code = command.command;
    const name = COMMAND_NAMES.get(code) ?? `0x${code.toString(16)}`;
    const sql = code === COM_QUERY || code === COM_STMT_EXECUTE || code === COM_STMT_FETCH;
    setStatementAttributes(attributes, this.statementOf(command), sql ? undefined : code === COM_STMT_PREPARE ? 'PREPARE' : name);
    const request = newMessage('mysql', this.ctx.conv, CLIENT_TO_SERVER, 'request', command.start, command.end, command.size, attributes);
    request.details = { command: `COM_${name}` };
    if (command.noReply) request.noReply = true;
    return request;
  }
}
