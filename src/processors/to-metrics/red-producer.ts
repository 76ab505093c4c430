import { ValueType, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { METER_NAME } from '../../telemetry/metrics-hub.js';
import type { CappedSeries } from './capped-series.js';
import { BucketCounts, type ValueRecorder } from './histogram-cells.js';
import { ERRORS, REQUEST_SIZE, REQUESTS, RESPONSE_SIZE, type MetricInfo } from './metric-names.js';
import type { CountCell, RedRecorder } from './red-recorder.js';

function sum(info: MetricInfo, series: CappedSeries<CountCell>, start: HrTime, end: HrTime): MetricData {
  return {
    descriptor: { ...info, valueType: ValueType.INT },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: series.all().map(({ attributes, cell }) => ({ startTime: start, endTime: end, attributes, value: cell.value })),
  };
}

/** Explicit-bucket series only: SDK-recorded (exponential) ones are the SDK's to export. */
function histogram(info: MetricInfo, series: CappedSeries<ValueRecorder>, start: HrTime, end: HrTime): MetricData | undefined {
  const points = [];
  for (const { attributes, cell } of series.all()) {
    if (cell instanceof BucketCounts) points.push({ startTime: start, endTime: end, attributes, value: cell.snapshot() });
  }
  if (points.length === 0) return undefined;
  return {
    descriptor: { ...info, valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: points,
  };
}

/**
 * toMetrics' series as cumulative OpenTelemetry metric data, under the `packetd` scope, each
 * collection stamped with the wall-clock time it happens (start: when recording began).
 */
export class RedProducer implements MetricProducer {
  private readonly startTime = hrTime();

  constructor(private readonly recorder: RedRecorder) {}

  collect(): Promise<CollectionResult> {
    const now = hrTime();
    const r = this.recorder;
    const metrics: (MetricData | undefined)[] = [
      sum(REQUESTS, r.requests, this.startTime, now),
      sum(ERRORS, r.errors, this.startTime, now),
      ...[...r.durations.values()].map(({ info, series }) => histogram(info, series, this.startTime, now)),
      histogram(REQUEST_SIZE, r.requestSize, this.startTime, now),
      histogram(RESPONSE_SIZE, r.responseSize, this.startTime, now),
    ];
    return Promise.resolve({
      // The hub keeps its own resource.
      resourceMetrics: {
        resource: resourceFromAttributes({}),
        scopeMetrics: [{ scope: { name: METER_NAME }, metrics: metrics.filter((m): m is MetricData => m !== undefined && m.dataPoints.length > 0) }],
      },
      errors: [],
    });
  }
}
