/**
 * HPACK header block decoding (RFC 7541), one decoder per direction of a connection.
 *
 * Written here from the RFC: npm has HPACK only inside HTTP/2 implementations (node's http2
 * wraps nghttp2 and decodes sockets, not captured bytes), no maintained decoder of raw blocks.
 *
 * A connection joined mid-stream (or after lost bytes) lacks the dynamic table entries added
 * before: entries added since are still exact, because the table indexes newest first, so only
 * references past what this side knows are unknown. Those fields are left out and the block is
 * reported `incomplete`, never filled with a guess.
 */
import { decodeHuffman } from './huffman.js';
import { STATIC_TABLE } from './static-table.js';

/** RFC 7541 §4.1: an entry's size is its name and value lengths plus 32. */
const ENTRY_OVERHEAD = 32;
/** The table size every decoder starts with (SETTINGS_HEADER_TABLE_SIZE's default). */
export const DEFAULT_TABLE_SIZE = 4096;
/** Bound on the table whatever a peer announces, so one connection cannot hold much memory. */
export const MAX_TABLE_SIZE = 1 << 20;
const MAX_INTEGER = 1 << 30;

export type BlockResult = 'ok' | 'incomplete' | 'malformed';

/** `name` undefined: the name came from an entry this side never saw. */
interface Entry {
  name: string | undefined;
  value: string;
  size: number;
}

export type FieldSink = (name: string, value: string) => void;

export class HpackDecoder {
  /** Newest last; dynamic index 1 is the last element. */
  private entries: Entry[] = [];
  private size = 0;
  private maxSize = DEFAULT_TABLE_SIZE;
  /** The largest table the peer may use (the other side's SETTINGS_HEADER_TABLE_SIZE), once seen. */
  private settingsLimit: number | undefined;
  private off = 0;
  private integer = 0;
  private text: string | undefined;

  /** The decoding side announced SETTINGS_HEADER_TABLE_SIZE. */
  setSettingsLimit(value: number): void {
    this.settingsLimit = Math.max(this.settingsLimit ?? 0, value);
  }

  /** Bytes were lost in this direction: every entry known so far may have been shifted. */
  forget(): void {
    this.entries = [];
    this.size = 0;
  }

  /**
   * Decodes one complete header block, calling `sink` for each field it can name exactly.
   * 'incomplete': some fields referenced entries added before this side joined. 'malformed':
   * the bytes break the format; the table is then unknown too and is forgotten.
   */
  decode(block: Buffer, sink: FieldSink): BlockResult {
    this.off = 0;
    let complete = true;
    while (this.off < block.length) {
      const first = block[this.off]!;
      let ok: boolean | undefined;
      if (first & 0x80) ok = this.indexed(block, sink);
      else if ((first & 0xc0) === 0x40) ok = this.literal(block, 6, true, sink);
      else if ((first & 0xe0) === 0x20) ok = this.sizeUpdate(block);
      else ok = this.literal(block, 4, false, sink);
      if (ok === undefined) {
        this.forget();
        return 'malformed';
      }
      if (!ok) complete = false;
    }
    return complete ? 'ok' : 'incomplete';
  }

  /** §6.1. */
  private indexed(block: Buffer, sink: FieldSink): boolean | undefined {
    if (!this.readInteger(block, 7) || this.integer === 0) return undefined;
    const index = this.integer;
    if (index <= STATIC_TABLE.length) {
      const [name, value] = STATIC_TABLE[index - 1]!;
      sink(name, value);
      return true;
    }
    const entry = this.dynamic(index);
    if (entry === undefined || entry.name === undefined) return false;
    sink(entry.name, entry.value);
    return true;
  }

  /** §6.2: with incremental indexing (6-bit prefix), without or never indexed (4-bit prefix). */
  private literal(block: Buffer, prefix: number, addToTable: boolean, sink: FieldSink): boolean | undefined {
    if (!this.readInteger(block, prefix)) return undefined;
    const nameIndex = this.integer;
    let name: string | undefined;
    let nameLength: number;
    if (nameIndex === 0) {
      if (!this.readString(block)) return undefined;
      name = this.text!;
      nameLength = name.length;
    } else if (nameIndex <= STATIC_TABLE.length) {
      name = STATIC_TABLE[nameIndex - 1]![0];
      nameLength = name.length;
    } else {
      name = this.dynamic(nameIndex)?.name;
      // An unknown name's length is unknown: counting it as 0 can only keep entries the peer
      // already evicted (never referenced), not drop ones it still has.
      nameLength = name?.length ?? 0;
    }
    if (!this.readString(block)) return undefined;
    const value = this.text!;
    if (addToTable) this.add({ name, value, size: nameLength + value.length + ENTRY_OVERHEAD });
    if (name === undefined) return false;
    sink(name, value);
    return true;
  }

  /** §6.3. */
  private sizeUpdate(block: Buffer): boolean | undefined {
    if (!this.readInteger(block, 5)) return undefined;
    const size = this.integer;
    if (size > MAX_TABLE_SIZE || (this.settingsLimit !== undefined && size > Math.max(this.settingsLimit, DEFAULT_TABLE_SIZE))) {
      return undefined;
    }
    this.maxSize = size;
    this.evict(0);
    return true;
  }

  private dynamic(index: number): Entry | undefined {
    const position = this.entries.length - (index - STATIC_TABLE.length);
    return position >= 0 ? this.entries[position] : undefined;
  }

  private add(entry: Entry): void {
    if (entry.size > this.maxSize) {
      // §4.4: an entry larger than the table empties it and is not added.
      this.forget();
      return;
    }
    this.evict(entry.size);
    this.entries.push(entry);
    this.size += entry.size;
  }

  private evict(room: number): void {
    let drop = 0;
    while (this.size + room > this.maxSize && drop < this.entries.length) this.size -= this.entries[drop++]!.size;
    if (drop > 0) this.entries.splice(0, drop);
  }

  /** §5.1: an N-bit prefix integer at `off` into `integer`; false when truncated or too large. */
  private readInteger(block: Buffer, prefixBits: number): boolean {
    const mask = (1 << prefixBits) - 1;
    let value = block[this.off++]! & mask;
    if (value === mask) {
      let shift = 0;
      for (;;) {
        if (this.off >= block.length || shift > 28) return false;
        const byte = block[this.off++]!;
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if ((byte & 0x80) === 0) break;
      }
      if (value > MAX_INTEGER) return false;
    }
    this.integer = value;
    return true;
  }

  /** §5.2: a length-prefixed string, Huffman-coded or raw, into `text`. */
  private readString(block: Buffer): boolean {
    if (this.off >= block.length) return false;
    const huffman = (block[this.off]! & 0x80) !== 0;
    if (!this.readInteger(block, 7)) return false;
    const end = this.off + this.integer;
    if (end > block.length) return false;
    const text = huffman ? decodeHuffman(block, this.off, end) : block.toString('latin1', this.off, end);
    if (text === undefined) return false;
    this.text = text;
    this.off = end;
    return true;
  }
}
