/**
 * A minimal protobuf wire-format reader, for reading OTLP requests back (the benchmark's
 * counting receiver, the tests' receiver). It knows wire types, not schemas: callers name
 * fields by number, from the opentelemetry-proto definitions.
 */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

export interface Field {
  number: number;
  wireType: number;
  /** VARINT: the value (exact up to 2^53); other wire types: 0. */
  varint: number;
  /** Where the value's bytes start and end in the buffer (for FIXED*, LENGTH_DELIMITED). */
  start: number;
  end: number;
}

export class ProtobufFormatError extends Error {}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufFormatError('varint runs past the end');
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos];
    scale *= 128;
  }
  throw new ProtobufFormatError('varint longer than 10 bytes');
}

/** Calls `visit` for every field of the message in `buf[start, end)`, in order. */
export function forEachField(buf: Uint8Array, visit: (field: Field) => void, start = 0, end = buf.length): void {
  const field: Field = { number: 0, wireType: 0, varint: 0, start: 0, end: 0 };
  let pos = start;
  while (pos < end) {
    let key: number;
    [key, pos] = readVarint(buf, pos);
    field.number = Math.floor(key / 8);
    field.wireType = key & 7;
    field.varint = 0;
    switch (field.wireType) {
      case VARINT:
        [field.varint, pos] = readVarint(buf, pos);
        field.start = field.end = pos;
        break;
      case FIXED64:
        field.start = pos;
        pos += 8;
        break;
      case FIXED32:
        field.start = pos;
        pos += 4;
        break;
      case LENGTH_DELIMITED: {
        let length: number;
        [length, pos] = readVarint(buf, pos);
        field.start = pos;
        pos += length;
        break;
      }
      default:
        throw new ProtobufFormatError(`unsupported wire type ${field.wireType}`);
    }
    if (pos > end) throw new ProtobufFormatError('field runs past the end of its message');
    if (field.wireType !== VARINT) field.end = pos;
    visit(field);
  }
}

/**
 * Spans in an ExportTraceServiceRequest: resource_spans (1) → scope_spans (2) → spans (2),
 * counted without decoding them.
 */
export function countSpans(request: Uint8Array): number {
  let spans = 0;
  forEachField(request, (resourceSpans) => {
    if (resourceSpans.number !== 1) return;
    forEachField(request, (scopeSpans) => {
      if (scopeSpans.number !== 2) return;
      forEachField(request, (span) => {
        if (span.number === 2) spans++;
      }, scopeSpans.start, scopeSpans.end);
    }, resourceSpans.start, resourceSpans.end);
  });
  return spans;
}
