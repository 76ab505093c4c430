import { type Attributes, type L7Message, type MessagePartial, newMessage } from '../../model/message.js';
import { CLIENT_TO_SERVER, type Direction } from '../../model/stream.js';
import { FrameReader, type Framing } from '../sql/framer.js';
import { sqlOptions, statementBytesToKeep, type SqlOptions } from '../sql/options.js';
import { sqlResponse } from '../sql/response.js';
import { readStatement, setStatementAttributes, type Statement } from '../sql/statement.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import { requestAttributes, responseAttributes, SKIPPED } from './attributes.js';
import { untypedKind, walkTyped } from './detect.js';
import {
  BACKEND_TYPES, cstring, cstringEnd, FRONTEND_TYPES, MAX_MESSAGE_LENGTH, MAX_STARTUP_LENGTH, serverError,
  startupParameters, tagRowCount, type ServerError,
} from './wire.js';

/** Requests awaiting their response, and prepared statements / portals remembered, per conversation. */
const MAX_PENDING = 1024;
const MAX_NAMED = 1024;
/** `details.messages` lists at most this many message types. */
const MAX_LETTERS = 32;

/**
 * One roundtrip's worth of client messages: a Query, or the extended-protocol messages up to
 * an Execute (Parse/Bind/Describe merged in), or up to a Sync when there is no Execute.
 */
interface Unit {
  start: number;
  end: number;
  size: number;
  letters: string;
  statement: Statement | undefined;
  hasExecute: boolean;
  hasParse: boolean;
  /** Operation for units that run no statement (`SYNC`, `CLOSE`, `CANCEL`, …). */
  operation: string | undefined;
  /** Its response ends at ReadyForQuery (a Query, or a batch ending with Sync), else at CommandComplete. */
  untilReady: boolean;
  response: Reply | undefined;
}

/** The server's messages answering the unit at the head of the queue. */
interface Reply {
  start: number;
  end: number;
  size: number;
  rows: number;
  rowsSeen: boolean;
  tag: string | undefined;
  error: ServerError | undefined;
}

function newUnit(ts: number): Unit {
  return {
    start: ts, end: ts, size: 0, letters: '', statement: undefined, hasExecute: false, hasParse: false,
    operation: undefined, untilReady: false, response: undefined,
  };
}

function newReply(start: number, end: number): Reply {
  return { start, end, size: 0, rows: 0, rowsSeen: false, tag: undefined, error: undefined };
}

function addLetter(unit: Unit, type: number): void {
  if (unit.letters.length < MAX_LETTERS * 2) unit.letters += unit.letters.length === 0 ? String.fromCharCode(type) : '/' + String.fromCharCode(type);
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_NAMED && !map.has(key)) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Client side: startup-family messages (first byte 0) and typed frontend messages. */
class ClientFraming implements Framing {
  bodyLength = 0;
  constructor(private readonly decoder: PostgresqlDecoder) {}

  readHeader(buf: Buffer, off: number): number {
    if (buf[off] === 0) {
      if (buf.length - off < 4) return 0;
      const length = buf.readUInt32BE(off);
      if (length < 8 || length > MAX_STARTUP_LENGTH) return -1;
      this.bodyLength = length - 4;
      return 4;
    }
    if (FRONTEND_TYPES[buf[off]!] === 0) return -1;
    return typedHeader(this, buf, off);
  }

  onMessage(buf: Buffer, off: number, headerLength: number, bodyEnd: number, size: number, start: number, end: number): void {
    this.decoder.clientMessage(buf, off, headerLength, bodyEnd, size, start, end);
  }

  plausibleStart(buf: Buffer, off: number): boolean {
    return plausibleTyped(buf, off, true);
  }
}

/** Server side: typed backend messages, and the one-byte answer to an SSLRequest / GSSENCRequest. */
class ServerFraming implements Framing {
  bodyLength = 0;
  /** The client asked for TLS or GSS encryption: the next byte is the server's one-letter answer. */
  expectEncryptionAnswer = false;
  constructor(private readonly decoder: PostgresqlDecoder) {}

  readHeader(buf: Buffer, off: number): number {
    if (this.expectEncryptionAnswer) {
      this.bodyLength = 0;
      return 1;
    }
    if (BACKEND_TYPES[buf[off]!] === 0) return -1;
    return typedHeader(this, buf, off);
  }

  onMessage(buf: Buffer, off: number, headerLength: number, bodyEnd: number, size: number, start: number, end: number): void {
    this.decoder.serverMessage(buf, off, headerLength, bodyEnd, size, start, end);
  }

  plausibleStart(buf: Buffer, off: number): boolean {
    return plausibleTyped(buf, off, false);
  }
}

function typedHeader(framing: Framing, buf: Buffer, off: number): number {
  if (buf.length - off < 5) return 0;
  const length = buf.readUInt32BE(off + 1);
  if (length < 4 || length > MAX_MESSAGE_LENGTH) return -1;
  framing.bodyLength = length - 4;
  return 5;
}

function plausibleTyped(buf: Buffer, off: number, client: boolean): boolean {
  if (client && buf[off] === 0) return untypedKind(buf, off) !== undefined;
  const run = walkTyped(buf, off, MAX_MESSAGE_LENGTH);
  return !run.bad && run.messages > 0 && (client ? run.frontend : run.backend);
}

/**
 * PostgreSQL (protocol 3) decoder for one conversation. It pairs requests with responses
 * itself (match strategy `stream`): the client's messages are grouped into units (see
 * index.ts), queued, and each server message is credited to the unit at the head of the queue
 * until the message that ends it. Startup, SSL negotiation and authentication are read for the
 * database name and otherwise passed over (passwords are never looked at).
 */
export class PostgresqlDecoder implements StreamDecoder {
  readonly options: SqlOptions;
  private readonly client: FrameReader;
  private readonly server: FrameReader;
  private readonly serverFraming: ServerFraming;
  private readonly pending: Unit[] = [];
  /** Extended-protocol messages since the last unit was queued. */
  private open: Unit | undefined;
  private readonly statements = new Map<string, Statement>();
  private readonly portals = new Map<string, Statement | undefined>();
  private namespace: string | undefined;
  /** An ErrorResponse ended a unit: the server discards the batch's messages up to its Sync. */
  private skipping = false;
  /** Server bytes were lost: its messages are passed over up to the next ReadyForQuery. */
  private draining = false;
  private stopped = false;

  constructor(readonly ctx: DecoderContext) {
    this.options = sqlOptions(ctx.options);
    const keep = statementBytesToKeep(this.options);
    const lost = (reason: string): void => this.lost(reason);
    this.serverFraming = new ServerFraming(this);
    this.client = new FrameReader(new ClientFraming(this), keep, lost);
    this.server = new FrameReader(this.serverFraming, keep, lost);
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    if (this.stopped) return;
    (dir === CLIENT_TO_SERVER ? this.client : this.server).feed(payload, 0, ts);
  }

  gap(dir: Direction, _bytes: number, _ts: number): void {
    if (this.stopped) return;
    if (dir === CLIENT_TO_SERVER) {
      this.client.lose();
      this.open = undefined;
    } else {
      this.server.lose();
      // A lost answer to an SSLRequest was a refusal if typed messages follow (a resync needs them).
      this.serverFraming.expectEncryptionAnswer = false;
      // The lost bytes were (part of) the response to the oldest unit: it ends here, with what
      // was read of it. What follows the gap up to a ReadyForQuery cannot be placed.
      const head = this.pending[0];
      if (head?.response !== undefined) this.complete(head.response.end, false, 'gap');
      else if (head !== undefined) this.ctx.emit(this.request(this.pending.shift()!));
      this.skipping = false;
      this.draining = true;
    }
  }

  end(_ts: number): void {
    if (this.client.midMessage || this.server.midMessage) this.ctx.error('truncated');
    // A response cut before its ReadyForQuery still says how the statement went.
    const head = this.pending[0];
    if (head?.response !== undefined && (head.response.tag !== undefined || head.response.error !== undefined)) this.complete(head.response.end);
    // Units still waiting are unanswered: the matcher reports requests emitted alone.
    for (const unit of this.pending) this.ctx.emit(this.request(unit));
    this.pending.length = 0;
    this.stopped = true;
  }

  private lost(reason: string): void {
    this.ctx.error(reason);
  }

  clientMessage(buf: Buffer, off: number, headerLength: number, bodyEnd: number, size: number, start: number, end: number): void {
    const type = buf[off]!;
    const body = off + headerLength;
    if (type === 0) {
      this.untyped(buf, off, bodyEnd, size, start, end);
      return;
    }
    switch (type) {
      case 0x70: // p: password, SASL or GSS response: passed over unread
        return;
      case 0x51: // Q
        this.queue(this.take(start), type, size, end, (unit) => {
          unit.statement = readStatement(buf, body, cstringEnd(buf, body, bodyEnd), 'postgresql', this.options);
          unit.operation = undefined;
          unit.untilReady = true;
        });
        return;
      case 0x46: // F: function call
        this.queue(this.take(start), type, size, end, (unit) => {
          unit.operation ??= 'FUNCTION_CALL';
          unit.untilReady = true;
        });
        return;
      case 0x58: // X: Terminate, no reply by design
        this.emitNoReply(start, end, size, 'TERMINATE', type);
        return;
      case 0x64: // d, c, f: COPY data from the client, part of the COPY request
      case 0x63:
      case 0x66: {
        const copying = this.pending[this.pending.length - 1];
        if (copying !== undefined) {
          copying.size += size;
          copying.end = end;
          if (type !== 0x64) addLetter(copying, type);
        }
        return;
      }
      case 0x53: // S: Sync
        this.sync(size, start, end);
        return;
    }
    const unit = (this.open ??= newUnit(start));
    unit.size += size;
    unit.end = end;
    addLetter(unit, type);
    switch (type) {
      case 0x50: { // P: Parse (statement name, query)
        const nameEnd = cstringEnd(buf, body, bodyEnd);
        const statement = readStatement(buf, nameEnd + 1, cstringEnd(buf, nameEnd + 1, bodyEnd), 'postgresql', this.options);
        remember(this.statements, buf.toString('latin1', body, nameEnd), statement);
        unit.statement = statement;
        unit.hasParse = true;
        return;
      }
      case 0x42: { // B: Bind (portal, statement)
        const portalEnd = cstringEnd(buf, body, bodyEnd);
        const statement = this.statements.get(cstring(buf, portalEnd + 1, bodyEnd));
        remember(this.portals, buf.toString('latin1', body, portalEnd), statement);
        unit.statement ??= statement;
        return;
      }
      case 0x43: // C: Close a statement ('S') or portal ('P')
        if (buf[body] === 0x53) this.statements.delete(cstring(buf, body + 1, bodyEnd));
        else this.portals.delete(cstring(buf, body + 1, bodyEnd));
        unit.operation ??= 'CLOSE';
        return;
      case 0x45: // E: Execute (portal): the unit is complete
        unit.statement ??= this.portals.get(cstring(buf, body, bodyEnd));
        unit.hasExecute = true;
        this.open = undefined;
        this.enqueue(unit);
        return;
      case 0x44: // D: Describe
        unit.operation ??= 'DESCRIBE';
        return;
      case 0x48: // H: Flush
        unit.operation ??= 'FLUSH';
        return;
    }
  }

  /** Takes the open extended-protocol messages into a unit starting now (a Query absorbs strays). */
  private take(start: number): Unit {
    const unit = this.open ?? newUnit(start);
    this.open = undefined;
    return unit;
  }

  private queue(unit: Unit, type: number, size: number, end: number, fill: (unit: Unit) => void): void {
    unit.size += size;
    unit.end = end;
    addLetter(unit, type);
    fill(unit);
    this.enqueue(unit);
  }

  /** A Sync right after an Execute ends that Execute's unit at ReadyForQuery; otherwise it ends a unit of its own. */
  private sync(size: number, start: number, end: number): void {
    const last = this.pending[this.pending.length - 1];
    if (this.open === undefined && last !== undefined && last.hasExecute && !last.untilReady) {
      last.untilReady = true;
      last.size += size;
      last.end = end;
      addLetter(last, 0x53);
      return;
    }
    this.queue(this.take(start), 0x53, size, end, (unit) => {
      unit.untilReady = true;
      if (unit.hasParse) unit.operation = 'PREPARE';
      unit.operation ??= 'SYNC';
    });
  }

  private untyped(buf: Buffer, off: number, bodyEnd: number, size: number, start: number, end: number): void {
    switch (untypedKind(buf, off)) {
      case 'ssl':
      case 'gssenc':
        this.serverFraming.expectEncryptionAnswer = true;
        return;
      case 'cancel':
        this.emitNoReply(start, end, size, 'CANCEL');
        return;
      case 'startup': {
        const params = startupParameters(buf, off + 8, bodyEnd);
        this.namespace = params.get('database') ?? params.get('user');
        return;
      }
      default:
        this.ctx.error('bad_startup');
    }
  }

  private enqueue(unit: Unit): void {
    if (this.pending.length >= MAX_PENDING) {
      this.ctx.error('too_many_pending');
      this.ctx.emit(this.request(this.pending.shift()!));
    }
    this.pending.push(unit);
  }

  serverMessage(buf: Buffer, off: number, headerLength: number, bodyEnd: number, size: number, start: number, end: number): void {
    if (headerLength === 1) {
      this.encryptionAnswer(buf[off]!);
      return;
    }
    const type = buf[off]!;
    if (this.draining) {
      if (type === 0x5a) this.drained(start);
      return;
    }
    if (type === 0x5a && this.skipping) {
      this.skipToSync(start, end, size);
      return;
    }
    const head = this.pending[0];
    if (head === undefined) return; // startup and authentication, or joined mid-stream
    const body = off + headerLength;
    const reply = (head.response ??= newReply(start, end));
    reply.size += size;
    reply.end = end;
    switch (type) {
      case 0x44: // D: DataRow
        reply.rows++;
        reply.rowsSeen = true;
        return;
      case 0x54: // T: RowDescription
        reply.rowsSeen = true;
        return;
      case 0x43: // C: CommandComplete
        reply.tag = cstring(buf, body, bodyEnd);
        if (!head.untilReady) this.complete(end);
        return;
      case 0x49: // I: EmptyQueryResponse
      case 0x73: // s: PortalSuspended
        if (!head.untilReady) this.complete(end);
        return;
      case 0x45: // E: ErrorResponse
        reply.error ??= serverError(buf, body, bodyEnd);
        if (!head.untilReady) {
          this.complete(end);
          this.skipping = true;
        }
        return;
      case 0x5a: // Z: ReadyForQuery
        this.complete(end);
        return;
    }
  }

  private encryptionAnswer(answer: number): void {
    this.serverFraming.expectEncryptionAnswer = false;
    if (answer === 0x4e /* N */) return;
    this.stopped = true;
    this.ctx.release(answer === 0x53 /* S */ ? 'tls' : 'gssenc');
  }

  /**
   * After an error inside a batch the server ignores everything up to the Sync, whose
   * ReadyForQuery (at `start`…`end`, `size` bytes) arrives next: it answers the unit holding
   * that Sync; the units in between ran nothing and are reported as errors without a response.
   */
  private skipToSync(start: number, end: number, size: number): void {
    this.skipping = false;
    while (this.pending.length > 0) {
      const unit = this.pending[0]!;
      if (unit.untilReady) {
        const reply = (unit.response ??= newReply(start, end));
        reply.size += size;
        reply.end = end;
        this.complete(end, (unit.hasExecute || unit.hasParse) && reply.tag === undefined && reply.error === undefined);
        return;
      }
      this.pending.shift();
      const request = this.request(unit);
      request.noReply = true;
      request.error = true;
      request.attributes['error.type'] = SKIPPED;
      this.ctx.emit(request);
    }
  }

  /**
   * The ReadyForQuery that ends passing over after lost bytes answered a Sync: the units up to
   * the first that holds a Sync sent before it lost their responses (or their ends) in the gap.
   */
  private drained(ready: number): void {
    this.draining = false;
    const sync = this.pending.findIndex((unit) => unit.untilReady);
    if (sync < 0 || this.pending[sync]!.end > ready) return;
    for (const unit of this.pending.splice(0, sync + 1)) this.ctx.emit(this.request(unit));
  }

  /**
   * The head unit's response ends at `end`; `skipped` when the server discarded the unit after
   * an earlier error; `partial` when its bytes were lost.
   */
  private complete(end: number, skipped = false, partial?: MessagePartial): void {
    const unit = this.pending.shift()!;
    const reply = unit.response!;
    const request = this.request(unit);
    const attributes: Attributes = responseAttributes(reply.error, reply.rowsSeen ? reply.rows : undefined, skipped);
    const details: Record<string, unknown> = {};
    if (reply.tag !== undefined) {
      details['command_tag'] = reply.tag;
      const count = tagRowCount(reply.tag);
      if (count !== undefined) details['rows'] = count;
    }
    if (reply.error !== undefined) {
      details['severity'] = reply.error.severity;
      details['message'] = reply.error.message;
    }
    const response = sqlResponse('postgresql', this.ctx.conv, reply, end, attributes, details, request, reply.error !== undefined || skipped);
    if (partial !== undefined) response.partial = partial;
    this.ctx.emit(response);
  }

  private request(unit: Unit): L7Message {
    const attributes = requestAttributes(this.ctx.conv.server, this.namespace);
    setStatementAttributes(attributes, unit.statement, unit.hasExecute ? undefined : unit.operation);
    const request = newMessage('postgresql', this.ctx.conv, CLIENT_TO_SERVER, 'request', unit.start, unit.end, unit.size, attributes);
    request.details = { messages: unit.letters };
    return request;
  }

  private emitNoReply(start: number, end: number, size: number, operation: string, type?: number): void {
    const unit = newUnit(start);
    unit.end = end;
    unit.size = size;
    if (type !== undefined) addLetter(unit, type);
    unit.operation = operation;
    const request = this.request(unit);
    request.noReply = true;
    this.ctx.emit(request);
  }
}
