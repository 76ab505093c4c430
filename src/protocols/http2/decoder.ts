import type { L7Message } from '../../model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../model/stream.js';
import type { Counter } from '../../pipeline/stats.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import {
  CLIENT_PREFACE, DEFAULT_MAX_FRAME_SIZE, errorCodeName, FLAG_ACK, FLAG_END_HEADERS, FLAG_END_STREAM, FLAG_PADDED,
  FLAG_PRIORITY, FRAME_HEADER_LENGTH, FrameType, isPlausibleFrameHeader, plausibleFrameChain, readFrameHeader, SETTINGS_HEADER_TABLE_SIZE,
  type FrameHeader,
} from './frame.js';
import { HpackDecoder } from './hpack/decoder.js';
import { isGrpcStream, requestMessage, responseMessage } from './messages.js';
import { http2Options, type Http2Options } from './options.js';
import { addField, H2Stream, StreamHalf } from './stream.js';

/** Where a direction's reader is in its byte stream. */
const enum Read {
  /** Connection start: the client preface may come first (client side only). */
  Start,
  Header,
  /** A non-DATA frame's payload, gathered whole (bounded by max_header_bytes). */
  Payload,
  DataPadLength,
  DataBody,
  DataPadding,
  /** A frame not worth reading (PING, WINDOW_UPDATE, unknown types, oversized ones). */
  Skip,
  /** Looking for a frame boundary after lost or unknown bytes. */
  Resync,
}

const SETTINGS_MAX_FRAME_SIZE = 0x5;
/** Frames can never be longer (24-bit length); a SETTINGS value above is ignored. */
const LARGEST_FRAME = (1 << 24) - 1;

/** One direction of the connection: frame reader, HPACK table, header block being gathered. */
class FrameReader {
  state = Read.Start;
  /** A partial frame header, or a partial Payload, copied from earlier data. */
  carry: Buffer | undefined;
  /** Packet time of the carried bytes' first byte (the frame's start). */
  carryTs = 0;
  readonly header: FrameHeader = { length: 0, type: 0, flags: 0, streamId: 0 };
  frameStart = 0;
  /** Payload bytes of the current frame not yet read. */
  left = 0;
  padLeft = 0;
  /** Where the current frame's body goes (DATA): undefined for streams not tracked. */
  half: StreamHalf | undefined;
  readonly hpack = new HpackDecoder();
  /**
   * The largest frame this side may send (the other side's SETTINGS_MAX_FRAME_SIZE): bounds
   * resync guesses. Unknown (any 24-bit length) until the connection start or that setting is
   * seen: joined mid-connection, the peer may long have allowed larger frames, and a bound too
   * low rejects the true frame boundaries (a HEADERS frame followed by a 40 KB DATA frame).
   */
  maxFrameSize = LARGEST_FRAME;
  maxFrameSizeKnown = false;
  /** A header block split over CONTINUATION frames: its stream and the fragments so far. */
  blockStream = 0;
  blockParts: Buffer[] = [];
  blockBytes = 0;
  blockEndStream = false;
  blockHalf: StreamHalf | undefined;
  /** Data starts here (after a gap or at a join): a frame boundary may be found at its first byte. */
  atDataStart = true;

  constructor(readonly dir: Direction) {}
}

/**
 * HTTP/2 (and gRPC on it) for one conversation: a frame reader and HPACK table per direction,
 * and the open streams by id. A stream becomes a roundtrip when the server ends it (END_STREAM),
 * either side resets it (RST_STREAM), a GOAWAY leaves it unprocessed, or the conversation ends.
 * The decoder pairs request and response itself ('stream' matching).
 */
export class Http2Decoder implements StreamDecoder {
  private readonly options: Http2Options;
  private readonly readers: [FrameReader, FrameReader] = [new FrameReader(CLIENT_TO_SERVER), new FrameReader(SERVER_TO_CLIENT)];
  private readonly streams = new Map<number, H2Stream>();
  private readonly undecodable: Counter;
  private readonly unpaired: Counter;
  private readonly evicted: Counter;
  /** The header block being decoded and where its fields go (one sink for the whole decoder). */
  private collecting: StreamHalf | undefined;
  private collectingTrailers = false;
  private readonly sink = (name: string, value: string): void => this.field(name, value);
  /** Scratch half for header blocks of streams not tracked: decoded only to keep HPACK in step. */
  private scratch = new StreamHalf();
  /** The client preface or an Upgrade was seen. */
  private startSeen = false;

  constructor(private readonly ctx: DecoderContext) {
    this.options = http2Options(ctx.options);
    const stats = ctx.stats;
    this.undecodable = stats.counter(
      'packetd_http2_undecodable_headers_total',
      'HTTP/2 header blocks with fields packetd could not decode (table entries from before the capture or lost bytes); those fields are left out',
    );
    this.unpaired = stats.counter('packetd_http2_unpaired_streams_total', 'HTTP/2 streams whose request was not seen (joined mid-stream): not reported');
    this.evicted = stats.counter('packetd_http2_streams_evicted_total', 'HTTP/2 streams reported early because a connection had more than max_streams open');
    const upgrade = ctx.upgradeRequest;
    if (upgrade !== undefined) {
      // RFC 9113 §3.2: the upgrading request is stream 1, half-closed by the client.
      const stream = this.open(1);
      stream.upgradeRequest = upgrade;
      stream.request.headersDone = true;
      stream.request.ended = true;
      this.connectionStarts();
    }
  }

  /**
   * The connection is seen from its start (the client preface, or the 101 of an Upgrade): frame
   * sizes start at the default, and the server's first bytes are its preface, a SETTINGS frame
   * (RFC 9113 §3.4), where frames begin for sure.
   */
  private connectionStarts(): void {
    this.startSeen = true;
    for (const reader of this.readers) {
      if (!reader.maxFrameSizeKnown) {
        reader.maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
        reader.maxFrameSizeKnown = true;
      }
    }
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    const reader = this.readers[dir];
    let buf = payload;
    if (reader.carry !== undefined) {
      buf = Buffer.concat([reader.carry, payload]);
      reader.carry = undefined;
    } else {
      reader.carryTs = ts;
    }
    let off = 0;
    while (off < buf.length) off = this.step(reader, buf, off, ts);
    // Bytes held from a data start are still at that start when more arrive.
    if (reader.carry === undefined || (reader.state !== Read.Start && reader.state !== Read.Resync)) reader.atDataStart = false;
  }

  gap(dir: Direction, bytes: number): void {
    const reader = this.readers[dir];
    switch (reader.state) {
      case Read.DataBody:
        if (bytes <= reader.left - reader.padLeft) {
          reader.left -= bytes;
          if (reader.half !== undefined) {
            reader.half.size += bytes;
            reader.half.bodySize += bytes;
            reader.half.grpc.skip(bytes);
          }
          return;
        }
        break;
      case Read.Skip:
        if (bytes <= reader.left) {
          reader.left -= bytes;
          return;
        }
        break;
      case Read.Start:
      case Read.Resync:
        break;
      case Read.Header:
        if (reader.carry === undefined) break;
        this.ctx.error('gap_in_frame');
        break;
      default:
        this.ctx.error('gap_in_frame');
    }
    this.lose(reader);
  }

  end(): void {
    for (const stream of [...this.streams.values()]) this.finish(stream);
  }

  /** Sync is lost in this direction: table entries may have been added unseen. */
  private lose(reader: FrameReader): void {
    reader.hpack.forget();
    if (reader.blockHalf !== undefined) reader.blockHalf.incomplete = true;
    this.dropBlock(reader);
    reader.carry = undefined;
    reader.state = Read.Resync;
    reader.atDataStart = true;
  }

  private step(reader: FrameReader, buf: Buffer, off: number, ts: number): number {
    switch (reader.state) {
      case Read.Start:
        return this.start(reader, buf, off);
      case Read.Header:
        return this.readHeader(reader, buf, off, ts);
      case Read.Payload:
        if (buf.length - off < reader.left) return this.keep(reader, buf, off);
        this.frame(reader, buf.subarray(off, off + reader.left), ts);
        reader.state = Read.Header;
        return off + reader.left;
      case Read.DataPadLength:
        reader.padLeft = buf[off]!;
        reader.left--;
        if (reader.half !== undefined) reader.half.size++;
        if (reader.padLeft > reader.left) {
          this.ctx.error('bad_padding');
          this.lose(reader);
          return buf.length;
        }
        reader.state = Read.DataBody;
        if (reader.left === reader.padLeft) this.dataBodyDone(reader, ts);
        return off + 1;
      case Read.DataBody: {
        const end = off + Math.min(reader.left - reader.padLeft, buf.length - off);
        const half = reader.half;
        if (half !== undefined) {
          half.size += end - off;
          half.bodySize += end - off;
          half.grpc.feed(buf, off, end);
        }
        reader.left -= end - off;
        if (reader.left === reader.padLeft) this.dataBodyDone(reader, ts);
        return end;
      }
      case Read.DataPadding:
      case Read.Skip: {
        const end = off + Math.min(reader.left, buf.length - off);
        reader.left -= end - off;
        if (reader.state === Read.DataPadding && reader.half !== undefined) reader.half.size += end - off;
        if (reader.left === 0) this.frameDone(reader, ts);
        return end;
      }
      case Read.Resync:
        return this.resync(reader, buf, off);
    }
  }

  private keep(reader: FrameReader, buf: Buffer, off: number): number {
    reader.carry = Buffer.from(buf.subarray(off));
    return buf.length;
  }

  /** The client preface opens a connection seen from its start; anything else is a join. */
  private start(reader: FrameReader, buf: Buffer, off: number): number {
    if (reader.dir === CLIENT_TO_SERVER) {
      const n = Math.min(buf.length - off, CLIENT_PREFACE.length);
      if (buf.compare(CLIENT_PREFACE, 0, n, off, off + n) === 0) {
        if (n < CLIENT_PREFACE.length) return this.keep(reader, buf, off);
        reader.state = Read.Header;
        this.connectionStarts();
        return off + n;
      }
    } else if (buf.length - off < FRAME_HEADER_LENGTH) {
      return this.keep(reader, buf, off);
    } else if (this.startSeen && buf[off + 3] === FrameType.Settings && isPlausibleFrameHeader(buf, off, LARGEST_FRAME)) {
      // The server preface: what follows is read frame by frame, whatever the frame sizes.
      reader.state = Read.Header;
      return off;
    }
    reader.state = Read.Resync;
    return off;
  }

  /**
   * Finds the next frame boundary: a run of plausible frame headers to the end of the bytes
   * (one is enough at the first byte after a gap or join, where senders usually start a frame;
   * two elsewhere).
   */
  private resync(reader: FrameReader, buf: Buffer, off: number): number {
    for (let at = off; at + FRAME_HEADER_LENGTH <= buf.length; at++) {
      const frames = plausibleFrameChain(buf, at, reader.maxFrameSize);
      if (frames >= 2 || (frames === 1 && at === off && reader.atDataStart)) {
        reader.state = Read.Header;
        return at;
      }
    }
    // Too few bytes at a data start to tell yet: hold them (bounded) until more arrive.
    const held = buf.length - off;
    if (reader.atDataStart && held <= this.options.maxHeaderBytes && (held < FRAME_HEADER_LENGTH || plausibleFrameChain(buf, off, reader.maxFrameSize) > 0)) {
      return this.keep(reader, buf, off);
    }
    return buf.length;
  }

  private readHeader(reader: FrameReader, buf: Buffer, off: number, ts: number): number {
    if (buf.length - off < FRAME_HEADER_LENGTH) {
      if (off > 0) reader.carryTs = ts;
      return this.keep(reader, buf, off);
    }
    const h = reader.header;
    readFrameHeader(buf, off, h);
    // The frame began in the packet its first header byte came in.
    reader.frameStart = off === 0 ? reader.carryTs : ts;
    reader.carryTs = ts;
    reader.left = h.length;
    reader.half = undefined;
    if (h.type === FrameType.Data) {
      // DATA is counted as its bytes arrive: a capture may end inside a frame.
      reader.half = this.halfFor(reader, h.streamId);
      reader.half?.frame(reader.frameStart, FRAME_HEADER_LENGTH);
      reader.padLeft = 0;
      reader.state = (h.flags & FLAG_PADDED) !== 0 && h.length > 0 ? Read.DataPadLength : Read.DataBody;
      if (h.length === 0) this.dataBodyDone(reader, ts);
    } else if (this.gathered(h.type)) {
      if (h.length > this.options.maxHeaderBytes) {
        this.ctx.error('frame_too_large');
        if (h.type !== FrameType.RstStream && h.type !== FrameType.Settings && h.type !== FrameType.Goaway) this.lose(reader);
        reader.state = Read.Skip;
      } else {
        reader.state = Read.Payload;
      }
    } else {
      reader.state = Read.Skip;
    }
    if (reader.state === Read.Skip && h.length === 0) this.frameDone(reader, ts);
    return off + FRAME_HEADER_LENGTH;
  }

  private gathered(type: number): boolean {
    return (
      type === FrameType.Headers || type === FrameType.Continuation || type === FrameType.PushPromise ||
      type === FrameType.RstStream || type === FrameType.Settings || type === FrameType.Goaway
    );
  }

  /** The request half for client frames, the response half for server frames. */
  private halfFor(reader: FrameReader, streamId: number): StreamHalf | undefined {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return undefined;
    return reader.dir === CLIENT_TO_SERVER ? stream.request : stream.response;
  }

  private dataBodyDone(reader: FrameReader, ts: number): void {
    if (reader.padLeft > 0) reader.state = Read.DataPadding;
    else this.frameDone(reader, ts);
  }

  /** The current frame's last byte came at `ts`. */
  private frameDone(reader: FrameReader, ts: number): void {
    reader.state = Read.Header;
    const half = reader.half;
    if (half === undefined) return;
    half.end = ts;
    if ((reader.header.flags & FLAG_END_STREAM) !== 0 && reader.header.type === FrameType.Data) this.halfEnded(reader, half);
  }

  /** A whole non-DATA frame. */
  private frame(reader: FrameReader, payload: Buffer, ts: number): void {
    const h = reader.header;
    switch (h.type) {
      case FrameType.Headers:
        this.headers(reader, payload, ts);
        break;
      case FrameType.PushPromise:
        this.pushPromise(reader, payload, ts);
        break;
      case FrameType.Continuation:
        this.continuation(reader, payload, ts);
        break;
      case FrameType.RstStream:
        this.rstStream(reader, payload, ts);
        break;
      case FrameType.Settings:
        if ((h.flags & FLAG_ACK) === 0) this.settings(reader, payload);
        break;
      case FrameType.Goaway:
        if (reader.dir === SERVER_TO_CLIENT && payload.length >= 8) this.goaway(payload.readUInt32BE(0) & 0x7fffffff);
        break;
    }
  }

  private headers(reader: FrameReader, payload: Buffer, ts: number): void {
    const h = reader.header;
    let from = 0;
    let padding = 0;
    if ((h.flags & FLAG_PADDED) !== 0) {
      padding = payload[0] ?? 0;
      from = 1;
    }
    if ((h.flags & FLAG_PRIORITY) !== 0) from += 5;
    if (from + padding > payload.length || h.streamId === 0 || reader.blockParts.length > 0) {
      this.ctx.error('bad_headers_frame');
      this.lose(reader);
      return;
    }
    let stream = this.streams.get(h.streamId);
    if (stream === undefined && reader.dir === CLIENT_TO_SERVER) stream = this.open(h.streamId);
    const half = stream === undefined ? undefined : reader.dir === CLIENT_TO_SERVER ? stream.request : stream.response;
    half?.frame(reader.frameStart, FRAME_HEADER_LENGTH + h.length);
    if (half !== undefined) half.end = ts;
    this.beginBlock(reader, h.streamId, half, (h.flags & FLAG_END_STREAM) !== 0, payload.subarray(from, payload.length - padding));
  }

  /** A pushed response's request arrives from the server inside PUSH_PROMISE (RFC 9113 §8.4). */
  private pushPromise(reader: FrameReader, payload: Buffer, ts: number): void {
    const h = reader.header;
    let from = 0;
    let padding = 0;
    if ((h.flags & FLAG_PADDED) !== 0) {
      padding = payload[0] ?? 0;
      from = 1;
    }
    if (from + 4 + padding > payload.length || reader.blockParts.length > 0) {
      this.ctx.error('bad_push_promise');
      this.lose(reader);
      return;
    }
    const promised = payload.readUInt32BE(from) & 0x7fffffff;
    const stream = this.streams.has(promised) ? undefined : this.open(promised);
    const half = stream?.request;
    if (half !== undefined) {
      half.frame(reader.frameStart, FRAME_HEADER_LENGTH + h.length);
      half.end = ts;
      half.ended = true;
    }
    this.beginBlock(reader, promised, half, false, payload.subarray(from + 4, payload.length - padding));
  }

  private continuation(reader: FrameReader, payload: Buffer, ts: number): void {
    const h = reader.header;
    if (reader.blockParts.length === 0 || h.streamId !== reader.blockStream) {
      this.ctx.error('unexpected_continuation');
      this.lose(reader);
      return;
    }
    const half = reader.blockHalf;
    half?.frame(reader.frameStart, FRAME_HEADER_LENGTH + h.length);
    if (half !== undefined) half.end = ts;
    reader.blockParts.push(Buffer.from(payload));
    reader.blockBytes += payload.length;
    if (reader.blockBytes > this.options.maxHeaderBytes) {
      this.ctx.error('header_too_large');
      this.lose(reader);
      return;
    }
    if ((h.flags & FLAG_END_HEADERS) !== 0) this.decodeBlock(reader, Buffer.concat(reader.blockParts));
  }

  private beginBlock(reader: FrameReader, streamId: number, half: StreamHalf | undefined, endStream: boolean, fragment: Buffer): void {
    reader.blockStream = streamId;
    reader.blockHalf = half;
    reader.blockEndStream = endStream;
    if ((reader.header.flags & FLAG_END_HEADERS) !== 0) {
      this.decodeBlock(reader, fragment);
      return;
    }
    reader.blockParts = [Buffer.from(fragment)];
    reader.blockBytes = fragment.length;
  }

  private dropBlock(reader: FrameReader): void {
    reader.blockParts = [];
    reader.blockBytes = 0;
    reader.blockHalf = undefined;
  }

  private decodeBlock(reader: FrameReader, block: Buffer): void {
    const half = reader.blockHalf;
    const endStream = reader.blockEndStream;
    this.dropBlock(reader);
    const target = half ?? this.scratch;
    this.collecting = target;
    this.collectingTrailers = target.headersDone;
    const result = reader.hpack.decode(block, this.sink);
    this.collecting = undefined;
    if (half === undefined) {
      this.scratch = new StreamHalf();
      if (reader.dir === SERVER_TO_CLIENT) this.unpaired.inc();
      return;
    }
    if (result !== 'ok') {
      half.incomplete = true;
      if (result === 'incomplete') this.undecodable.inc();
      else this.ctx.error('hpack_malformed');
    }
    if (!half.headersDone) {
      if (half.status !== undefined && half.status < 200) {
        // An informational response (100, 103): the final one is still to come.
        half.status = undefined;
        half.headers = undefined;
      } else {
        half.headersDone = true;
      }
    }
    if (endStream) this.halfEnded(reader, half);
  }

  private field(name: string, value: string): void {
    const half = this.collecting!;
    if (name.charCodeAt(0) === 0x3a /* : */) {
      switch (name) {
        case ':method':
          half.method = value;
          break;
        case ':path':
          half.path = value;
          break;
        case ':authority':
          half.authority = value;
          break;
        case ':scheme':
          half.scheme = value;
          break;
        case ':status':
          half.status = /^\d{3}$/.test(value) ? Number(value) : undefined;
          break;
      }
      return;
    }
    if (this.collectingTrailers) addField((half.trailers ??= {}), name, value);
    else addField((half.headers ??= {}), name, value);
  }

  private rstStream(reader: FrameReader, payload: Buffer, ts: number): void {
    const stream = this.streams.get(reader.header.streamId);
    if (stream === undefined || payload.length !== 4) return;
    const half = reader.dir === CLIENT_TO_SERVER ? stream.request : stream.response;
    half.frame(reader.frameStart, FRAME_HEADER_LENGTH + 4);
    half.end = ts;
    stream.reset = errorCodeName(payload.readUInt32BE(0));
    this.finish(stream);
  }

  private settings(reader: FrameReader, payload: Buffer): void {
    // Settings one side sends bound what the other side sends it.
    const peer = this.readers[reader.dir === CLIENT_TO_SERVER ? SERVER_TO_CLIENT : CLIENT_TO_SERVER];
    for (let i = 0; i + 6 <= payload.length; i += 6) {
      const id = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (id === SETTINGS_HEADER_TABLE_SIZE) peer.hpack.setSettingsLimit(value);
      else if (id === SETTINGS_MAX_FRAME_SIZE && value <= LARGEST_FRAME) {
        // Frames in flight may still use the older, larger limit.
        peer.maxFrameSize = peer.maxFrameSizeKnown ? Math.max(peer.maxFrameSize, value) : value;
        peer.maxFrameSizeKnown = true;
      }
    }
  }

  /** The server will not process client streams above `lastStreamId`: they get no answer. */
  private goaway(lastStreamId: number): void {
    for (const stream of [...this.streams.values()]) {
      if (stream.id > lastStreamId && stream.id % 2 === 1 && !stream.response.headersDone) this.finish(stream);
    }
  }

  private halfEnded(reader: FrameReader, half: StreamHalf): void {
    half.ended = true;
    if (reader.dir === SERVER_TO_CLIENT) {
      const stream = this.streams.get(reader.header.streamId);
      if (stream !== undefined && stream.response === half) this.finish(stream);
    }
  }

  private open(id: number): H2Stream {
    if (this.streams.size >= this.options.maxStreams) {
      const oldest = this.streams.values().next().value!;
      this.evicted.inc();
      this.finish(oldest);
    }
    const stream = new H2Stream(id);
    this.streams.set(id, stream);
    return stream;
  }

  /** Reports the stream with what it has and forgets it. */
  private finish(stream: H2Stream): void {
    this.streams.delete(stream.id);
    if (!stream.request.headersDone) {
      this.unpaired.inc();
      return;
    }
    const grpc = isGrpcStream(stream);
    const request = requestMessage(stream, this.ctx.conv, grpc, this.options);
    const answered = stream.response.headersDone || stream.reset !== undefined;
    const msg: L7Message = answered ? responseMessage(stream, request, grpc, this.options) : request;
    this.ctx.emit(msg);
  }
}
