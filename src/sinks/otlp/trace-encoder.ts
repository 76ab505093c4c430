import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from '../../processors/to-spans/ids.js';
import type { RoundTripSpan } from '../../processors/to-spans/span.js';
import { FIXED32, FIXED64, LENGTH_DELIMITED, VARINT } from '../../telemetry/protobuf-reader.js';
import { int64Size, ProtobufWriter, utf8Length, varintSize } from './protobuf-writer.js';

/** A field's key byte (field number and wire type), for the fields numbered below 16. */
const key = (field: number, wireType: number): number => field * 8 + wireType;

// Field numbers from opentelemetry-proto: collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto.
const REQUEST_RESOURCE_SPANS = key(1, LENGTH_DELIMITED);
const RESOURCE_SPANS_RESOURCE = key(1, LENGTH_DELIMITED);
const RESOURCE_SPANS_SCOPE_SPANS = key(2, LENGTH_DELIMITED);
const RESOURCE_SPANS_SCHEMA_URL = key(3, LENGTH_DELIMITED);
const RESOURCE_ATTRIBUTES = key(1, LENGTH_DELIMITED);
const SCOPE_SPANS_SCOPE = key(1, LENGTH_DELIMITED);
const SCOPE_SPANS_SPANS = key(2, LENGTH_DELIMITED);
const SCOPE_SPANS_SCHEMA_URL = key(3, LENGTH_DELIMITED);
const SCOPE_NAME = key(1, LENGTH_DELIMITED);
const SCOPE_VERSION = key(2, LENGTH_DELIMITED);
const SPAN_TRACE_ID = key(1, LENGTH_DELIMITED);
const SPAN_SPAN_ID = key(2, LENGTH_DELIMITED);
const SPAN_TRACE_STATE = key(3, LENGTH_DELIMITED);
const SPAN_PARENT_SPAN_ID = key(4, LENGTH_DELIMITED);
const SPAN_NAME = key(5, LENGTH_DELIMITED);
const SPAN_KIND = key(6, VARINT);
const SPAN_START_TIME = key(7, FIXED64);
const SPAN_END_TIME = key(8, FIXED64);
const SPAN_ATTRIBUTES = key(9, LENGTH_DELIMITED);
const SPAN_STATUS = key(15, LENGTH_DELIMITED);
const SPAN_FLAGS = 16;
const STATUS_MESSAGE = key(2, LENGTH_DELIMITED);
const STATUS_CODE = key(3, VARINT);
const KEY_VALUE_KEY = key(1, LENGTH_DELIMITED);
const KEY_VALUE_VALUE = key(2, LENGTH_DELIMITED);
const ANY_STRING = key(1, LENGTH_DELIMITED);
const ANY_BOOL = key(2, VARINT);
const ANY_INT = key(3, VARINT);
const ANY_DOUBLE = key(4, FIXED64);
const ANY_ARRAY = key(5, LENGTH_DELIMITED);
const ARRAY_VALUES = key(1, LENGTH_DELIMITED);

/** Span.flags bits 8 and 9: whether the parent's remoteness is known, and that it is remote. */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;
/** Span kinds in OTLP are the API's plus one (0 is "unspecified"). */
const OTLP_KIND_OFFSET = 1;

/** Length bytes reserved for a message written before its length is known (see ProtobufWriter.end). */
const RESERVE_BATCH = 3; // up to 2 MiB
const RESERVE_SPAN = 2; // up to 16 KiB
/** Distinct attribute keys remembered; attributes have few keys, so the cache restarts when full. */
const KEY_CACHE_SIZE = 4096;
/** Longer attributes (query texts, URLs) are not worth remembering: they seldom repeat. */
const MAX_REMEMBERED_ATTRIBUTE = 128;

/** An attribute key, encoded, with its last value and, once that value repeated, the whole attribute encoded. */
interface KnownKey {
  key: Buffer;
  value: AttributeValue | undefined;
  /** The repeated field the attribute was encoded in (span or resource attributes). */
  fieldKey: number;
  encoded: Buffer | undefined;
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** AnyValue.int_value for integers in int64's range, as the OpenTelemetry serializers do; else double_value. */
const isInt64 = (n: number): boolean => Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64;

type ArrayItem = Extract<AttributeValue, unknown[]>[number];

/** The size of an AnyValue message holding a number, boolean or array item (empty for null and undefined). */
function scalarSize(value: ArrayItem): number {
  if (typeof value === 'string') {
    const bytes = utf8Length(value);
    return 1 + varintSize(bytes) + bytes;
  }
  if (typeof value === 'number') return isInt64(value) ? 1 + int64Size(value) : 9;
  if (typeof value === 'boolean') return 2;
  return 0;
}

function writeScalar(w: ProtobufWriter, value: ArrayItem): void {
  if (typeof value === 'string') {
    w.byte(ANY_STRING);
    w.string(value, utf8Length(value));
  } else if (typeof value === 'number') {
    if (isInt64(value)) {
      w.byte(ANY_INT);
      w.int64(value);
    } else {
      w.byte(ANY_DOUBLE);
      w.double(value);
    }
  } else if (typeof value === 'boolean') {
    w.byte(ANY_BOOL);
    w.byte(value ? 1 : 0);
  }
}

/** The ArrayValue message body of an attribute list value. */
function arraySize(items: readonly ArrayItem[]): number {
  let size = 0;
  for (const item of items) {
    const itemSize = scalarSize(item);
    size += 1 + varintSize(itemSize) + itemSize;
  }
  return size;
}

/**
 * Encodes OTLP/HTTP protobuf ExportTraceServiceRequests straight from roundtrip spans, in
 * one pass into one buffer per request: the resource and scope are encoded once per resource and
 * scope object and copied into each request, attribute keys once per key (see `attributes`),
 * and ids are copied as the bytes they are. Fields left at their proto3 defaults (zero counts,
 * UNSET status) are not written. The bytes differ from the OpenTelemetry serializer's only in
 * those defaults; test/sinks/otlp-trace-encoder.test.ts holds the two to the same content.
 */
export class TraceRequestEncoder {
  private readonly w = new ProtobufWriter();
  private readonly keys = new Map<string, KnownKey>();
  private readonly resources = new WeakMap<Resource, Buffer>();
  private readonly scopes = new WeakMap<InstrumentationScope, Buffer>();

  encode(spans: readonly RoundTripSpan[]): Buffer {
    const w = this.w;
    for (const [resource, byScope] of groupByResourceAndScope(spans)) {
      w.byte(REQUEST_RESOURCE_SPANS);
      const resourceSpans = w.begin(RESERVE_BATCH);
      w.raw(this.resourceField(resource));
      for (const [scope, scopeSpans] of byScope) {
        w.byte(RESOURCE_SPANS_SCOPE_SPANS);
        const scopeMark = w.begin(RESERVE_BATCH);
        w.raw(this.scopeField(scope));
        for (const span of scopeSpans) this.span(span);
        if (scope.schemaUrl) this.stringField(SCOPE_SPANS_SCHEMA_URL, scope.schemaUrl);
        w.end(scopeMark, RESERVE_BATCH);
      }
      if (resource.schemaUrl) this.stringField(RESOURCE_SPANS_SCHEMA_URL, resource.schemaUrl);
      w.end(resourceSpans, RESERVE_BATCH);
    }
    return w.take();
  }

  private span(span: RoundTripSpan): void {
    const w = this.w;
    w.byte(SCOPE_SPANS_SPANS);
    const mark = w.begin(RESERVE_SPAN);
    w.byte(SPAN_TRACE_ID);
    w.bytes(span.ids, span.idsAt, TRACE_ID_BYTES);
    w.byte(SPAN_SPAN_ID);
    w.bytes(span.ids, span.idsAt + TRACE_ID_BYTES, SPAN_ID_BYTES);
    if (span.traceState !== undefined) this.stringField(SPAN_TRACE_STATE, span.traceState);
    if (span.parentSpanId !== undefined) {
      w.byte(SPAN_PARENT_SPAN_ID);
      w.hexBytes(span.parentSpanId);
    }
    this.stringField(SPAN_NAME, span.name);
    w.byte(SPAN_KIND);
    w.varint(span.kind + OTLP_KIND_OFFSET);
    w.byte(SPAN_START_TIME);
    w.fixed64NanosFromMicros(span.startUs);
    w.byte(SPAN_END_TIME);
    w.fixed64NanosFromMicros(span.endUs);
    this.attributes(SPAN_ATTRIBUTES, span.attributes);
    const { code, message } = span.status;
    if (code !== 0 || message) {
      const messageBytes = message ? utf8Length(message) : 0;
      w.byte(SPAN_STATUS);
      w.varint((message ? 1 + varintSize(messageBytes) + messageBytes : 0) + (code !== 0 ? 1 + varintSize(code) : 0));
      if (message) {
        w.byte(STATUS_MESSAGE);
        w.string(message, messageBytes);
      }
      if (code !== 0) {
        w.byte(STATUS_CODE);
        w.varint(code);
      }
    }
    w.tag(SPAN_FLAGS, FIXED32);
    w.fixed32((span.traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (span.parentSpanId !== undefined ? FLAGS_IS_REMOTE : 0));
    w.end(mark, RESERVE_SPAN);
  }

  /**
   * A repeated KeyValue field; undefined values are left out. Most attributes repeat from
   * span to span (transport, peer, database system, server), so each key remembers its last
   * value, and once a value comes twice in a row, the whole encoded attribute, which is then
   * copied as it is while the value stays.
   */
  private attributes(fieldKey: number, attributes: Attributes): void {
    const w = this.w;
    for (const name in attributes) {
      const value = attributes[name];
      if (value === undefined) continue;
      const known = this.keys.get(name) ?? this.newKey(name);
      if (value === known.value && known.fieldKey === fieldKey) {
        if (known.encoded !== undefined) {
          w.raw(known.encoded);
          continue;
        }
        const start = w.pos;
        this.attribute(fieldKey, known.key, value);
        // Arrays are left out: the same array could have changed since.
        if (w.pos - start <= MAX_REMEMBERED_ATTRIBUTE && !Array.isArray(value)) known.encoded = Buffer.from(w.buf.subarray(start, w.pos));
      } else {
        known.value = value;
        known.fieldKey = fieldKey;
        known.encoded = undefined;
        this.attribute(fieldKey, known.key, value);
      }
    }
  }

  private attribute(fieldKey: number, keyBytes: Buffer, value: AttributeValue): void {
    const w = this.w;
    if (typeof value === 'string') {
      // The common case, inline: its UTF-8 length is counted once.
      const bytes = utf8Length(value);
      this.keyValueHead(fieldKey, keyBytes, 1 + varintSize(bytes) + bytes);
      w.byte(ANY_STRING);
      w.string(value, bytes);
    } else if (Array.isArray(value)) {
      const itemsSize = arraySize(value);
      this.keyValueHead(fieldKey, keyBytes, 1 + varintSize(itemsSize) + itemsSize);
      w.byte(ANY_ARRAY);
      w.varint(itemsSize);
      for (const item of value) {
        w.byte(ARRAY_VALUES);
        w.varint(scalarSize(item));
        writeScalar(w, item);
      }
    } else {
      this.keyValueHead(fieldKey, keyBytes, scalarSize(value));
      writeScalar(w, value);
    }
  }

  /** The KeyValue up to its AnyValue's bytes: field key and length, key, value key and length. */
  private keyValueHead(fieldKey: number, keyBytes: Buffer, anySize: number): void {
    const w = this.w;
    w.byte(fieldKey);
    w.varint(keyBytes.length + 1 + varintSize(anySize) + anySize);
    w.raw(keyBytes);
    w.byte(KEY_VALUE_VALUE);
    w.varint(anySize);
  }

  private stringField(fieldKey: number, value: string): void {
    this.w.byte(fieldKey);
    this.w.string(value, utf8Length(value));
  }

  /** A key seen for the first time: its KeyValue.key field (field key, length, UTF-8) encoded. */
  private newKey(name: string): KnownKey {
    const known: KnownKey = { key: this.encodedApart(() => this.stringField(KEY_VALUE_KEY, name)), value: undefined, fieldKey: 0, encoded: undefined };
    if (this.keys.size >= KEY_CACHE_SIZE) this.keys.clear();
    this.keys.set(name, known);
    return known;
  }

  /** ResourceSpans.resource, encoded once per resource. */
  private resourceField(resource: Resource): Buffer {
    let field = this.resources.get(resource);
    if (field === undefined) {
      field = this.encodedApart(() => {
        this.w.byte(RESOURCE_SPANS_RESOURCE);
        const mark = this.w.begin(RESERVE_BATCH);
        this.attributes(RESOURCE_ATTRIBUTES, resource.attributes);
        this.w.end(mark, RESERVE_BATCH);
      });
      this.resources.set(resource, field);
    }
    return field;
  }

  /** ScopeSpans.scope, encoded once per scope. */
  private scopeField(scope: InstrumentationScope): Buffer {
    let field = this.scopes.get(scope);
    if (field === undefined) {
      field = this.encodedApart(() => {
        this.w.byte(SCOPE_SPANS_SCOPE);
        const mark = this.w.begin(RESERVE_BATCH);
        this.stringField(SCOPE_NAME, scope.name);
        if (scope.version) this.stringField(SCOPE_VERSION, scope.version);
        this.w.end(mark, RESERVE_BATCH);
      });
      this.scopes.set(scope, field);
    }
    return field;
  }

  /** What `write` adds to the writer, copied out as a buffer of its own; the writer is left as it was. */
  private encodedApart(write: () => void): Buffer {
    const start = this.w.pos;
    write();
    const bytes = Buffer.from(this.w.buf.subarray(start, this.w.pos));
    this.w.pos = start;
    return bytes;
  }
}

/**
 * Spans by resource, then scope, by identity and in order of first appearance. A run's spans
 * share one resource and scope, so a batch is normally one group, found without maps.
 */
function groupByResourceAndScope(spans: readonly RoundTripSpan[]): Map<Resource, Map<InstrumentationScope, readonly RoundTripSpan[]>> {
  const first = spans[0];
  if (first !== undefined && spans.every((s) => s.resource === first.resource && s.instrumentationScope === first.instrumentationScope)) {
    return new Map([[first.resource, new Map([[first.instrumentationScope, spans]])]]);
  }
  const groups = new Map<Resource, Map<InstrumentationScope, RoundTripSpan[]>>();
  for (const span of spans) {
    let byScope = groups.get(span.resource);
    if (byScope === undefined) groups.set(span.resource, (byScope = new Map()));
    let group = byScope.get(span.instrumentationScope);
    if (group === undefined) byScope.set(span.instrumentationScope, (group = []));
    group.push(span);
  }
  return groups;
}
