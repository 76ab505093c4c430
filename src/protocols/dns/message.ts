import { u16, u32 } from '../../frames/bytes.js';
import { formatIPv4, formatIPv6 } from '../../frames/address.js';
import {
  TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_DNAME, TYPE_MX, TYPE_NS, TYPE_OPT, TYPE_PTR, TYPE_SOA, TYPE_SPF,
  TYPE_SRV, TYPE_TXT, TYPE_URI, typeName,
} from './codes.js';
import { quotedText, readName, type NameCursor } from './names.js';

export const HEADER_BYTES = 12;
const EMPTY = Buffer.alloc(0);
/** Type, class, TTL and RDLENGTH after a record's owner name. */
const RECORD_FIXED_BYTES = 10;

/** A resource record as the record shows it: `data` in presentation form for the types read here. */
export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  data?: string;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

/** The OPT pseudo-record (RFC 6891) of a message that carries one. */
export interface Edns {
  udpPayloadSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface DnsMessage {
  id: number;
  isResponse: boolean;
  opcode: number;
  /** With the OPT record's upper 8 bits when there is one (extended RCODE). */
  rcode: number;
  truncated: boolean;
  questionCount: number;
  answerCount: number;
  authorityCount: number;
  additionalCount: number;
  /** The first question (a query carries one in practice). */
  question: DnsQuestion | undefined;
  /** The first `maxRecords` answer and authority records. */
  answers: DnsRecord[];
  authorities: DnsRecord[];
  edns: Edns | undefined;
  /** Why the records after the question could not all be read (the message is kept up to there). */
  recordError: string | undefined;
  /** A name in it ran past 255 bytes: its text holds the labels that fit. */
  nameTruncated: boolean;
}

/**
 * Reads DNS messages (RFC 1035 §4.1). A parser keeps nothing from one message to the next,
 * so one serves any number of decoders.
 */
export class DnsParser {
  /** Why the last `parse` returned undefined. */
  error = '';
  private readonly cursor: NameCursor = { next: 0, error: undefined, truncated: false };
  private msg: Buffer = EMPTY;
  private base = 0;
  private end = 0;
  private pos = 0;
  /** A name of the message being parsed ran past 255 bytes. */
  private longName = false;

  /**
   * Parses `buf[from, to)`. Undefined (with `error`) when the header or a question is
   * malformed; a bad record after them is `recordError` on a message kept up to there.
   * Names and data are read only for the first `maxRecords` records of each section; the
   * others are checked for structure and skipped.
   */
  parse(buf: Buffer, from: number, to: number, maxRecords: number): DnsMessage | undefined {
    if (to - from < HEADER_BYTES) return this.fail('short_message');
    this.msg = buf;
    this.base = from;
    this.end = to;
    this.pos = from + HEADER_BYTES;
    const flags = u16(buf, from + 2);
    const message: DnsMessage = {
      id: u16(buf, from),
      isResponse: (flags & 0x8000) !== 0,
      opcode: (flags >>> 11) & 0x0f,
      rcode: flags & 0x0f,
      truncated: (flags & 0x0200) !== 0,
      questionCount: u16(buf, from + 4),
      answerCount: u16(buf, from + 6),
      authorityCount: u16(buf, from + 8),
      additionalCount: u16(buf, from + 10),
      question: undefined,
      answers: [],
      authorities: [],
      edns: undefined,
      recordError: undefined,
      nameTruncated: false,
    };
    this.longName = false;
    for (let i = 0; i < message.questionCount; i++) {
      const name = this.name(i === 0);
      if (name === undefined) return this.fail(this.cursor.error!);
      if (this.pos + 4 > this.end) return this.fail('truncated');
      if (i === 0) message.question = { name, type: u16(buf, this.pos), class: u16(buf, this.pos + 2) };
      this.pos += 4;
    }
    message.recordError =
      this.section(message.answerCount, message.answers, maxRecords) ??
      this.section(message.authorityCount, message.authorities, maxRecords) ??
      this.additional(message);
    message.nameTruncated = this.longName;
    this.msg = EMPTY;
    return message;
  }

  /** Where the last successful `parse` stopped reading: the message's end when nothing trails it. */
  get parsedEnd(): number {
    return this.pos;
  }

  private fail(reason: string): undefined {
    // Parsers outlive messages: let go of the source's read buffer.
    this.msg = EMPTY;
    this.error = reason;
    return undefined;
  }

  private name(wantText: boolean): string | undefined {
    const name = this.readName(this.pos, wantText);
    if (name !== undefined) this.pos = this.cursor.next;
    return name;
  }

  /** Any name of the message at `off` (pointers may lead anywhere in it), noting a cut one. */
  private readName(off: number, wantText: boolean): string | undefined {
    const name = readName(this.msg, this.base, this.end, off, wantText, this.cursor);
    if (name !== undefined && this.cursor.truncated) this.longName = true;
    return name;
  }

  /** Reads `count` records, keeping the first `keep` in `into`; returns why it stopped early. */
  private section(count: number, into: DnsRecord[], keep: number): string | undefined {
    for (let i = 0; i < count; i++) {
      const wanted = i < keep;
      const name = this.name(wanted);
      if (name === undefined) return this.cursor.error;
      if (this.pos + RECORD_FIXED_BYTES > this.end) return 'truncated';
      const type = u16(this.msg, this.pos);
      const ttl = u32(this.msg, this.pos + 4);
      const dataLength = u16(this.msg, this.pos + 8);
      const dataStart = this.pos + RECORD_FIXED_BYTES;
      const dataEnd = dataStart + dataLength;
      if (dataEnd > this.end) return 'truncated';
      if (wanted) {
        const record: DnsRecord = { name, type: typeName(type), ttl };
        const data = this.recordData(type, dataStart, dataEnd);
        if (data === null) return 'bad_rdata';
        if (data !== undefined) record.data = data;
        into.push(record);
      }
      this.pos = dataEnd;
    }
    return undefined;
  }

  /** The additional section: only its OPT record is read (EDNS version, payload size, extended RCODE). */
  private additional(message: DnsMessage): string | undefined {
    for (let i = 0; i < message.additionalCount; i++) {
      const ownerStart = this.pos;
      if (this.name(false) === undefined) return this.cursor.error;
      if (this.pos + RECORD_FIXED_BYTES > this.end) return 'truncated';
      const dataEnd = this.pos + RECORD_FIXED_BYTES + u16(this.msg, this.pos + 8);
      if (dataEnd > this.end) return 'truncated';
      if (u16(this.msg, this.pos) === TYPE_OPT && this.msg[ownerStart] === 0 && message.edns === undefined) {
        const extended = this.msg[this.pos + 4]!;
        message.rcode |= extended << 4;
        message.edns = {
          udpPayloadSize: u16(this.msg, this.pos + 2),
          version: this.msg[this.pos + 5]!,
          dnssecOk: (this.msg[this.pos + 6]! & 0x80) !== 0,
        };
      }
      this.pos = dataEnd;
    }
    return undefined;
  }

  /**
   * RDATA in presentation form for the common types; undefined for the others, null when the
   * data does not fit its type.
   */
  private recordData(type: number, from: number, to: number): string | undefined | null {
    const msg = this.msg;
    const length = to - from;
    switch (type) {
      case TYPE_A:
        return length === 4 ? formatIPv4(msg, from) : null;
      case TYPE_AAAA:
        return length === 16 ? formatIPv6(msg, from) : null;
      case TYPE_NS:
      case TYPE_CNAME:
      case TYPE_PTR:
      case TYPE_DNAME:
        return this.dataName(from, to);
      case TYPE_MX: {
        if (length < 3) return null;
        const exchange = this.dataName(from + 2, to);
        return exchange === null ? null : `${u16(msg, from)} ${exchange}`;
      }
      case TYPE_SRV: {
        if (length < 7) return null;
        const target = this.dataName(from + 6, to);
        return target === null ? null : `${u16(msg, from)} ${u16(msg, from + 2)} ${u16(msg, from + 4)} ${target}`;
      }
      case TYPE_SOA:
        return this.soa(from, to);
      case TYPE_TXT:
      case TYPE_SPF:
        return this.characterStrings(from, to);
      case TYPE_URI:
        return length < 4 ? null : `${u16(msg, from)} ${u16(msg, from + 2)} ${quotedText(msg, from + 4, to)}`;
      default:
        return undefined;
    }
  }

  /** A name that starts at `from` and must end inside the RDATA `[from, to)`. */
  private dataName(from: number, to: number): string | null {
    const name = this.readName(from, true);
    return name === undefined || this.cursor.next > to ? null : name;
  }

  private soa(from: number, to: number): string | null {
    const mname = this.dataName(from, to);
    if (mname === null) return null;
    const rname = this.dataName(this.cursor.next, to);
    const at = this.cursor.next;
    if (rname === null || at + 20 !== to) return null;
    const msg = this.msg;
    return `${mname} ${rname} ${u32(msg, at)} ${u32(msg, at + 4)} ${u32(msg, at + 8)} ${u32(msg, at + 12)} ${u32(msg, at + 16)}`;
  }

  /** One or more length-prefixed strings filling the RDATA, each quoted. */
  private characterStrings(from: number, to: number): string | null {
    let out = '';
    for (let p = from; p < to; ) {
      const end = p + 1 + this.msg[p]!;
      if (end > to) return null;
      out += (out.length === 0 ? '' : ' ') + quotedText(this.msg, p + 1, end);
      p = end;
    }
    return out;
  }
}
