import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { z } from 'zod';
import type { Sink, SinkFactory } from '../../pipeline/component.js';
import type { RoundTripSpan } from '../../processors/to-spans/span.js';
import { otlpTransportOptions, transportConfig, withQueueCheck } from './options.js';
import { TraceRequestEncoder } from './trace-encoder.js';
import { OtlpHttpTransport } from './transport.js';

export const otlpTraceOptions = withQueueCheck(z.strictObject(otlpTransportOptions));
export type OtlpTraceOptions = z.output<typeof otlpTraceOptions>;

const TRACES = { name: 'traces', path: '/v1/traces', itemName: 'spans' };

/**
 * Sends spans to an OTLP/HTTP endpoint (Jaeger, Tempo, an OpenTelemetry Collector, …) in
 * batches of `batch_size`, or whatever has gathered after `batch_interval`. Protobuf, the
 * default, is packetd's own encoder (TraceRequestEncoder: several times faster than the
 * OpenTelemetry serializer, which stays the reference in the tests); JSON is the OpenTelemetry
 * serializer's. Delivery, retries and backpressure are OtlpHttpTransport's.
 */
export const otlpTraceSink: SinkFactory<OtlpTraceOptions, RoundTripSpan> = (options, context): Sink<RoundTripSpan> => {
  const json = options.encoding === 'json';
  // Answers (partial success) are read by the OpenTelemetry deserializer of the encoding used.
  const serializer = json ? JsonTraceSerializer : ProtobufTraceSerializer;
  const protobuf = json ? undefined : new TraceRequestEncoder();
  const encode = (spans: RoundTripSpan[]): Uint8Array => protobuf?.encode(spans) ?? JsonTraceSerializer.serializeRequest(spans)!;
  const transport = new OtlpHttpTransport(
    { ...transportConfig(options, TRACES), rejectedIn: (body) => Number(serializer.deserializeResponse(body).partialSuccess?.rejectedSpans ?? 0) },
    context,
  );
  const batchSize = options.batch_size;
  const intervalMs = options.batch_interval / 1000;
  let batch: RoundTripSpan[] = [];
  let timer: NodeJS.Timeout | undefined;

  const ship = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const spans = batch;
    batch = [];
    transport.send(encode(spans), spans.length);
  };

  return {
    write(span) {
      batch.push(span);
      if (batch.length >= batchSize) ship();
      else if (timer === undefined) {
        timer = setTimeout(ship, intervalMs);
        timer.unref();
      }
    },
    flush() {
      ship();
      return transport.flush();
    },
    shutdown() {
      ship();
      return transport.shutdown();
    },
  };
};
