import { hrTime, type InstrumentationScope } from '@opentelemetry/core';
import { ValueType, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { Labels, Stats } from '../pipeline/stats.js';

export const SELF_METRICS_SCOPE: InstrumentationScope = { name: 'packetd.self' };

interface Family {
  help: string;
  points: DataPoint<number>[];
}

function addPoint(families: Map<string, Family>, name: string, help: string, labels: Labels, value: number, start: HrTime, end: HrTime): void {
  let family = families.get(name);
  if (!family) families.set(name, (family = { help, points: [] }));
  family.points.push({ startTime: start, endTime: end, attributes: labels, value });
}

/**
 * packetd's own health counters and gauges (the run's Stats: packets read, decode errors,
 * connections tracked, roundtrips by status, limits hit, …) as a MetricProducer, so every
 * metric reader exports them next to the roundtrip metrics. Stats creates series lazily (a
 * decode error of a new reason), so they are listed anew at every collection rather than
 * registered once as instruments. Names stay as Stats spells them (`packetd_*_total`).
 */
export class SelfMetricsProducer implements MetricProducer {
  private readonly startTime = hrTime();

  constructor(private readonly stats: Stats) {}

  collect(): Promise<CollectionResult> {
    const now = hrTime();
    const counters = new Map<string, Family>();
    const gauges = new Map<string, Family>();
    for (const c of this.stats.allCounters()) addPoint(counters, c.name, c.help, c.labels, c.value, this.startTime, now);
    for (const g of this.stats.allGauges()) addPoint(gauges, g.name, g.help, g.labels, g.read(), now, now);

    const metrics: MetricData[] = [];
    for (const [name, { help, points }] of counters) {
      metrics.push({
        descriptor: { name, description: help, unit: '', valueType: ValueType.INT },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: points,
      });
    }
    for (const [name, { help, points }] of gauges) {
      metrics.push({
        descriptor: { name, description: help, unit: '', valueType: ValueType.INT },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.GAUGE,
        dataPoints: points,
      });
    }
    return Promise.resolve({
      // A reader keeps the SDK's resource and ignores this one.
      resourceMetrics: { resource: resourceFromAttributes({}), scopeMetrics: [{ scope: SELF_METRICS_SCOPE, metrics }] },
      errors: [],
    });
  }
}
