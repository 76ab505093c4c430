import { isUtf8 } from 'node:buffer';
import { type L7Message, type MessagePartial, newMessage } from '../../model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../model/stream.js';
import { parseTraceparent } from '../trace-context.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import { recordedHeaders, requestAttributes, responseAttributes } from './attributes.js';
import { classifyStartLine, skipEmptyLines, StartLine } from './detect.js';
import { Exchange, ExchangeQueue, resolveAfterLoss, type LossResolution } from './exchanges.js';
import { countAnomalies, findHeadEnd, http09ResponseHead, isChunked, isErrorResponse, isInterim, parseHead, type HeadEnd, type MessageHead } from './head.js';
import { httpOptions, type HttpOptions } from './options.js';
import { findRequestLine, findStatusLine, type StartSearch } from './resync.js';

// Scratch out-parameters, filled and read within one call: one for every parser (a pair per
// conversation made each conversation's state larger, and thousands are live at once).
const HEAD_END: HeadEnd = { at: -1 };
const SEARCH: StartSearch = { at: -1, keep: 0 };
const RESOLUTION: LossResolution = { dropped: 0, candidate: -1, possible: 0, spread: 0 };

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
  /** After a 2xx to CONNECT: what the client sends next says whether the tunnel carries HTTP. */
  TunnelStart,
  Stopped,
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TLS_HANDSHAKE = 0x16;
const TLS_MAJOR = 0x03;
const MAX_CHUNK_SIZE_LINE = 4096;
/** Exchanges waiting for a response; bounded for peers that never answer. */
const MAX_WAITING = 1024;
/** Exchanges kept for reuse. */
const MAX_FREE = 64;

/** `packetd.http.pairing`: why a response is reported without its request. */
export const PAIRING_ATTRIBUTE = 'packetd.http.pairing';
/** After lost bytes, more than one waiting request may be the one this response answers. */
const AMBIGUOUS_AFTER_GAP = 'ambiguous_after_gap';
/** The response answers a request the capture lost in a gap. */
const REQUEST_LOST_IN_GAP = 'request_lost_in_gap';
/** `http.tunnel`: the request went through a CONNECT tunnel of this conversation (an HTTP proxy). */
export const TUNNEL_ATTRIBUTE = 'http.tunnel';
/** `http.response.interim_count`: 1xx responses (100 Continue, 103 Early Hints) before the final one. */
export const INTERIM_COUNT_ATTRIBUTE = 'http.response.interim_count';

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
  /** Bytes left in a Content-Length body or in the current chunk. */
  private remaining = 0;
  private chunkLineLength = 0;
  private chunkHasDigits = false;
  private chunkInExtension = false;
  private trailerLineLength = 0;
  /** Body bytes kept (capture_body_bytes), made on first use. */
  private captured: Buffer[] | undefined;
  private captureLeft = 0;
  /** Set when bytes of the current message were lost, or its framing broke. */
  private partial: MessagePartial | undefined;
  /** The exchange of the message being read: the request's own, or the one the response answers. */
  private exchange: Exchange | undefined;
  /** For a response read without an exchange: why it has none (PAIRING_ATTRIBUTE), if known. */
  private pairing: string | undefined;
  /** Feed calls so far, and the one in which the last request ended (two requests in one segment: pipelining). */
  private feeds = 0;
  private requestEndFeed = -1;
  /** Resync: bytes of `carry` already searched. */
  private searched = 0;

  /** A field, not a getter: profiles showed the getter left out of inlining in the hot paths. */
  private readonly isRequest: boolean;

  constructor(
    private readonly decoder: HttpDecoder,
    private readonly dir: Direction,
  ) {
    this.isRequest = dir === CLIENT_TO_SERVER;
  }

  feed(payload: Buffer, ts: number): void {
    this.feeds++;
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
          off = this.readChunkSize(buf, off, ts);
          break;
        case State.ChunkData:
          off = this.readChunkData(buf, off);
          break;
        case State.ChunkDataEnd:
          off = this.readChunkDataEnd(buf, off, ts);
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
        case State.TunnelStart:
          off = this.tunnelStart(buf, off);
          break;
        case State.Stopped:
          this.decoder.handOver(this.dir, buf, off, ts);
          return;
      }
    }
    if (this.inMessage) this.lastTs = ts;
  }

  /**
   * `bytes` were lost. Inside a body of known length the message goes on (marked `gap`);
   * otherwise the message ends there, marked `gap`, and the parser resyncs. What the lost
   * bytes may have held beyond the message (whole messages) goes to the decoder, so that
   * pairing never shifts.
   */
  gap(bytes: number): void {
    const ts = this.lastTs;
    switch (this.state) {
      case State.Body:
        if (bytes <= this.remaining) {
          this.skipLost(bytes);
          if (this.remaining === 0) this.complete(ts);
          return;
        }
        // The message ended inside the gap: what follows its end began the next message(s).
        this.skipLost(this.remaining);
        this.complete(ts);
        this.lostAfter(1);
        this.resyncAfterGap();
        return;
      case State.ChunkData:
        if (bytes <= this.remaining) {
          this.skipLost(bytes);
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          return;
        }
        this.skipLost(this.remaining);
        this.cutByGap(ts);
        return;
      case State.ChunkSize:
      case State.ChunkDataEnd:
      case State.Trailers:
        this.cutByGap(ts);
        return;
      case State.BodyUntilClose:
        this.partial = 'gap';
        this.size += bytes;
        this.bodySize += bytes;
        this.captureLeft = 0;
        return;
      case State.Stopped:
        return;
      case State.TunnelStart:
        // The tunnel's first bytes are lost: nothing says what it carries.
        this.decoder.release('connect');
        return;
      case State.Head:
        if (this.inMessage) {
          this.decoder.ctx.error('gap_in_message');
          // A head cut short: reported when its start line was read, else counted as lost (a
          // response only when its status says final).
          if (this.cutHead(ts)) this.lostAfter(0);
          else this.lostAfter(this.isRequest || this.carriesFinalStatus() ? 1 : 0);
        } else {
          // Between messages: the lost bytes began at least one.
          this.lostAfter(1);
        }
        this.resyncAfterGap();
        return;
      case State.Resync:
        this.lostAfter(0);
        this.resyncAfterGap();
        return;
    }
  }

  /** End of the conversation: a close-delimited body is complete; a body cut short is reported as read. */
  end(): void {
    switch (this.state) {
      case State.BodyUntilClose:
        this.complete(this.lastTs);
        break;
      case State.Body:
      case State.ChunkSize:
      case State.ChunkData:
      case State.ChunkDataEnd:
      case State.Trailers:
        this.decoder.ctx.error('truncated');
        this.partial ??= 'framing';
        this.complete(this.lastTs);
        break;
      case State.Head:
        if (this.inMessage) this.decoder.ctx.error('truncated');
        break;
      default:
        break;
    }
    this.state = State.Stopped;
  }

  stop(): void {
    this.state = State.Stopped;
    this.carry = undefined;
  }

  /** After a 2xx to CONNECT: the next bytes say what the tunnel carries. */
  awaitTunnel(): void {
    this.reset(State.TunnelStart);
  }

  /** The tunnel carries HTTP: messages go on as before. */
  tunnelCarriesHttp(): void {
    if (this.state === State.TunnelStart) this.state = State.Head;
  }

  /** The request parser's exchange while its request is being read. */
  get exchangeOfRequest(): Exchange | undefined {
    return this.isRequest ? this.exchange : undefined;
  }

  private skipLost(bytes: number): void {
    this.partial = 'gap';
    this.size += bytes;
    this.bodySize += bytes;
    this.remaining -= bytes;
    this.captureLeft = 0;
  }

  /** The gap ends the message where its length is unknown: report it, then look for the next. */
  private cutByGap(ts: number): void {
    this.decoder.ctx.error('gap_in_message');
    this.partial = 'gap';
    this.complete(ts);
    this.lostAfter(0);
    this.resyncAfterGap();
  }

  /** The gap may have held whole messages after the current one: at least `fewest`, how many at most unknown. */
  private lostAfter(fewest: number): void {
    if (this.isRequest) this.decoder.requestsLost(fewest, this.lastTs);
    else this.decoder.responsesLost(fewest);
  }

  /** A head whose start line is whole, cut by a gap: the message is reported with what its head says (true), unless interim. */
  private cutHead(ts: number): boolean {
    const carry = this.carry;
    if (carry === undefined) return false;
    const options = this.decoder.options;
    const head = parseHead(carry, 0, carry.length, this.isRequest, options.captureHeaders, HEAD_END);
    if (head === undefined) return false;
    this.head = head;
    this.size = carry.length;
    this.partial = 'gap';
    if (this.isRequest) {
      this.exchange = this.decoder.requestStarted(head.method, this.start);
    } else {
      if (isInterim(head)) return false;
      this.exchange = this.decoder.responseStarted(this.start);
      this.pairing = this.decoder.pairing;
    }
    this.complete(ts);
    return true;
  }

  /** A cut response head whose status code was seen and is not 1xx. */
  private carriesFinalStatus(): boolean {
    const carry = this.carry;
    if (carry === undefined) return false;
    const space = carry.indexOf(SP, 7);
    return space > 0 && space + 1 < carry.length && carry[space + 1]! >= 0x32 && carry[space + 1]! <= 0x39;
  }

  private resyncAfterGap(): void {
    this.reset(State.Resync);
  }

  /** Bad bytes before a head was read: counted, and the parser resyncs after them. */
  private fail(reason: string): void {
    this.decoder.ctx.error(reason);
    this.reset(State.Resync);
  }

  /** The framing broke after the head was read: the message is reported as read, then the parser resyncs. */
  private broken(reason: string, ts: number): void {
    this.decoder.ctx.error(reason);
    this.partial ??= 'framing';
    this.complete(ts);
    this.reset(State.Resync);
  }

  private reset(state: State): void {
    this.state = state;
    this.carry = undefined;
    this.scanned = 0;
    this.searched = 0;
    this.inMessage = false;
    this.startChecked = false;
    this.head = undefined;
    this.size = 0;
    this.bodySize = 0;
    this.remaining = 0;
    this.chunkLineLength = 0;
    this.chunkHasDigits = false;
    this.chunkInExtension = false;
    this.partial = undefined;
    this.exchange = undefined;
    this.pairing = undefined;
    this.captured = undefined;
  }

  private keepForLater(buf: Buffer, from: number): number {
    this.carry = Buffer.from(buf.subarray(from));
    return buf.length;
  }

  private readHead(buf: Buffer, off: number, ts: number): number {
    const options = this.decoder.options;
    if (!this.inMessage) {
      if (!this.isRequest && this.decoder.awaitsHttp09Answer()) return this.http09Answer(off, ts);
      off = skipEmptyLines(buf, off);
      if (off === buf.length) return off;
      this.inMessage = true;
      this.start = ts;
      this.lastTs = ts;
      this.scanned = 0;
    }
    // Most heads come whole in one packet: parse them right away, which checks the start line
    // too (classifying it first, or finding the end of the head before parsing it, scanned
    // every head twice in profiles). A head cut by the packet end, a bad start line, or one
    // resumed from a carry goes the way that classifies the start line and finds the end first.
    if (this.scanned === 0) {
      const end = Math.min(buf.length, off + options.maxHeaderBytes);
      const head = parseHead(buf, off, end, this.isRequest, options.captureHeaders, HEAD_END);
      if (head !== undefined && HEAD_END.at >= 0) return this.headRead(head, off, HEAD_END.at, ts);
    }
    if (!this.startChecked) {
      const kind = classifyStartLine(buf, off, false);
      if (kind === StartLine.More) return this.keepForLater(buf, off);
      if (kind !== (this.isRequest ? StartLine.Request : StartLine.Status)) {
        this.fail('bad_start_line');
        return off + 1;
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
      this.fail('header_too_large');
      return headEnd;
    }
    const head = parseHead(buf, off, headEnd, this.isRequest, options.captureHeaders, HEAD_END);
    if (head === undefined) {
      this.fail('bad_start_line');
      return off + 1;
    }
    return this.headRead(head, off, headEnd, ts);
  }

  /** The answer to an HTTP/0.9 request has no head: the server's bytes are its body, to the close. */
  private http09Answer(off: number, ts: number): number {
    this.inMessage = true;
    this.start = ts;
    this.lastTs = ts;
    this.head = http09ResponseHead(this.decoder.options.captureHeaders);
    this.size = 0;
    this.captureLeft = this.decoder.options.captureBodyBytes;
    this.exchange = this.decoder.responseStarted(ts);
    this.pairing = this.decoder.pairing;
    this.state = State.BodyUntilClose;
    return off;
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
    // A request starting in the segment that ended the previous one: the client does not wait for responses.
    if (this.feeds === this.requestEndFeed) this.decoder.pipelining = true;
    this.exchange = this.decoder.requestStarted(head.method, this.start);
    if (head.version === '0.9') {
      this.exchange.http09 = true;
      this.decoder.sawHttp09 = true;
    }
    if (isChunked(head)) this.state = State.ChunkSize;
    else this.frameByLength(head.contentLength ?? 0, ts);
  }

  private frameResponse(head: MessageHead, ts: number): void {
    const status = head.statusCode;
    if (isInterim(head)) {
      // Interim (100 Continue, 103 Early Hints): the final response is still to come.
      this.decoder.interimSeen();
      this.reset(State.Head);
      return;
    }
    const decoder = this.decoder;
    const exchange = decoder.responseStarted(this.start);
    this.exchange = exchange;
    this.pairing = decoder.pairing;
    const method = exchange === undefined ? '' : exchange.method;
    if (status === 101 || (method === 'CONNECT' && status < 300)) {
      this.complete(ts);
      if (status === 101 && upgradesToH2c(head)) decoder.upgrade('http2');
      else if (status === 101) decoder.release('upgrade');
      else decoder.openTunnel();
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
    if (Number.isNaN(length)) this.broken('bad_content_length', ts);
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
      (this.captured ??= []).push(Buffer.from(buf.subarray(from, from + take)));
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

  private readChunkSize(buf: Buffer, off: number, ts: number): number {
    for (; off < buf.length; off++) {
      const c = buf[off]!;
      this.size++;
      if (c === LF) {
        if (!this.chunkHasDigits) {
          this.broken('bad_chunk_size', ts);
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
        this.broken('bad_chunk_size', ts);
        return off + 1;
      }
      if (this.chunkInExtension) continue;
      const digit = hexValue(c);
      if (digit >= 0 && this.remaining < 0x10000000000) {
        this.remaining = this.remaining * 16 + digit;
        this.chunkHasDigits = true;
      } else if (this.chunkHasDigits && (c === 0x3b /* ; */ || c === SP || c === 0x09 || c === CR)) {
        this.chunkInExtension = true;
      } else {
        // Not part of the size line: resync from this byte (the next message may start here).
        this.size--;
        this.broken('bad_chunk_size', ts);
        return off;
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

  private readChunkDataEnd(buf: Buffer, off: number, ts: number): number {
    const c = buf[off]!;
    if (c === LF) this.state = State.ChunkSize;
    else if (c !== CR) {
      this.broken('bad_chunk_end', ts);
      return off;
    }
    this.size++;
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
        this.broken('header_too_large', ts);
        return off + 1;
      }
    }
    return off;
  }

  /**
   * Looks for the next message start of this direction anywhere in the bytes (a response may
   * begin right after body bytes, mid-segment), keeping what may begin one for the next data.
   */
  private resync(buf: Buffer, off: number): number {
    const search = this.isRequest
      ? findRequestLine(buf, off, off + this.searched, SEARCH)
      : findStatusLine(buf, off + this.searched, SEARCH);
    if (search.at >= 0) {
      this.reset(State.Head);
      return search.at;
    }
    const keep = Math.max(off, search.keep);
    // Bytes kept were searched up to where a start could still be cut (the last few bytes).
    this.searched = Math.max(0, buf.length - keep - 12);
    if (keep < buf.length) {
      this.carry = Buffer.from(buf.subarray(keep));
    }
    return buf.length;
  }

  /** The client's first bytes through the tunnel: TLS stays opaque, HTTP is decoded. */
  private tunnelStart(buf: Buffer, off: number): number {
    const decoder = this.decoder;
    if (!this.isRequest) {
      // The server spoke first: not HTTP.
      decoder.release('connect');
      return buf.length;
    }
    if (buf[off] === TLS_HANDSHAKE) {
      if (off + 1 === buf.length) return this.keepForLater(buf, off);
      if (buf[off + 1] === TLS_MAJOR) {
        decoder.release('connect');
        return buf.length;
      }
    }
    const kind = classifyStartLine(buf, off, false);
    if (kind === StartLine.More) return this.keepForLater(buf, off);
    if (kind !== StartLine.Request) {
      decoder.release('connect');
      return buf.length;
    }
    decoder.tunnelCarriesHttp();
    return off;
  }

  private complete(ts: number): void {
    const head = this.head!;
    const decoder = this.decoder;
    const conv = decoder.ctx.conv;
    let details: Record<string, unknown> | undefined;
    if (decoder.options.captureHeaders) {
      details = { headers: recordedHeaders(head.headers!, decoder.options.includeSensitiveHeaders) };
    }
    if (this.captured !== undefined) this.addCapturedBody(this.captured, (details ??= {}));
    const isRequest = this.isRequest;
    const attributes = isRequest ? requestAttributes(head, conv.server, this.bodySize) : responseAttributes(head, this.bodySize);
    const msg = newMessage('http', conv, this.dir, isRequest ? 'request' : 'response', this.start, ts, this.size, attributes);
    if (details !== undefined) msg.details = details;
    if (this.partial !== undefined) msg.partial = this.partial;
    countAnomalies(decoder.ctx.stats, head);
    if (decoder.tunnelled) msg.attributes[TUNNEL_ATTRIBUTE] = 'connect';
    const exchange = this.exchange;
    if (isRequest) {
      const traceparent = head.traceparent;
      const trace = traceparent === undefined ? undefined : parseTraceparent(traceparent, head.tracestate);
      if (trace !== undefined) msg.trace = trace;
      // Copied: the matcher merges the 101's attributes into the emitted request.
      if (upgradesToH2c(head)) decoder.upgradeRequest = { ...msg, attributes: { ...msg.attributes } };
      this.requestEndFeed = this.feeds;
      this.reset(State.Head);
      decoder.requestComplete(exchange, msg);
      return;
    }
    if (isErrorResponse(head)) msg.error = true;
    if (exchange === undefined && this.pairing !== undefined) msg.attributes[PAIRING_ATTRIBUTE] = this.pairing;
    this.reset(State.Head);
    decoder.responseComplete(exchange, msg);
  }

  private addCapturedBody(captured: Buffer[], details: Record<string, unknown>): void {
    const body = captured.length === 1 ? captured[0]! : Buffer.concat(captured);
    const text = isUtf8(body);
    details['body'] = body.toString(text ? 'utf8' : 'base64');
    details['body_encoding'] = text ? 'utf8' : 'base64';
    if (body.length < this.bodySize) details['body_truncated'] = true;
  }
}

/**
 * HTTP/1.0 and 1.1 decoder for one conversation: a parser per direction, and the exchanges
 * (requests, from their first byte on) whose final response has not started yet.
 *
 * Pairing is by where messages start, not where they end: a final response head answers the
 * oldest waiting exchange. A request is emitted when it completes; a response names the
 * request it answers (`msg.request`), so the matcher pairs exactly. A response that completes
 * before its request (an early 413, 401, 417 to an upload) is held and emitted right after it.
 * After lost bytes, `resolveAfterLoss` decides which waiting request a response answers, and
 * where the capture cannot tell, the response is reported on its own. A 101 releases the
 * conversation (or hands it to HTTP/2 for h2c); a CONNECT tunnel is decoded when it carries
 * HTTP, released when it carries anything else (TLS).
 */
export class HttpDecoder implements StreamDecoder {
  readonly options: HttpOptions;
  private readonly parsers: [MessageParser, MessageParser];
  private readonly waiting = new ExchangeQueue();
  /** Exchanges to reuse, made on first use. */
  private free: Exchange[] | undefined;
  /** Responses the capture may have lost before the next one found: at least, at most. */
  private lossMin = 0;
  private lossMax = 0;
  /** The client was seen sending a request before the previous response had started. */
  pipelining = false;
  /** An HTTP/0.9 request was seen: only then can a response be a bare body. */
  sawHttp09 = false;
  /** The conversation is a CONNECT tunnel carrying HTTP. */
  tunnelled = false;
  /** Why the last response that started has no exchange (PAIRING_ATTRIBUTE), or undefined. */
  pairing: string | undefined;
  /**
   * Responses that found no request waiting since the last request head: they answer requests
   * lost in a client-side gap that reassembly reports only later (when the server acks past it).
   */
  private answeredUnseen = 0;

  constructor(readonly ctx: DecoderContext) {
    this.options = httpOptions(ctx.options);
    this.parsers = [new MessageParser(this, CLIENT_TO_SERVER), new MessageParser(this, SERVER_TO_CLIENT)];
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    this.parsers[dir].feed(payload, ts);
  }

  /** `_ts` is when the loss showed (a later ack), not when the lost bytes passed: messages cut by it end at their last byte seen. */
  gap(dir: Direction, bytes: number, _ts: number): void {
    this.parsers[dir].gap(bytes);
  }

  end(): void {
    const requests = this.parsers[CLIENT_TO_SERVER];
    requests.end();
    this.parsers[SERVER_TO_CLIENT].end();
    // A response held for a request whose decoding stopped (released) goes out on its own.
    const held = requests.exchangeOfRequest?.held;
    if (held !== undefined) {
      held.requestMissing = true;
      this.ctx.emit(held);
    }
  }

  /** A request head was read: its exchange waits for a response from now on. */
  requestStarted(method: string, start: number): Exchange {
    const exchange = this.free?.pop() ?? new Exchange();
    exchange.method = method;
    exchange.start = start;
    this.answeredUnseen = 0;
    if (this.waiting.size === MAX_WAITING) {
      this.ctx.error('too_many_pending');
      this.giveUp(this.waiting.shift());
    }
    this.waiting.push(exchange);
    return exchange;
  }

  requestComplete(exchange: Exchange | undefined, msg: L7Message): void {
    this.ctx.emit(msg);
    if (exchange === undefined) return;
    exchange.request = msg;
    exchange.requestDone = true;
    const held = exchange.held;
    if (held !== undefined) {
      exchange.held = undefined;
      held.request = msg;
      this.ctx.emit(held);
    }
    this.recycle(exchange);
  }

  /** The oldest request waiting is an HTTP/0.9 one, surely the next to be answered: its answer has no head. */
  awaitsHttp09Answer(): boolean {
    return this.sawHttp09 && this.waiting.size > 0 && !this.uncertain() && this.waiting.at(0).http09;
  }

  /** A 1xx head: counted on the exchange the final response will answer. */
  interimSeen(): void {
    if (this.waiting.size > 0 && !this.uncertain()) this.waiting.at(0).interim++;
  }

  /** A final response head starting at `start`: the exchange it answers, or undefined (then `pairing` says why, if known). */
  responseStarted(start: number): Exchange | undefined {
    this.pairing = undefined;
    const waiting = this.waiting;
    if (!this.uncertain()) {
      if (waiting.size === 0) {
        this.answeredUnseen++;
        return undefined;
      }
      // A later request already waiting: it was sent before this response began.
      if (waiting.size > 1) this.pipelining = true;
      return waiting.shift();
    }
    return this.answerAfterLoss(start);
  }

  responseComplete(exchange: Exchange | undefined, msg: L7Message): void {
    if (exchange === undefined) {
      msg.requestMissing = true;
      this.ctx.emit(msg);
      return;
    }
    if (exchange.interim > 0) msg.attributes[INTERIM_COUNT_ATTRIBUTE] = exchange.interim;
    exchange.responseFinished = true;
    if (exchange.requestDone) {
      msg.request = exchange.request;
      this.ctx.emit(msg);
      this.recycle(exchange);
    } else {
      exchange.held = msg;
    }
  }

  /** Lost server bytes held at least `fewest` whole responses (how many at most is unknown). */
  responsesLost(fewest: number): void {
    this.lossMin += fewest;
    this.lossMax = Infinity;
  }

  /** Lost client bytes held at least `fewest` requests, whose responses may still be to come. */
  requestsLost(fewest: number, ts: number): void {
    // Responses already reported without a request answered some of them.
    const stillToAnswer = Math.max(0, fewest - this.answeredUnseen);
    this.answeredUnseen = 0;
    const last = this.waiting.last();
    if (last !== undefined && last.lost) {
      last.lostMin += stillToAnswer;
      last.lostMax = Infinity;
      return;
    }
    const lost = this.free?.pop() ?? new Exchange();
    lost.lost = true;
    lost.lostMin = stillToAnswer;
    lost.lostMax = Infinity;
    lost.start = ts;
    lost.requestDone = true;
    if (this.waiting.size === MAX_WAITING) {
      this.ctx.error('too_many_pending');
      this.giveUp(this.waiting.shift());
    }
    this.waiting.push(lost);
  }

  private uncertain(): boolean {
    return this.lossMax !== 0 || this.waiting.lostItems !== 0;
  }

  private answerAfterLoss(start: number): Exchange | undefined {
    const waiting = this.waiting;
    const found = resolveAfterLoss(waiting, this.lossMin, this.lossMax, start, this.pipelining, RESOLUTION);
    for (let i = 0, dropped = found.dropped; i < dropped; i++) this.giveUp(waiting.shift());
    this.lossMin = 0;
    this.lossMax = 0;
    if (found.possible === 0) {
      this.answeredUnseen++;
      return undefined;
    }
    const candidate = waiting.at(0);
    if (found.possible === 1 && !candidate.lost) return waiting.shift();
    if (candidate.lost) {
      candidate.lostMin = Math.max(0, candidate.lostMin - 1 - found.spread);
      candidate.lostMax -= 1;
      if (candidate.lostMax <= 0) this.giveUp(waiting.shift());
    } else {
      this.giveUp(waiting.shift());
    }
    if (found.possible === 1) {
      this.pairing = REQUEST_LOST_IN_GAP;
    } else {
      // The responses that follow answer one of as many requests further on.
      this.lossMax = found.spread;
      this.pairing = AMBIGUOUS_AFTER_GAP;
    }
    return undefined;
  }

  /** No response will be paired with this exchange: its request, once emitted, stays unanswered. */
  private giveUp(exchange: Exchange): void {
    exchange.responseFinished = true;
    this.recycle(exchange);
  }

  private recycle(exchange: Exchange): void {
    if (!exchange.requestDone || !exchange.responseFinished || exchange.held !== undefined) return;
    exchange.reset();
    const free = (this.free ??= []);
    if (free.length < MAX_FREE) free.push(exchange);
  }

  /** A 2xx to CONNECT: the client's next bytes say whether the tunnel is decoded. */
  openTunnel(): void {
    this.parsers[CLIENT_TO_SERVER].awaitTunnel();
    this.parsers[SERVER_TO_CLIENT].awaitTunnel();
  }

  tunnelCarriesHttp(): void {
    this.tunnelled = true;
    this.parsers[CLIENT_TO_SERVER].tunnelCarriesHttp();
    this.parsers[SERVER_TO_CLIENT].tunnelCarriesHttp();
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
