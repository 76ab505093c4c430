import { AggregationType, InstrumentType, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { defer, ignoreElements, tap } from 'rxjs';
import type { RoundTrip } from '../../model/roundtrip.js';
import type { ProcessorFactory } from '../../pipeline/component.js';
import { METER_NAME, metricsHub, type MetricsHub } from '../../telemetry/metrics-hub.js';
import { BucketCounts, SdkHistogramCell } from './histogram-cells.js';
import { DURATION_PATTERN, SIZE_PATTERN } from './metric-names.js';
import type { ToMetricsOptions } from './options.js';
import { RedProducer } from './red-producer.js';
import { RedRecorder, type HistogramSeriesFactory } from './red-recorder.js';

export { toMetricsOptions, type ToMetricsOptions } from './options.js';

/** The views that make the SDK aggregate toMetrics' histograms as base-2 exponential ones. */
function exponentialViews(options: ToMetricsOptions): ViewOptions[] {
  const common: ViewOptions = {
    meterName: METER_NAME,
    instrumentType: InstrumentType.HISTOGRAM,
    aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: options.exponential_max_size } },
    // toMetrics caps the series itself; the SDK's cap counts the overflow series too.
    aggregationCardinalityLimit: options.max_series_per_metric + 1,
  };
  return [
    { ...common, instrumentName: DURATION_PATTERN },
    { ...common, instrumentName: SIZE_PATTERN },
  ];
}

/**
 * Explicit buckets aggregate in place (the fast path: the SDK's instruments hash every label
 * set on every measurement); exponential histograms go through the SDK's aggregation.
 */
function histogramSeries(options: ToMetricsOptions, hub: MetricsHub): HistogramSeriesFactory {
  if (options.histograms === 'explicit') return (_metric, boundaries) => () => new BucketCounts(boundaries);
  const meter = hub.meter();
  return (metric) => {
    const instrument = meter.createHistogram(metric.name, { unit: metric.unit, description: metric.description });
    return (attributes) => new SdkHistogramCell(instrument, attributes);
  };
}

/**
 * Records RED metrics of the roundtrips into the run's meter (see docs/metrics.md) and yields
 * nothing: what follows it is a metrics sink (`prometheus`, `otlp`), which reads the meter.
 *
 * ```
 * toMetrics()
 * --a--b--c--|   (a, b, c recorded)
 * -----------|
 * ```
 */
export const toMetrics: ProcessorFactory<ToMetricsOptions, RoundTrip, never> = (options, context) => {
  const hub = metricsHub(context);
  hub.claim('toMetrics');
  if (options.histograms === 'exponential') hub.addViews(exponentialViews(options));
  hub.histogramAggregation = options.histograms;
  // The meter is taken on subscription: every processor of the run has added its views by then.
  return (roundtrips$) =>
    defer(() => {
      const recorder = new RedRecorder(options, context.stats, histogramSeries(options, hub));
      hub.addProducer(new RedProducer(recorder));
      return roundtrips$.pipe(
        tap((rt) => recorder.record(rt)),
        ignoreElements(),
      );
    });
};
