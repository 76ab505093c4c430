import { isHttpRequestLine } from '../shared/http-line.js';
import { LINE_KEPT, LINE_TOO_LONG, LineCarry } from '../shared/line-carry.js';
import { isReplyLine, opensBlock, parseCommandLine, rejectedCommandLine, Shape, type CommandLine } from './text.js';

/** What the text readers report to. */
export interface TextOwner {
  textCommand(command: CommandLine, start: number, size: number, ts: number): void;
  /** A whole reply: its first word (`STORED`, `VALUE`, `END`, `ERROR`, …) and the values it held. */
  textReply(first: string, values: number, start: number, size: number, ts: number): void;
  readerError(reason: string): void;
  /** A line no memcached peer sends (an HTTP request line, a reply memcached has not): not memcached. */
  foreign(reason: string): void;
}

const enum State {
  Line,
  /** Inside a data block (its CR LF included in `remaining`). */
  Data,
}

const LF = 0x0a;
const CR = 0x0d;
/** Longest line kept across packets (a multi-get of many keys stays well below). */
const MAX_LINE = 64 * 1024;

function words(line: string): string[] {
  return line.split(' ').filter((w) => w !== '');
}

/**
 * The text protocol for one direction: command lines (and the data blocks of storage
 * commands) from the client, reply lines (and the value blocks of `VALUE` / `VA` lines, up to
 * `END` for multi-line replies) from the server. Data blocks are skipped by length, not kept.
 */
export class TextReader {
  private state = State.Line;
  private readonly lines = new LineCarry(MAX_LINE);
  private inMessage = false;
  private start = 0;
  private size = 0;
  private remaining = 0;
  /** The command whose data block is being read. */
  private command: CommandLine | undefined;
  /** Reply: the first word of the reply being read; inside a `VALUE`/`STAT` block until `END`. */
  private first = '';
  private inBlock = false;
  private values = 0;
  /** The bytes were found not to be memcached: nothing more is read. */
  private halted = false;

  constructor(
    private readonly owner: TextOwner,
    private readonly isRequest: boolean,
  ) {}

  feed(buf: Buffer, ts: number): void {
    const len = buf.length;
    let off = 0;
    while (off < len && !this.halted) {
      if (!this.inMessage) {
        this.inMessage = true;
        this.start = ts;
        this.size = 0;
      }
      if (this.state === State.Data) {
        const n = Math.min(this.remaining, len - off);
        off += n;
        this.size += n;
        this.remaining -= n;
        if (this.remaining > 0) continue;
        if (n >= 2 && (buf[off - 1] !== LF || buf[off - 2] !== CR)) {
          this.fail('bad_data_end');
          continue;
        }
        this.state = State.Line;
        if (this.isRequest) this.completeCommand(ts);
        else if (!this.inBlock) this.completeReply(ts);
        continue;
      }
      const { lines } = this;
      const next = lines.next(buf, off);
      if (next === LINE_KEPT) {
        this.size += len - off;
        break;
      }
      if (next === LINE_TOO_LONG) {
        this.fail('line_too_long');
        break;
      }
      this.size += next - off;
      off = next;
      const { line, start: lineStart } = lines;
      let lineEnd = lines.end;
      if (lineEnd > lineStart && line[lineEnd - 1] === CR) lineEnd--;
      if (this.isRequest && isHttpRequestLine(line, lineStart, lineEnd)) {
        this.owner.foreign('http_request_line');
        break;
      }
      const text = line.toString('latin1', lineStart, lineEnd);
      if (this.isRequest) this.commandLine(text, ts);
      else this.replyLine(text, ts);
    }
  }

  /** Bytes were lost: a message in progress is dropped (counted) and reading resumes at the next line. */
  gap(bytes: number): void {
    if (this.state === State.Data && bytes < this.remaining) {
      this.remaining -= bytes;
      this.size += bytes;
      return;
    }
    if (this.inMessage) this.owner.readerError('gap_in_message');
    this.reset();
  }

  end(): void {
    if (this.inMessage) this.owner.readerError('truncated');
    this.reset();
  }

  /** The owner gave up on the conversation. */
  halt(): void {
    this.halted = true;
    this.reset();
  }

  private reset(): void {
    this.state = State.Line;
    this.inMessage = false;
    this.lines.clear();
    this.inBlock = false;
    this.command = undefined;
  }

  private fail(reason: string): void {
    this.owner.readerError(reason);
    this.reset();
  }

  private commandLine(text: string, ts: number): void {
    const parts = words(text);
    const command = parseCommandLine(parts) ?? rejectedCommandLine(parts);
    if (command === undefined) {
      // An empty line: memcached ignores it.
      this.inMessage = false;
      return;
    }
    this.command = command;
    if (command.shape === Shape.Storage || command.shape === Shape.Cas || command.shape === Shape.MetaSet) {
      // A data block follows, even an empty one (its CR LF).
      this.state = State.Data;
      this.remaining = command.dataBytes + 2;
      return;
    }
    this.completeCommand(ts);
  }

  private completeCommand(ts: number): void {
    this.inMessage = false;
    const command = this.command!;
    this.command = undefined;
    this.owner.textCommand(command, this.start, this.size, ts);
  }

  private replyLine(text: string, ts: number): void {
    const parts = words(text);
    const first = parts[0] ?? '';
    if (!this.inBlock) {
      if (!isReplyLine(first, text)) {
        this.owner.foreign('bad_reply');
        return;
      }
      this.first = first;
      this.values = 0;
      if (opensBlock(first)) this.inBlock = true;
    }
    if (this.inBlock) {
      if (first === 'END') {
        this.inBlock = false;
        this.completeReply(ts);
      } else if (first === 'VALUE') {
        this.values++;
        this.startData(Number(parts[3]));
      }
      return;
    }
    if (first === 'VA') {
      // Meta get hit: a value block follows its line.
      this.values = 1;
      this.startData(Number(parts[1]));
      return;
    }
    this.completeReply(ts);
  }

  private startData(length: number): void {
    if (!Number.isInteger(length) || length < 0) {
      this.owner.readerError('bad_value_length');
      this.reset();
      return;
    }
    this.state = State.Data;
    this.remaining = length + 2;
  }

  private completeReply(ts: number): void {
    this.inMessage = false;
    this.owner.textReply(this.first, this.values, this.start, this.size, ts);
  }
}
