import { type Attributes, type L7Message, newMessage } from '../../model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../model/stream.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import { commandAttributes, failureAttributes, HITS, MISSES, retrievalAttributes } from './attributes.js';
import { isFailure, OPCODE_STAT, opcodeOf, REQUEST_MAGIC, RESPONSE_MAGIC, type BinaryHeader } from './binary.js';
import { BinaryReader } from './binary-reader.js';
import { memcachedOptions, type MemcachedOptions } from './options.js';
import { isErrorReply, Shape, type CommandLine } from './text.js';
import { TextReader } from './text-reader.js';

/** Requests awaiting replies, bounded like the matcher's pending list (the oldest is dropped). */
const MAX_PENDING = 1024;
/** Text lines memcached rejects, held until the conversation shows it is memcached; past this the oldest goes out. */
const MAX_HELD = 64;

/** Reply words that report an outcome: kept as `db.response.status_code`. */
const STATUS_WORDS: ReadonlySet<string> = new Set(['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK', 'RESET']);

/** A binary request the server has not answered yet. */
interface BinaryPending {
  msg: L7Message;
  opaque: number;
  opcode: number;
  quiet: boolean;
  retrieval: boolean;
  /** Already handed to the matcher (nothing quiet and unresolved before it). */
  emitted: boolean;
  /** A STAT reply arrives as many packets: where it started and its bytes so far. */
  statStart: number;
  statSize: number;
}

/**
 * memcached for one conversation, text or binary (chosen by the first byte: binary packets
 * start with magic 0x80/0x81). Replies come in request order; the decoder makes sure the
 * matcher only sees requests that will get one:
 *
 * - text `noreply` commands and `quit` are emitted as requests without reply (`noReply`);
 * - binary quiet commands (getq, setq, …) are answered only on a hit or an error. They are held
 *   back, with every request after them, until a later reply shows whether they were answered
 *   (a reply to a later request means they were not: emitted as `noReply`, a miss for a get).
 *
 * The text replies of retrievals give `memcached.hits` and `memcached.misses` (keys asked for
 * minus values returned), as binary gets do (one key each).
 */
export class MemcachedDecoder implements StreamDecoder {
  private readonly options: MemcachedOptions;
  private binary: boolean | undefined;
  private text: [TextReader, TextReader] | undefined;
  private binaryReaders: [BinaryReader, BinaryReader] | undefined;
  /** Text: keys asked by each request awaiting its reply (-1: not a retrieval). */
  private readonly textPending: number[] = [];
  private readonly binaryPending: BinaryPending[] = [];
  /**
   * Text: whether the conversation has shown it is memcached (a reply, or a command its grammar
   * accepts). Until then lines memcached would reject are held back, so that text of another
   * protocol given up on (`foreign`) leaves no record.
   */
  private proven = false;
  private readonly held: L7Message[] = [];

  constructor(private readonly ctx: DecoderContext) {
    this.options = memcachedOptions(ctx.options);
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    if (payload.length === 0) return;
    if (this.binary === undefined) this.choose(dir, payload[0]!);
    if (this.binary) this.binaryReaders![dir].feed(payload, ts);
    else this.text![dir].feed(payload, ts);
  }

  gap(dir: Direction, bytes: number): void {
    if (this.binary === undefined) return;
    if (this.binary) this.binaryReaders![dir].gap(bytes);
    else this.text![dir].gap(bytes);
  }

  end(): void {
    if (this.binary === true) {
      this.binaryReaders![CLIENT_TO_SERVER].end();
      this.binaryReaders![SERVER_TO_CLIENT].end();
      // What is still held got no reply: quiet commands by design, the others are unanswered.
      for (const entry of this.binaryPending.splice(0)) this.resolveUnanswered(entry);
    } else if (this.binary === false) {
      this.text![CLIENT_TO_SERVER].end();
      this.text![SERVER_TO_CLIENT].end();
      this.prove();
    }
  }

  /** The conversation is taken as memcached: held commands go out, in order. */
  private prove(): void {
    this.proven = true;
    for (const msg of this.held) this.ctx.emit(msg);
    this.held.length = 0;
  }

  readerError(reason: string): void {
    this.ctx.error(reason);
  }

  /** Not memcached (forced on another protocol's port): the conversation is handed back, counted. */
  foreign(reason: string): void {
    this.ctx.error(reason);
    for (const reader of this.text ?? this.binaryReaders!) reader.halt();
    // What it held was that protocol's text, not commands.
    this.held.length = 0;
    this.ctx.release('not_memcached');
  }

  private choose(dir: Direction, first: number): void {
    this.binary = first === (dir === CLIENT_TO_SERVER ? REQUEST_MAGIC : RESPONSE_MAGIC);
    if (this.binary) {
      const keys = this.options.includeArguments;
      this.binaryReaders = [new BinaryReader(this, true, keys), new BinaryReader(this, false, keys)];
    } else {
      this.text = [new TextReader(this, true), new TextReader(this, false)];
    }
  }

  private message(type: 'request' | 'response', start: number, end: number, size: number, attributes: Attributes): L7Message {
    return newMessage('memcached', this.ctx.conv, type === 'request' ? CLIENT_TO_SERVER : SERVER_TO_CLIENT, type, start, end, size, attributes);
  }

  textCommand(command: CommandLine, start: number, size: number, ts: number): void {
    const msg = this.message('request', start, ts, size, commandAttributes(command.name, command.args, this.options.includeArguments));
    if (command.noReply) msg.noReply = true;
    else {
      if (this.textPending.length === MAX_PENDING) this.textPending.shift();
      const retrieval = command.shape === Shape.Retrieval || command.shape === Shape.TouchRetrieval;
      this.textPending.push(retrieval ? command.keys : -1);
    }
    if (!this.proven) {
      if (command.rejected === true) {
        if (this.held.length === MAX_HELD) this.ctx.emit(this.held.shift()!);
        this.held.push(msg);
        return;
      }
      this.prove();
    }
    this.ctx.emit(msg);
  }

  textReply(first: string, values: number, start: number, size: number, ts: number): void {
    if (!this.proven) this.prove();
    // A reply to a request not seen (joined mid-stream) still goes to the matcher, which counts it.
    const keys = this.textPending.shift() ?? -1;
    const error = isErrorReply(first);
    const attributes = error
      ? failureAttributes(first)
      : keys >= 0
        ? retrievalAttributes(keys, values)
        : STATUS_WORDS.has(first)
          ? { 'db.response.status_code': first }
          : {};
    const msg = this.message('response', start, ts, size, attributes);
    if (error) msg.error = true;
    this.ctx.emit(msg);
  }

  binaryPacket(header: BinaryHeader, key: string | undefined, start: number, size: number, ts: number): void {
    if (header.magic === REQUEST_MAGIC) this.binaryRequest(header, key, start, size, ts);
    else this.binaryReply(header, start, size, ts);
  }

  private binaryRequest(header: BinaryHeader, key: string | undefined, start: number, size: number, ts: number): void {
    const opcode = opcodeOf(header.opcode)!;
    const args = header.keyLength > 0 ? [key ?? ''] : [];
    const msg = this.message('request', start, ts, size, commandAttributes(opcode.name, args, this.options.includeArguments));
    if (opcode.name === 'quitq') {
      msg.noReply = true;
      this.ctx.emit(msg);
      return;
    }
    const held = opcode.quiet || this.binaryPending.some((p) => !p.emitted);
    const entry: BinaryPending = {
      msg, opaque: header.opaque, opcode: header.opcode, quiet: opcode.quiet, retrieval: opcode.retrieval,
      emitted: !held, statStart: 0, statSize: 0,
    };
    if (this.binaryPending.length === MAX_PENDING) this.resolveUnanswered(this.binaryPending.shift()!);
    this.binaryPending.push(entry);
    if (!held) this.ctx.emit(msg);
  }

  private binaryReply(header: BinaryHeader, start: number, size: number, ts: number): void {
    const pending = this.binaryPending;
    const index = pending.findIndex((p) => p.opaque === header.opaque && p.opcode === header.opcode);
    if (index < 0) {
      // A reply to a request not seen (joined mid-stream): the matcher counts it.
      this.ctx.emit(this.message('response', start, ts, size, {}));
      return;
    }
    const entry = pending[index]!;
    if (header.opcode === OPCODE_STAT && header.keyLength > 0 && header.status === 0) {
      // One packet per statistic; the one with no key ends the reply.
      if (entry.statSize === 0) entry.statStart = start;
      entry.statSize += size;
      return;
    }
    // Everything asked before it and not answered got no reply.
    for (const skipped of pending.splice(0, index + 1).slice(0, index)) this.resolveUnanswered(skipped);
    if (!entry.emitted) this.ctx.emit(entry.msg);
    const status = header.status;
    const attributes: Attributes = status === 0 ? {} : { 'db.response.status_code': String(status) };
    const failed = isFailure(status);
    if (failed) attributes['error.type'] = String(status);
    if (entry.retrieval) Object.assign(attributes, retrievalAttributes(1, status === 0 ? 1 : 0));
    const reply = this.message('response', entry.statSize > 0 ? entry.statStart : start, ts, entry.statSize + size, attributes);
    if (failed) reply.error = true;
    this.ctx.emit(reply);
    this.releaseHeld();
  }

  /** A request passed over by a later reply: a quiet one got no reply by design, another was lost. */
  private resolveUnanswered(entry: BinaryPending): void {
    if (entry.emitted) return;
    if (entry.quiet) {
      entry.msg.noReply = true;
      if (entry.retrieval) Object.assign(entry.msg.attributes, { [HITS]: 0, [MISSES]: 1 });
    }
    this.ctx.emit(entry.msg);
  }

  /** Hands the matcher the requests no longer behind an unresolved quiet one. */
  private releaseHeld(): void {
    for (const entry of this.binaryPending) {
      if (entry.quiet) return;
      if (!entry.emitted) {
        entry.emitted = true;
        this.ctx.emit(entry.msg);
      }
    }
  }
}
