/**
 * A protobuf wire-format writer into one growing Buffer per request (`take()` hands it over
 * and starts the next). Lengths are written first when the caller knows them
 * (`utf8Length`), else back-patched: `begin(n)` reserves n bytes for a length that
 * `end(mark, n)` fills in, moving the body when the length needs more or fewer bytes, which a
 * good guess of n makes rare. The counterpart of src/telemetry/protobuf-reader.ts.
 */
const INITIAL_BYTES = 1 << 16;
/** Shorter strings are copied by a JavaScript loop, longer ones by Buffer's native encoder. */
const SHORT_STRING = 48;
const TWO_POW_32 = 0x1_0000_0000;

/** The number of bytes `n` takes as a varint (n a non-negative integer). */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  let size = 3;
  for (n = Math.floor(n / 0x20_0000); n > 0; n = Math.floor(n / 0x80)) size++;
  return size;
}

/** The bytes an int64 varint takes: ten for a negative value (two's complement). */
export function int64Size(n: number): number {
  return n >= 0 ? varintSize(n) : 10;
}

/** The UTF-8 length of a string, counted in JavaScript for short ones. */
export function utf8Length(s: string): number {
  const length = s.length;
  if (length > SHORT_STRING) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return length;
}

/** Hex digit values by character code (upper and lower case); -1 elsewhere. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

export class ProtobufWriter {
  buf = Buffer.allocUnsafe(INITIAL_BYTES);
  pos = 0;

  /** Room for `bytes` more bytes. */
  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /**
   * The bytes written since the last `take`, handed over without a copy; the writer starts
   * over in a new buffer as large as the last, so requests of a steady size never grow one.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    return out;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A non-negative integer (exact for any integral double, 2^53 and beyond included). */
  varint(n: number): void {
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, n);
  }

  /** An int64 varint: negative values take ten bytes, as two's complement. */
  int64(n: number): void {
    if (n >= 0) return this.varint(n);
    let value = BigInt.asUintN(64, BigInt(n));
    this.ensure(10);
    while (value >= 0x80n) {
      this.buf[this.pos++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    this.buf[this.pos++] = Number(value);
  }

  fixed32(n: number): void {
    this.ensure(4);
    this.pos = putUint32(this.buf, this.pos, n);
  }

  /** A fixed64 given as its low and high 32 bits. */
  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.pos = putUint32(this.buf, putUint32(this.buf, this.pos, low), high);
  }

  /** Nanoseconds as fixed64, from microseconds (exact up to 2^53 µs, far past any packet time). */
  fixed64NanosFromMicros(us: number): void {
    const usHigh = Math.floor(us / TWO_POW_32);
    const lowNanos = (us - usHigh * TWO_POW_32) * 1000;
    const carry = Math.floor(lowNanos / TWO_POW_32);
    this.fixed64(lowNanos - carry * TWO_POW_32, usHigh * 1000 + carry);
  }

  double(n: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(n, this.pos);
    this.pos += 8;
  }

  /** Bytes already encoded (a cached field), copied in as they are. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A length-delimited bytes field: `length` bytes of `source` from `start` (ids: a copy loop beats a native call). */
  bytes(source: Uint8Array, start: number, length: number): void {
    this.varint(length);
    this.ensure(length);
    const buf = this.buf;
    const pos = this.pos;
    for (let i = 0; i < length; i++) buf[pos + i] = source[start + i]!;
    this.pos = pos + length;
  }

  /** A length-delimited string whose UTF-8 length the caller has counted (`utf8Length`). */
  string(s: string, bytes: number): void {
    this.varint(bytes);
    this.ensure(bytes);
    const buf = this.buf;
    let pos = this.pos;
    if (bytes === s.length && bytes <= SHORT_STRING) {
      for (let i = 0; i < bytes; i++) buf[pos++] = s.charCodeAt(i);
    } else {
      pos += buf.write(s, pos, bytes, 'utf8');
    }
    this.pos = pos;
  }

  /** A length-delimited bytes field from valid hex (a parent span id): half as many bytes as digits. */
  hexBytes(hex: string): void {
    const bytes = hex.length >> 1;
    this.varint(bytes);
    this.ensure(bytes);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < hex.length - 1; i += 2) buf[pos++] = (HEX_VALUE[hex.charCodeAt(i) & 0x7f]! << 4) | HEX_VALUE[hex.charCodeAt(i + 1) & 0x7f]!;
    this.pos = pos;
  }

  /** Reserves `reserve` bytes for a length to come; returns where they start. */
  begin(reserve: number): number {
    this.ensure(reserve);
    const mark = this.pos;
    this.pos += reserve;
    return mark;
  }

  /** Writes the length of what followed `begin(reserve)` into its place. */
  end(mark: number, reserve: number): void {
    const bodyStart = mark + reserve;
    const length = this.pos - bodyStart;
    const size = varintSize(length);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(mark + size, bodyStart, this.pos);
      this.pos += size - reserve;
    }
    putVarint(this.buf, mark, length);
  }
}

/** Writes a varint at `pos`; returns the position after it. */
function putVarint(buf: Buffer, pos: number, n: number): number {
  // Integer operations while the value fits in 31 bits, the common case; division above.
  while (n > 0x7fff_ffff) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

function putUint32(buf: Buffer, pos: number, n: number): number {
  buf[pos] = n;
  buf[pos + 1] = n >>> 8;
  buf[pos + 2] = n >>> 16;
  buf[pos + 3] = n >>> 24;
  return pos + 4;
}
