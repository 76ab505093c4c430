import { isHttpRequestLine } from '../shared/http-line.js';
import { LINE_TOO_LONG, LineCarry } from '../shared/line-carry.js';
import { commandOf, type Command } from './commands.js';
import {
  BAD_LENGTH, BANG, CR, DOLLAR, EQUALS, GREATER, LF, MINUS, PERCENT, PIPE, STAR, TILDE, parseLength,
} from './resp.js';

/** What a reader reports to, and asks about what to keep. */
export interface RespOwner {
  /** A whole top-level value was read; the reader's fields describe it until the call returns. */
  messageRead(reader: RespReader, ts: number): void;
  /** Malformed bytes; the reader resyncs at a later line. */
  readerError(reason: string): void;
  /** Replies: how many elements of a top-level aggregate of `type` to keep as text in `values`. */
  keepElements(type: number): number;
  /**
   * Bytes no Redis peer sends (a reply byte that starts no RESP value, an HTTP request line):
   * the conversation is not Redis. The reader reads nothing more.
   */
  foreign(reason: string): void;
}

const enum State {
  /** At the first byte of a value. */
  Type,
  /** Inside a header line (`$5`, `*3`, `+OK`, …) after its type byte. */
  Line,
  /** Inside a bulk string's bytes. */
  Bulk,
  /** At the CR LF closing a bulk string. */
  BulkEnd,
  /** Inside an inline command (a request line of plain words). */
  Inline,
  /** Resyncing: skipping to the next line start. */
  Skip,
}

/** Deepest aggregate nesting accepted (RESP3 replies of real servers stay far below). */
const MAX_DEPTH = 64;
/** Longest header or simple-string line kept across packets, and longest inline command (as Redis). */
const MAX_LINE = 64 * 1024;
/** Longest bulk string accepted (Redis's default proto-max-bulk-len). */
const MAX_BULK = 512 * 1024 * 1024;
/** A kept value is cut at this many bytes. */
const MAX_VALUE_BYTES = 1024;
/** Arguments kept when the owner shows them (`include_arguments`). */
export const MAX_SHOWN_ARGUMENTS = 64;
/** Digits read by the in-packet header fast path (lengths fit in 15 digits). */
const MAX_FAST_DIGITS = 15;

const NO_BYTES = Buffer.alloc(0);
const SPACE = 0x20;
const TAB = 0x09;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;

/**
 * Incremental RESP reader for one direction. It scans bytes in place, counts the elements of
 * nested aggregates, and turns into strings only what its owner needs (the command, through the
 * interned command table; the first argument of commands that have subcommands; an error
 * message; …): everything else is skipped by length. Lines cut by a packet end are the only
 * bytes copied across packets.
 */
export class RespReader {
  /** Type byte of the top-level value (after any RESP3 attribute); 0 before it is known. */
  type = 0;
  /** Elements of a top-level aggregate (arguments of a command, with its name), or -1 for a null one. */
  length = 0;
  /** Packet time of the first byte. */
  start = 0;
  /** Bytes on the wire. */
  size = 0;
  /** Requests: the command named by the first element. */
  command: Command | undefined;
  /** Requests: an inline command (a plain text line), not an array. */
  inline = false;
  /**
   * Kept elements by index: a request's arguments from index 1; the first elements of a reply
   * aggregate; or at 0 the text of a top-level error reply.
   */
  readonly values: string[] = [];

  private state = State.Type;
  private inMessage = false;
  /** The bytes were found not to be Redis: nothing more is read. */
  private halted = false;
  /** While resyncing, malformed lines are skipped without counting more errors. */
  private resyncing = false;
  private depth = 0;
  /** Per open aggregate, outermost first: elements still to read, and whether it is an attribute. */
  private readonly remaining: number[] = [];
  private readonly isAttribute: boolean[] = [];
  private topIsAggregate = false;
  private keep = 0;
  private lineType = 0;
  private readonly lines = new LineCarry(MAX_LINE);
  private bulkLeft = 0;
  private bulkEndLeft = 0;
  /** Index in `values` of the bulk string being kept, or -1. */
  private keptIndex = -1;
  private keptChunks: Buffer[] = [];
  private keptBytes = 0;

  constructor(
    private readonly owner: RespOwner,
    /** Requests: top-level arrays of bulk strings, or inline commands. */
    readonly isRequest: boolean,
    /** Requests: keep every argument (up to MAX_SHOWN_ARGUMENTS), not only the first of some commands. */
    private readonly keepArguments = false,
  ) {}

  feed(buf: Buffer, ts: number): void {
    const len = buf.length;
    let off = 0;
    /** Where the current message's bytes begin in `buf`. */
    let from = 0;
    while (off < len && !this.halted) {
      switch (this.state) {
        case State.Type: {
          if (!this.inMessage) {
            this.begin(ts);
            from = off;
          }
          const c = buf[off]!;
          if (this.isRequest && this.depth === 0 && c !== STAR) {
            if (this.resyncing || c === CR || c === LF) {
              // Not a message start (or the empty line Redis ignores): skip the line.
              this.inMessage = false;
              this.state = State.Skip;
            } else {
              this.state = State.Inline;
            }
            break;
          }
          if (!this.isRequest && RESP_TYPES[c] === 0 && !this.resyncing) {
            // In step with the server, a byte that starts no RESP value: a Redis server never sends it.
            this.owner.foreign('bad_reply_type');
            return;
          }
          this.lineType = c;
          if (c === DOLLAR || c === STAR) {
            // Fast path: a whole `$n` / `*n` header in this packet.
            let i = off + 1;
            let n = 0;
            const digitsEnd = Math.min(len, i + MAX_FAST_DIGITS);
            while (i < digitsEnd) {
              const d = buf[i]! - 0x30;
              if (d < 0 || d > 9) break;
              n = n * 10 + d;
              i++;
            }
            if (i > off + 1 && i + 1 < len && buf[i] === CR && buf[i + 1] === LF) {
              off = i + 2;
              if (this.header(c, n)) {
                this.finish(off - from, ts);
                from = off;
              }
              break;
            }
          }
          this.state = State.Line;
          off++;
          break;
        }
        case State.Line:
        case State.Inline: {
          const { lines } = this;
          const next = lines.next(buf, off);
          if (next < 0) {
            if (next === LINE_TOO_LONG) this.fail('line_too_long', State.Skip);
            off = len;
            break;
          }
          off = next;
          const { line, start: lineStart, end: lineEnd } = lines;
          if (this.state === State.Inline) {
            this.state = State.Type;
            if (this.inlineCommand(line, lineStart, line[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd)) {
              this.finish(off - from, ts);
            } else {
              this.inMessage = false;
            }
            from = off;
            break;
          }
          if (lineEnd === lineStart || line[lineEnd - 1] !== CR) {
            this.fail('bad_line_end', State.Type);
            break;
          }
          this.state = State.Type;
          if (this.line(line, lineStart, lineEnd - 1)) {
            this.finish(off - from, ts);
            from = off;
          }
          break;
        }
        case State.Bulk: {
          const n = Math.min(this.bulkLeft, len - off);
          if (this.keptIndex >= 0) this.keepBytes(buf, off, off + n);
          off += n;
          this.bulkLeft -= n;
          if (this.bulkLeft > 0) break;
          if (off + 1 < len && buf[off] === CR && buf[off + 1] === LF) {
            off += 2;
            if (this.bulkDone()) {
              this.finish(off - from, ts);
              from = off;
            }
          } else {
            this.state = State.BulkEnd;
          }
          break;
        }
        case State.BulkEnd: {
          const c = buf[off++];
          if (this.bulkEndLeft === 2) {
            if (c === CR) this.bulkEndLeft = 1;
            else this.fail('bad_bulk_end', State.Skip);
          } else if (c !== LF) {
            this.fail('bad_bulk_end', State.Skip);
          } else if (this.bulkDone()) {
            this.finish(off - from, ts);
            from = off;
          }
          break;
        }
        case State.Skip: {
          const lf = buf.indexOf(LF, off);
          off = lf < 0 ? len : lf + 1;
          if (lf >= 0) this.state = State.Type;
          break;
        }
      }
    }
    if (this.inMessage) this.size += len - from;
  }

  /** The owner gave up on the conversation. */
  halt(): void {
    this.halted = true;
    this.reset(State.Skip);
  }

  /** `bytes` were lost: skipped inside a bulk string, else the message is dropped and the reader resyncs. */
  gap(bytes: number): void {
    if (this.state === State.Bulk && bytes <= this.bulkLeft) {
      this.bulkLeft -= bytes;
      this.size += bytes;
      this.keptIndex = -1;
      this.keptChunks = [];
      this.keptBytes = 0;
      if (this.bulkLeft === 0) this.state = State.BulkEnd;
      return;
    }
    if (this.inMessage && !this.resyncing) this.owner.readerError('gap_in_message');
    this.reset(State.Skip);
    this.resyncing = true;
  }

  /** End of the conversation: a message cut short is counted. */
  end(): void {
    if (this.inMessage && !this.resyncing) this.owner.readerError('truncated');
    this.reset(State.Type);
  }

  private begin(ts: number): void {
    this.inMessage = true;
    this.start = ts;
    this.size = 0;
    this.type = 0;
    this.length = 0;
    this.command = undefined;
    this.inline = false;
    this.topIsAggregate = false;
    this.keep = 0;
    if (this.values.length > 0) this.values.length = 0;
  }

  private finish(lastBytes: number, ts: number): void {
    this.size += lastBytes;
    this.inMessage = false;
    this.resyncing = false;
    this.owner.messageRead(this, ts);
  }

  private fail(reason: string, next: State): void {
    if (!this.resyncing) this.owner.readerError(reason);
    this.reset(next);
    this.resyncing = true;
  }

  private reset(state: State): void {
    this.state = state;
    this.inMessage = false;
    this.depth = 0;
    this.lines.clear();
    this.keptIndex = -1;
    this.keptChunks = [];
    this.keptBytes = 0;
  }

  /** Index of the element starting now in the top-level aggregate, if it is to be kept. */
  private keptSlot(): number {
    if (this.depth !== 1 || !this.topIsAggregate) return -1;
    const index = this.length - this.remaining[0]!;
    return index < this.keep ? index : -1;
  }

  /** A header line `[from, end)` after its type byte; true when it completes the top-level value. */
  private line(buf: Buffer, from: number, end: number): boolean {
    const type = this.lineType;
    switch (type) {
      case DOLLAR:
      case EQUALS:
      case BANG:
      case STAR:
      case PERCENT:
      case TILDE:
      case GREATER:
      case PIPE: {
        const n = parseLength(buf, from, end);
        if (n === BAD_LENGTH) {
          this.fail('bad_length', State.Type);
          return false;
        }
        return this.header(type, n);
      }
      default:
        return this.scalar(type, buf, from, end);
    }
  }

  /** A length header: a bulk string or an aggregate of `n` (-1: null); true when that completes the top-level value. */
  private header(type: number, n: number): boolean {
    if (this.isRequest && (this.depth === 0 ? type !== STAR : type !== DOLLAR)) {
      this.fail('bad_request', State.Type);
      return false;
    }
    switch (type) {
      case DOLLAR:
      case EQUALS:
      case BANG:
        if (n > MAX_BULK) {
          this.fail('bad_length', State.Type);
          return false;
        }
        if (this.depth === 0) this.type = type;
        if (n < 0) return this.valueDone();
        this.bulkLeft = n;
        this.bulkEndLeft = 2;
        this.state = n === 0 ? State.BulkEnd : State.Bulk;
        this.keptIndex = this.depth === 0 ? (type === BANG ? 0 : -1) : this.keptSlot();
        if (this.keptIndex >= 0 && n === 0) this.keepEmpty();
        return false;
      default: {
        const attribute = type === PIPE;
        if (this.depth === 0 && !attribute) {
          this.type = type;
          this.length = n;
          this.topIsAggregate = true;
          this.keep = this.isRequest ? (this.keepArguments ? MAX_SHOWN_ARGUMENTS : 1) : this.owner.keepElements(type);
        }
        if (n <= 0) return attribute ? false : this.valueDone();
        if (this.depth === MAX_DEPTH) {
          this.fail('too_deep', State.Skip);
          return false;
        }
        this.remaining[this.depth] = type === PERCENT || attribute ? 2 * n : n;
        this.isAttribute[this.depth] = attribute;
        this.depth++;
        return false;
      }
    }
  }

  /** A one-line value: simple string, error, integer, null, double, boolean, big number. */
  private scalar(type: number, buf: Buffer, from: number, end: number): boolean {
    if (this.isRequest || !isLineType(type)) {
      this.fail(this.isRequest ? 'bad_request' : 'bad_type', State.Type);
      return false;
    }
    if (this.depth === 0) {
      this.type = type;
      if (type === MINUS) this.values[0] = buf.toString('latin1', from, Math.min(end, from + MAX_VALUE_BYTES));
    } else {
      const slot = this.keptSlot();
      if (slot >= 0) this.values[slot] = buf.toString('latin1', from, Math.min(end, from + MAX_VALUE_BYTES));
    }
    return this.valueDone();
  }

  private bulkDone(): boolean {
    this.state = State.Type;
    if (this.keptIndex >= 0) this.storeKept();
    return this.valueDone();
  }

  /** A value ended: count it in its aggregates; true when that completes the top-level value. */
  private valueDone(): boolean {
    if (this.depth === 1 && this.isRequest && this.remaining[0] === this.length && !this.keepArguments) {
      // The command is known: keep its first argument if it names a subcommand or tracked state.
      this.keep = this.command?.wantsFirstArgument === true ? 2 : 1;
    }
    while (this.depth > 0) {
      const d = this.depth - 1;
      if (--this.remaining[d]! > 0) return false;
      this.depth = d;
      // An attribute annotates the next value: it does not count as an element itself.
      if (this.isAttribute[d] === true) return false;
    }
    return true;
  }

  private keepEmpty(): void {
    if (this.isRequest && this.keptIndex === 0) this.command = commandOf(NO_BYTES, 0, 0);
    else this.values[this.keptIndex] = '';
    this.keptIndex = -1;
  }

  private keepBytes(buf: Buffer, from: number, to: number): void {
    const take = Math.min(to - from, MAX_VALUE_BYTES - this.keptBytes);
    if (take <= 0) return;
    // Most kept values lie within one packet: read them straight from it.
    if (this.keptBytes === 0 && take === this.bulkLeft) {
      if (this.isRequest && this.keptIndex === 0) this.command = commandOf(buf, from, from + take);
      else this.values[this.keptIndex] = buf.toString('latin1', from, from + take);
      this.keptIndex = -1;
      return;
    }
    this.keptChunks.push(Buffer.from(buf.subarray(from, from + take)));
    this.keptBytes += take;
  }

  private storeKept(): void {
    const bytes = Buffer.concat(this.keptChunks);
    if (this.isRequest && this.keptIndex === 0) this.command = commandOf(bytes, 0, bytes.length);
    else this.values[this.keptIndex] = bytes.toString('latin1');
    this.keptIndex = -1;
    this.keptChunks = [];
    this.keptBytes = 0;
  }

  /**
   * An inline command `[from, end)`: words separated by blanks, quoted words as Redis reads
   * them. False for an empty line (Redis ignores it) or unbalanced quotes (counted).
   */
  private inlineCommand(buf: Buffer, from: number, end: number): boolean {
    if (isHttpRequestLine(buf, from, end)) {
      this.owner.foreign('http_request_line');
      return false;
    }
    this.type = STAR;
    this.inline = true;
    let argc = 0;
    let keep = this.keepArguments ? MAX_SHOWN_ARGUMENTS : 1;
    let i = from;
    while (i < end) {
      while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
      if (i === end) break;
      const quote = buf[i] === DQUOTE || buf[i] === SQUOTE ? buf[i]! : 0;
      let wordStart = i;
      if (quote !== 0) {
        wordStart = ++i;
        while (i < end && buf[i] !== quote) i += buf[i] === BACKSLASH && quote === DQUOTE ? 2 : 1;
        if (i >= end) {
          this.owner.readerError('bad_inline_quotes');
          return false;
        }
      } else {
        while (i < end && buf[i] !== SPACE && buf[i] !== TAB) i++;
      }
      if (argc === 0) {
        this.command = commandOf(buf, wordStart, i);
        if (!this.keepArguments && this.command.wantsFirstArgument) keep = 2;
      } else if (argc < keep) {
        this.values[argc] = buf.toString('latin1', wordStart, Math.min(i, wordStart + MAX_VALUE_BYTES));
      }
      argc++;
      if (quote !== 0) i++;
    }
    this.length = argc;
    return argc > 0;
  }
}

/** 1 for each byte that starts a RESP2 or RESP3 value. */
const RESP_TYPES = new Uint8Array(256);
for (const c of '+-:_,#($*=!%~>|') RESP_TYPES[c.charCodeAt(0)] = 1;

function isLineType(type: number): boolean {
  switch (type) {
    case 0x2b: // + simple string
    case MINUS:
    case 0x3a: // : integer
    case 0x5f: // _ null
    case 0x2c: // , double
    case 0x23: // # boolean
    case 0x28: // ( big number
      return true;
    default:
      return false;
  }
}
