import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { z } from 'zod';
import type { Sink, SinkFactory } from '../../pipeline/component.js';
import { durationOption } from '../../pipeline/schema.js';
import { metricsHub } from '../../telemetry/metrics-hub.js';
import { otlpTransportOptions, transportConfig } from '../otlp/options.js';
import { OtlpHttpTransport } from '../otlp/transport.js';

/**
 * The `otlp` sink's options when it follows toMetrics: the transport options the traces
 * variant takes, with an export `interval` in place of span batching (one request per
 * collection).
 */
export const otlpMetricOptions = z
  .strictObject(otlpTransportOptions)
  .omit({ batch_size: true, batch_interval: true })
  .extend({ interval: durationOption.default(10_000_000) });
export type OtlpMetricOptions = z.output<typeof otlpMetricOptions>;

const METRICS = { name: 'metrics', path: '/v1/metrics', itemName: 'data points' };

function dataPoints(metrics: ResourceMetrics): number {
  let points = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) points += metric.dataPoints.length;
  return points;
}

/**
 * Pushes the run's metrics (toMetrics' and packetd's own, cumulative since the run started)
 * to an OTLP/HTTP endpoint every `interval` and once more at the end of input, through the
 * same transport as spans (retries, bounded queue, counted drops).
 */
export const otlpMetricSink: SinkFactory<OtlpMetricOptions, never> = (options, context): Sink<never> => {
  const hub = metricsHub(context);
  const serializer = options.encoding === 'json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  // One collection is one request: span batching does not apply.
  const config = transportConfig({ ...options, batch_size: 1, batch_interval: 0 }, METRICS);
  const transport = new OtlpHttpTransport(
    { ...config, rejectedIn: (body) => Number(serializer.deserializeResponse(body).partialSuccess?.rejectedDataPoints ?? 0) },
    context,
  );

  const exportNow = async (): Promise<void> => {
    const { resourceMetrics, errors } = await hub.collect();
    for (const error of errors) context.log.warn(`otlp metrics: collecting: ${String(error)}`);
    const points = dataPoints(resourceMetrics);
    if (points > 0) transport.send(serializer.serializeRequest(resourceMetrics)!, points);
  };
  const onError = (err: Error): void => context.log.warn(`otlp metrics: ${err.message}`);
  // Wall-clock period: this is about the backend's schedule, not packet time.
  const timer = setInterval(() => exportNow().catch(onError), options.interval / 1000);
  timer.unref();

  return {
    write: () => undefined,
    async flush() {
      await exportNow();
      await transport.flush();
    },
    async shutdown() {
      clearInterval(timer);
      await exportNow().catch(onError);
      await transport.shutdown();
    },
  };
};
