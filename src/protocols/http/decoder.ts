import { isUtf8 } from 'node:buffer';
import type { L7Message } from '../../model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../model/stream.js';
import { parseTraceparent } from '../trace-context.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import { recordedHeaders, requestAttributes, responseAttributes } from './attributes.js';
import { classifyStartLine, skipEmptyLines, StartLine } from './detect.js';
import { findHeadEnd, isChunked, parseHead, type HeadEnd, type MessageHead } from './head.js';
import { httpOptions, type HttpOptions } from './options.js';

/** Where a direction's parser is within the byte stream. */
const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  BodyUntilClose,
  Resync,
  Stopped,
}

const CR = 0x0d;
const LF = 0x0a;
const MAX_CHUNK_SIZE_LINE = 4096;
/** Requests whose responses have not started yet; bounded for peers that never answer. */
const MAX_QUEUED_METHODS = 1024;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Incremental HTTP/1.x parser for one direction. Bodies are counted, not buffered (except the
 * optional capture); only an unfinished header block or a start-line candidate while resyncing
 * is kept across packets, copied.
 */
class MessageParser {
  private state = State.Head;
  /** Unconsumed bytes from earlier packets (a partial head or start-line candidate). */
  private carry: Buffer | undefined;
  /** How far the end-of-head search got in `carry`, so byte-by-byte input stays linear. */
  private scanned = 0;
  private inMessage = false;
  private startChecked = false;
  private start = 0;
  private lastTs = 0;
  private size = 0;
  private bodySize = 0;
  private head: MessageHead | undefined;
  /** Scratch for parseHead. */
  private readonly headEnd: HeadEnd = { at: -1 };
  /** Bytes left in a Content-Length body or in the current chunk. */
  private remaining = 0;
  private chunkLineLength = 0;
  private chunkHasDigits = false;
  private chunkInExtension = false;
  private trailerLineLength = 0;
  private captured: Buffer[] = [];
  private captureLeft = 0;
  /** Resync: the first byte of the next data starts a line. */
  private lineStartsNext = false;

  constructor(
    private readonly decoder: HttpDecoder,
    private readonly dir: Direction,
  ) {}

  private get isRequest(): boolean {
    return this.dir === CLIENT_TO_SERVER;
  }

  feed(payload: Buffer, ts: number): void {
    let buf = payload;
    if (this.carry !== undefined) {
      buf = Buffer.concat([this.carry, payload]);
      this.carry = undefined;
    }
    let off = 0;
    while (off < buf.length) {
      switch (this.state) {
        case State.Head:
          off = this.readHead(buf, off, ts);
          break;
        case State.Body:
          off = this.readBody(buf, off, ts);
          break;
        case State.ChunkSize:
          off = this.readChunkSize(buf, off);
          break;
        case State.ChunkData:
          off = this.readChunkData(buf, off);
          break;
        case State.ChunkDataEnd:
          off = this.readChunkDataEnd(buf, off);
          break;
        case State.Trailers:
          off = this.readTrailers(buf, off, ts);
          break;
        case State.BodyUntilClose:
          this.consumeBody(buf, off, buf.length);
          off = buf.length;
          break;
        case State.Resync:
          off = this.resync(buf, off);
          break;
        case State.Stopped:
          this.decoder.handOver(this.dir, buf, off, ts);
          return;
      }
    }
    if (this.inMessage) this.lastTs = ts;
  }

  /** `bytes` were lost: skip them inside a body of known length, else drop the message and resync. */
  gap(bytes: number, ts: number): void {
    switch (this.state) {
      case State.Body:
      case State.ChunkData:
        if (bytes > this.remaining) break;
        this.size += bytes;
        this.bodySize += bytes;
        this.remaining -= bytes;
        this.captureLeft = 0;
        if (this.remaining === 0) {
          if (this.state === State.Body) this.complete(ts);
          else this.state = State.ChunkDataEnd;
        }
        return;
      case State.BodyUntilClose:
        this.size += bytes;
        this.bodySize += bytes;
        this.captureLeft = 0;
        return;
      case State.Stopped:
        return;
      case State.Head:
        if (!this.inMessage) {
          this.resyncAfterGap();
          return;
        }
        break;
      case State.Resync:
        this.resyncAfterGap();
        return;
    }
    this.decoder.ctx.error('gap_in_message');
    this.resyncAfterGap();
  }

  /** End of the conversation: a close-delimited body is complete, anything else partial is lost. */
  end(): void {
    if (this.state === State.BodyUntilClose) this.complete(this.lastTs);
    else if (this.inMessage && this.state !== State.Stopped) this.decoder.ctx.error('truncated');
    this.state = State.Stopped;
  }

  stop(): void {
    this.state = State.Stopped;
    this.carry = undefined;
  }

  private resyncAfterGap(): void {
    this.reset(State.Resync);
    this.lineStartsNext = true;
  }

  /** Drops the message; `atLineStart` when the bytes that follow begin a line (after a whole head). */
  private fail(reason: string, atLineStart = false): void {
    this.decoder.ctx.error(reason);
    this.reset(State.Resync);
    this.lineStartsNext = atLineStart;
  }

  private reset(state: State): void {
    this.state = state;
    this.carry = undefined;
    this.scanned = 0;
    this.inMessage = false;
    this.startChecked = false;
    this.head = undefined;
    this.size = 0;
    this.bodySize = 0;
    this.remaining = 0;
    this.lineStartsNext = false;
    if (this.captured.length > 0) this.captured = [];
  }

  private keepForLater(buf: Buffer, from: number): number {
    this.carry = Buffer.from(buf.subarray(from));
    return buf.length;
  }

  private readHead(buf: Buffer, off: number, ts: number): number {
    const options = this.decoder.options;
    if (!this.inMessage) {
      off = skipEmptyLines(buf, off);
      if (off === buf.length) return off;
      this.inMessage = true;
      this.start = ts;
      this.scanned = 0;
    }
    // Most heads come whole in one packet: parse them right away, which checks the start line
    // too (classifying it first, or finding the end of the head before parsing it, scanned
    // every head twice in profiles). A head cut by the packet end, a bad start line, or one
    // resumed from a carry goes the way that classifies the start line and finds the end first.
    if (this.scanned === 0) {
      const end = Math.min(buf.length, off + options.maxHeaderBytes);
      const head = parseHead(buf, off, end, this.isRequest, options.captureHeaders, this.headEnd);
      if (head !== undefined && this.headEnd.at >= 0) return this.headRead(head, off, this.headEnd.at, ts);
    }
    if (!this.startChecked) {
      const kind = classifyStartLine(buf, off, false);
      if (kind === StartLine.More) return this.keepForLater(buf, off);
      if (kind !== (this.isRequest ? StartLine.Request : StartLine.Status)) {
        this.fail('bad_start_line');
        return off;
      }
      this.startChecked = true;
    }
    const headEnd = findHeadEnd(buf, off, off + this.scanned);
    if (headEnd < 0) {
      if (buf.length - off > options.maxHeaderBytes) {
        this.fail('header_too_large');
        return buf.length;
      }
      this.scanned = buf.length - off;
      return this.keepForLater(buf, off);
    }
    if (headEnd - off > options.maxHeaderBytes) {
      this.fail('header_too_large', true);
      return headEnd;
    }
    const head = parseHead(buf, off, headEnd, this.isRequest, options.captureHeaders, this.headEnd);
    if (head === undefined) {
      this.fail('bad_start_line', true);
      return headEnd;
    }
    return this.headRead(head, off, headEnd, ts);
  }

  private headRead(head: MessageHead, off: number, headEnd: number, ts: number): number {
    const options = this.decoder.options;
    this.head = head;
    this.size = headEnd - off;
    this.captureLeft = options.captureBodyBytes;
    if (this.isRequest) this.frameRequest(head, ts);
    else this.frameResponse(head, ts);
    return headEnd;
  }

  private frameRequest(head: MessageHead, ts: number): void {
    this.decoder.requestStarted(head.method);
    if (isChunked(head)) this.state = State.ChunkSize;
    else this.frameByLength(head.contentLength ?? 0, ts);
  }

  private frameResponse(head: MessageHead, ts: number): void {
    const status = head.statusCode;
    if (status < 200 && status !== 101) {
      // Interim (100 Continue, 103 Early Hints): the final response is still to come.
      this.reset(State.Head);
      return;
    }
    const method = this.decoder.responseStarted();
    if (status === 101 || (method === 'CONNECT' && status < 300)) {
      this.complete(ts);
      if (status === 101 && upgradesToH2c(head)) this.decoder.upgrade('http2');
      else this.decoder.release(status === 101 ? 'upgrade' : 'connect');
      return;
    }
    if (method === 'HEAD' || status === 204 || status === 304) this.complete(ts);
    else if (isChunked(head)) this.state = State.ChunkSize;
    else {
      const length = head.contentLength;
      if (length === undefined) this.state = State.BodyUntilClose;
      else this.frameByLength(length, ts);
    }
  }

  private frameByLength(length: number, ts: number): void {
    if (Number.isNaN(length)) this.fail('bad_content_length', true);
    else if (length === 0) this.complete(ts);
    else {
      this.remaining = length;
      this.state = State.Body;
    }
  }

  private consumeBody(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    this.size += n;
    this.bodySize += n;
    if (this.captureLeft > 0) {
      const take = Math.min(this.captureLeft, n);
      this.captured.push(Buffer.from(buf.subarray(from, from + take)));
      this.captureLeft -= take;
    }
  }

  private readBody(buf: Buffer, off: number, ts: number): number {
    const end = Math.min(buf.length, off + this.remaining);
    this.consumeBody(buf, off, end);
    this.remaining -= end - off;
    if (this.remaining === 0) this.complete(ts);
    return end;
  }

  private readChunkSize(buf: Buffer, off: number): number {
    for (; off < buf.length; off++) {
      const c = buf[off]!;
      this.size++;
      if (c === LF) {
        if (!this.chunkHasDigits) {
          this.fail('bad_chunk_size');
          return off + 1;
        }
        this.chunkLineLength = 0;
        this.chunkHasDigits = false;
        this.chunkInExtension = false;
        this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
        this.trailerLineLength = 0;
        return off + 1;
      }
      if (++this.chunkLineLength > MAX_CHUNK_SIZE_LINE) {
        this.fail('bad_chunk_size');
        return off + 1;
      }
      if (this.chunkInExtension) continue;
      const digit = hexValue(c);
      if (digit >= 0 && this.remaining < 0x10000000000) {
        this.remaining = this.remaining * 16 + digit;
        this.chunkHasDigits = true;
      } else if (this.chunkHasDigits && (c === 0x3b /* ; */ || c === 0x20 || c === 0x09 || c === CR)) {
        this.chunkInExtension = true;
      } else {
        this.fail('bad_chunk_size');
        return off + 1;
      }
    }
    return off;
  }

  private readChunkData(buf: Buffer, off: number): number {
    const end = Math.min(buf.length, off + this.remaining);
    this.consumeBody(buf, off, end);
    // Chunk framing is counted in size, chunk data in both size and body size.
    this.remaining -= end - off;
    if (this.remaining === 0) this.state = State.ChunkDataEnd;
    return end;
  }

  private readChunkDataEnd(buf: Buffer, off: number): number {
    const c = buf[off]!;
    this.size++;
    if (c === LF) this.state = State.ChunkSize;
    else if (c !== CR) this.fail('bad_chunk_end');
    return off + 1;
  }

  private readTrailers(buf: Buffer, off: number, ts: number): number {
    for (; off < buf.length; off++) {
      const c = buf[off]!;
      this.size++;
      if (c === LF) {
        if (this.trailerLineLength === 0) {
          this.complete(ts);
          return off + 1;
        }
        this.trailerLineLength = 0;
      } else if (c !== CR && ++this.trailerLineLength > this.decoder.options.maxHeaderBytes) {
        this.fail('header_too_large');
        return off + 1;
      }
    }
    return off;
  }

  /**
   * Looks for the next line that starts a message in this direction (a whole request line, or a
   * status line), keeping a candidate cut by the packet end for the next data.
   */
  private resync(buf: Buffer, off: number): number {
    const expected = this.isRequest ? StartLine.Request : StartLine.Status;
    let candidate = off;
    if (!this.lineStartsNext) {
      const lf = buf.indexOf(LF, off);
      candidate = lf < 0 ? buf.length + 1 : lf + 1;
    }
    while (candidate < buf.length) {
      const kind = classifyStartLine(buf, candidate, true);
      if (kind === expected) {
        this.reset(State.Head);
        return candidate;
      }
      if (kind === StartLine.More) {
        this.lineStartsNext = true;
        return this.keepForLater(buf, candidate);
      }
      const lf = buf.indexOf(LF, candidate);
      candidate = lf < 0 ? buf.length + 1 : lf + 1;
    }
    this.lineStartsNext = candidate === buf.length;
    return buf.length;
  }

  private complete(ts: number): void {
    const head = this.head!;
    const decoder = this.decoder;
    const conv = decoder.ctx.conv;
    let details: Record<string, unknown> | undefined;
    if (decoder.options.captureHeaders) {
      details = { headers: recordedHeaders(head.headers!, decoder.options.includeSensitiveHeaders) };
    }
    if (this.captured.length > 0) this.addCapturedBody((details ??= {}));
    const msg: L7Message = {
      protocol: 'http',
      conv,
      dir: this.dir,
      type: this.isRequest ? 'request' : 'response',
      start: this.start,
      end: ts,
      size: this.size,
      attributes: this.isRequest
        ? requestAttributes(head, conv.server, this.bodySize)
        : responseAttributes(head, this.bodySize),
    };
    if (details !== undefined) msg.details = details;
    if (this.isRequest) {
      const traceparent = head.traceparent;
      const trace = traceparent === undefined ? undefined : parseTraceparent(traceparent, head.tracestate);
      if (trace !== undefined) msg.trace = trace;
    } else if (head.statusCode >= 500) {
      msg.error = true;
    }
    // Copied: the matcher merges the 101's attributes into the emitted request.
    if (this.isRequest && upgradesToH2c(head)) decoder.upgradeRequest = { ...msg, attributes: { ...msg.attributes } };
    this.reset(State.Head);
    decoder.ctx.emit(msg);
  }

  private addCapturedBody(details: Record<string, unknown>): void {
    const body = this.captured.length === 1 ? this.captured[0]! : Buffer.concat(this.captured);
    const text = isUtf8(body);
    details['body'] = body.toString(text ? 'utf8' : 'base64');
    details['body_encoding'] = text ? 'utf8' : 'base64';
    if (body.length < this.bodySize) details['body_truncated'] = true;
  }
}

/**
 * HTTP/1.0 and 1.1 decoder for one conversation: a parser per direction, and the methods of
 * requests whose responses are still to come (a response to HEAD has no body; a 2xx to CONNECT
 * opens a tunnel). A 101 or a CONNECT tunnel releases the conversation.
 */
export class HttpDecoder implements StreamDecoder {
  readonly options: HttpOptions;
  private readonly parsers: [MessageParser, MessageParser];
  private readonly methods: string[] = [];

  constructor(readonly ctx: DecoderContext) {
    this.options = httpOptions(ctx.options);
    this.parsers = [new MessageParser(this, CLIENT_TO_SERVER), new MessageParser(this, SERVER_TO_CLIENT)];
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    this.parsers[dir].feed(payload, ts);
  }

  gap(dir: Direction, bytes: number, ts: number): void {
    this.parsers[dir].gap(bytes, ts);
  }

  end(): void {
    this.parsers[CLIENT_TO_SERVER].end();
    this.parsers[SERVER_TO_CLIENT].end();
  }

  requestStarted(method: string): void {
    if (this.methods.length === MAX_QUEUED_METHODS) this.methods.shift();
    this.methods.push(method);
  }

  /** The method of the request this final response answers ('' when the request was not seen). */
  responseStarted(): string {
    return this.methods.shift() ?? '';
  }

  release(reason: string): void {
    this.parsers[CLIENT_TO_SERVER].stop();
    this.parsers[SERVER_TO_CLIENT].stop();
    this.ctx.release(reason);
  }

  /** The latest request offering `Upgrade: h2c`: stream 1 of the HTTP/2 connection if accepted. */
  upgradeRequest: L7Message | undefined;
  /** The decoder a 101 switched the conversation to. */
  private successor: StreamDecoder | undefined;

  /** The server switched protocols: the rest of the conversation goes to that protocol's decoder. */
  upgrade(protocol: string): void {
    this.parsers[CLIENT_TO_SERVER].stop();
    this.parsers[SERVER_TO_CLIENT].stop();
    this.successor = this.ctx.switchProtocol?.(protocol, this.upgradeRequest);
    if (this.successor === undefined) this.ctx.release('upgrade');
  }

  /** Bytes after the 101 in the data that carried it belong to the new protocol. */
  handOver(dir: Direction, buf: Buffer, off: number, ts: number): void {
    if (this.successor !== undefined && off < buf.length) this.successor.data(dir, buf.subarray(off), ts);
  }
}

/** `Upgrade: h2c` (RFC 7540 §3.2; one of the offered protocols in a request). */
function upgradesToH2c(head: MessageHead): boolean {
  const upgrade = head.upgrade;
  return upgrade !== undefined && upgrade.split(',').some((token) => token.trim().toLowerCase() === 'h2c');
}
