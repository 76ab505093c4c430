import { u16 } from '../../frames/bytes.js';
import { newMessage } from '../../model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../model/stream.js';
import type { DecoderContext, StreamDecoder } from '../types.js';
import { isErrorResponseCode, requestAttributes, responseAttributes, responseDetails } from './attributes.js';
import { detectDns, TCP_LENGTH_BYTES } from './detect.js';
import { DnsParser, HEADER_BYTES } from './message.js';
import { dnsOptions } from './options.js';
import { isMulticastAddress, variantOf } from './variants.js';

/**
 * One direction of DNS over TCP: length-prefixed messages, several per segment or one over
 * several. Only an unfinished message is kept across segments (copied; at most 64 KiB + 2).
 */
class TcpFramer {
  private carry: Buffer | undefined;
  /** Packet time of the first byte in `carry`. */
  private carryTs = 0;
  /** After a gap: wait for a segment that starts with a plausible message. */
  private resyncing = false;

  constructor(
    private readonly decoder: DnsDecoder,
    private readonly dir: Direction,
  ) {}

  feed(payload: Buffer, ts: number): void {
    let buf = payload;
    let firstStart = ts;
    if (this.carry !== undefined) {
      buf = Buffer.concat([this.carry, payload]);
      firstStart = this.carryTs;
      this.carry = undefined;
    } else if (this.resyncing) {
      if (detectDns(payload, this.dir, 'tcp').verdict === 'no') return;
      this.resyncing = false;
    }
    let off = 0;
    while (buf.length - off >= TCP_LENGTH_BYTES) {
      const length = u16(buf, off);
      if (length < HEADER_BYTES) {
        this.decoder.ctx.error('bad_length');
        this.resyncing = true;
        return;
      }
      const end = off + TCP_LENGTH_BYTES + length;
      if (end > buf.length) break;
      this.decoder.message(this.dir, buf, off + TCP_LENGTH_BYTES, end, end - off, off === 0 ? firstStart : ts, ts);
      off = end;
    }
    if (off < buf.length) {
      this.carry = Buffer.from(buf.subarray(off));
      this.carryTs = off === 0 ? firstStart : ts;
    }
  }

  gap(): void {
    if (this.carry !== undefined) this.decoder.ctx.error('gap_in_message');
    this.carry = undefined;
    this.resyncing = true;
  }

  end(): void {
    if (this.carry !== undefined) this.decoder.ctx.error('truncated');
    this.carry = undefined;
  }
}

/** Shared by every decoder: a parse keeps nothing once it returns, and over UDP a decoder often reads one message. */
const parser = new DnsParser();

/**
 * DNS over UDP (a message per datagram) and TCP (length-prefixed). Queries and responses are
 * told apart by the QR bit and paired by the matcher on their id within the conversation.
 */
export class DnsDecoder implements StreamDecoder {
  private readonly maxRecords: number;
  private readonly framers: [TcpFramer, TcpFramer] | undefined;
  private rolesSettled: boolean;

  constructor(readonly ctx: DecoderContext) {
    this.maxRecords = dnsOptions(ctx.options).maxRecords;
    this.framers = ctx.conv.transport === 'tcp' ? [new TcpFramer(this, CLIENT_TO_SERVER), new TcpFramer(this, SERVER_TO_CLIENT)] : undefined;
    this.rolesSettled = !ctx.conv.rolesGuessed;
  }

  data(dir: Direction, payload: Buffer, ts: number): void {
    if (this.framers === undefined) this.message(dir, payload, 0, payload.length, payload.length, ts, ts);
    else this.framers[dir].feed(payload, ts);
  }

  /** UDP: the datagram was cut by snaplen; what it held was already read. TCP: resync. */
  gap(dir: Direction): void {
    this.framers?.[dir].gap();
  }

  end(): void {
    if (this.framers === undefined) return;
    this.framers[0].end();
    this.framers[1].end();
  }

  /** Decodes the message in `buf[from, to)`, `size` bytes on the wire (with a TCP length prefix). */
  message(dir: Direction, buf: Buffer, from: number, to: number, size: number, start: number, end: number): void {
    const ctx = this.ctx;
    const parsed = parser.parse(buf, from, to, this.maxRecords);
    if (parsed === undefined) {
      ctx.error(parser.error);
      return;
    }
    // A reply flagged TC may legitimately stop short of the records its header counts.
    if (parsed.recordError !== undefined && !(parsed.truncated && parsed.recordError === 'truncated')) ctx.error(parsed.recordError);
    if (!this.rolesSettled) {
      // The first message tells who asks: a response from the guessed client swaps the roles.
      this.rolesSettled = true;
      if (parsed.isResponse === (dir === CLIENT_TO_SERVER)) ctx.swapRoles();
    }
    // Counted, and flagged on the message, which is kept.
    if (parsed.nameTruncated) ctx.error('name_too_long');
    const variant = variantOf(ctx.conv);
    const attributes = parsed.isResponse ? responseAttributes(parsed, variant) : requestAttributes(parsed, variant);
    const msg = newMessage('dns', ctx.conv, parsed.isResponse ? SERVER_TO_CLIENT : CLIENT_TO_SERVER, parsed.isResponse ? 'response' : 'request', start, end, size, attributes);
    msg.id = parsed.id;
    if (parsed.isResponse) {
      msg.details = responseDetails(parsed);
      if (isErrorResponseCode(parsed.rcode)) msg.error = true;
    } else {
      msg.details = { id: parsed.id };
      // Answers to a group come from any number of responders, on conversations of their own
      // (mDNS: to the group; LLMNR: back to the asker's port): none comes back on this one.
      if (isMulticastAddress(ctx.conv.server.address)) msg.noReply = true;
    }
    ctx.emit(msg);
  }
}
