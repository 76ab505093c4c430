import { type L7Message, newMessage } from '../../model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../model/stream.js';
import type { Counter } from '../../pipeline/stats.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import { commandAttributes, errorAttributes, NO_ATTRIBUTES } from './attributes.js';
import { isSubscribeKind, isUnsubscribeKind, PubSub, pushKind, redact, type Command } from './commands.js';
import { redisOptions, type RedisOptions } from './options.js';
import { PendingReplies } from './pending.js';
import { MAX_SHOWN_ARGUMENTS, RespReader, type RespOwner } from './reader.js';
import { BANG, GREATER, MINUS, STAR, TYPE_NAMES } from './resp.js';

/** Elements read from a push or subscribed-mode array: kind, channel, count. */
const PUSH_ELEMENTS = 3;
/** Inline commands held until the conversation shows it is Redis; past this the oldest goes out. */
const MAX_HELD = 64;

/** The command as sent (arguments past MAX_SHOWN_ARGUMENTS elided). */
function shownText(command: Command, values: string[], argc: number): string {
  let text = command.name;
  for (let i = 1; i < values.length; i++) text += ' ' + (values[i] ?? '');
  return argc > MAX_SHOWN_ARGUMENTS ? text + ' …' : text;
}

/** `response.type` details per type byte, shared: the matcher copies them into the record. */
const TYPE_DETAILS: Record<number, Record<string, unknown>> = Object.fromEntries(
  Object.entries(TYPE_NAMES).map(([byte, type]) => [byte, Object.freeze({ type })]),
);

/**
 * Redis (RESP2 and RESP3) for one conversation: a RESP reader per direction, and what the
 * replies depend on: requests still awaiting replies (their pub/sub kind), whether the
 * connection is subscribed (RESP2 then delivers messages as plain arrays), the protocol version
 * chosen by HELLO and the database chosen by SELECT.
 *
 * Pushes (RESP3 `>`, and pub/sub messages) are not replies: they are counted, not emitted,
 * except the first confirmation of a (P|S)(UN)SUBSCRIBE, which is that command's reply (its
 * other confirmations, one per channel, are pushes).
 */
export class RedisDecoder implements StreamDecoder, RespOwner {
  private readonly options: RedisOptions;
  private readonly readers: [RespReader, RespReader];
  private readonly pending = new PendingReplies();
  private subscribed = false;
  private resp3 = false;
  private namespace: string | undefined;
  /** Confirmations of the last answered (un)subscribe still to come, and their kind. */
  private confirmationsLeft = 0;
  private confirmationKind = PubSub.None;
  private pushes: Counter | undefined;
  /**
   * Whether the conversation has shown it is Redis: a RESP reply, or a command sent as a RESP
   * array. Until then inline commands (any text line reads as one) are held back, so that text
   * of another protocol given up on (`foreign`) leaves no record.
   */
  private proven = false;
  /** Made on first use: most conversations send RESP arrays and never hold one. */
  private held: L7Message[] | undefined;

  constructor(private readonly ctx: DecoderContext) {
    this.options = redisOptions(ctx.options);
    this.readers = [new RespReader(this, true, this.options.includeArguments), new RespReader(this, false)];
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    this.readers[dir].feed(payload, ts);
  }

  gap(dir: Direction, bytes: number): void {
    this.readers[dir].gap(bytes);
  }

  end(): void {
    this.readers[CLIENT_TO_SERVER].end();
    this.readers[SERVER_TO_CLIENT].end();
    this.prove();
  }

  /** The conversation is taken as Redis: held commands go out, in order. */
  private prove(): void {
    this.proven = true;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const msg of held) this.ctx.emit(msg);
  }

  readerError(reason: string): void {
    this.ctx.error(reason);
  }

  /** Not Redis (forced on another protocol's port): the conversation is handed back, counted. */
  foreign(reason: string): void {
    this.ctx.error(reason);
    this.readers[CLIENT_TO_SERVER].halt();
    this.readers[SERVER_TO_CLIENT].halt();
    // What it held was that protocol's text, not commands.
    this.held = undefined;
    this.ctx.release('not_redis');
  }

  keepElements(type: number): number {
    return type === GREATER || (type === STAR && this.subscribed && !this.resp3) ? PUSH_ELEMENTS : 0;
  }

  messageRead(reader: RespReader, ts: number): void {
    if (reader.isRequest) this.request(reader, ts);
    else this.reply(reader, ts);
  }

  private request(reader: RespReader, ts: number): void {
    const argc = reader.length;
    const command = reader.command;
    if (argc <= 0 || command === undefined) return;
    const values = reader.values;
    const sub = command.container && argc > 1 ? (values[1] ?? '').toUpperCase() : undefined;
    const operation = sub === undefined ? command.name : `${command.name} ${sub}`;
    const queryText = this.options.includeArguments
      ? shownText(command, values, argc)
      : sub === undefined
        ? command.redacted(argc - 1)
        : redact(operation, argc - 2);
    const attributes = commandAttributes(operation, queryText, this.namespace);
    this.track(command, values[1], argc);
    this.pending.push(command.kind, argc - 1);
    const msg = newMessage('redis', this.ctx.conv, CLIENT_TO_SERVER, 'request', reader.start, ts, reader.size, attributes);
    if (!this.proven) {
      if (reader.inline) {
        const held = (this.held ??= []);
        if (held.length === MAX_HELD) this.ctx.emit(held.shift()!);
        held.push(msg);
        return;
      }
      this.prove();
    }
    this.ctx.emit(msg);
  }

  /** Connection state the following replies and commands depend on. */
  private track(command: Command, first: string | undefined, argc: number): void {
    switch (command.name) {
      case 'SELECT':
        if (argc === 2) this.namespace = first;
        break;
      case 'HELLO':
        if (first === '3') this.resp3 = true;
        else if (first === '2') this.resp3 = false;
        break;
      case 'RESET':
        this.subscribed = false;
        this.resp3 = false;
        this.namespace = '0';
        break;
      default:
        if (isSubscribeKind(command.kind)) this.subscribed = true;
    }
  }

  private reply(reader: RespReader, ts: number): void {
    if (!this.proven) this.prove();
    const type = reader.type;
    if (type === GREATER || (type === STAR && this.subscribed && !this.resp3)) {
      const kind = pushKind(reader.values[0]);
      if (type === GREATER || kind !== PubSub.None) {
        if (!this.pushAnswers(kind, reader.values[2])) {
          this.countPush();
          return;
        }
      }
    }
    if (this.pending.size === 0) {
      // Nothing asked for it (joined mid-stream, MONITOR output, replies to lost requests).
      this.countPush();
      return;
    }
    this.pending.shift();
    const isError = type === MINUS || type === BANG;
    const attributes = isError ? errorAttributes(reader.values[0] ?? '') : NO_ATTRIBUTES;
    const message = newMessage('redis', this.ctx.conv, SERVER_TO_CLIENT, 'response', reader.start, ts, reader.size, attributes);
    const details = TYPE_DETAILS[type];
    if (details !== undefined) message.details = details;
    if (isError) message.error = true;
    this.ctx.emit(message);
  }

  /**
   * A pub/sub push: true when it is the reply of the oldest pending request (the first
   * confirmation of a matching subscribe or unsubscribe).
   */
  private pushAnswers(kind: PubSub, count: string | undefined): boolean {
    if (isUnsubscribeKind(kind) && count === '0') this.subscribed = false;
    if (kind === PubSub.None || kind === PubSub.Message) return false;
    if (this.confirmationsLeft > 0 && kind === this.confirmationKind) {
      this.confirmationsLeft--;
      return false;
    }
    if (this.pending.size === 0 || this.pending.headKind() !== kind) return false;
    this.confirmationKind = kind;
    this.confirmationsLeft = Math.max(0, this.pending.headArgs() - 1);
    return true;
  }

  private countPush(): void {
    this.pushes ??= this.ctx.stats.counter('packetd_redis_pushes_total', 'Redis server messages that answer no request (pub/sub, RESP3 pushes, MONITOR)');
    this.pushes.inc();
  }
}
