import type { Attributes } from '@opentelemetry/api';
import type { RoundTrip } from '../../model/roundtrip.js';
import type { Stats } from '../../pipeline/stats.js';
import { CappedSeries } from './capped-series.js';
import type { ValueRecorder } from './histogram-cells.js';
import { DEFAULT_LABELS, LabelPicker, type LabelSource } from './labels.js';
import { durationMetricOf, ERRORS, REQUEST_SIZE, REQUESTS, RESPONSE_SIZE, type MetricInfo } from './metric-names.js';
import type { ToMetricsOptions } from './options.js';

export interface CountCell {
  value: number;
}

/** Makes the histogram series of a metric: `boundaries` are for explicit buckets. */
export type HistogramSeriesFactory = (metric: MetricInfo, boundaries: readonly number[]) => (attributes: Attributes) => ValueRecorder;

/** One protocol's label picker and duration series, made on its first roundtrip. */
interface ProtocolMetrics {
  labels: LabelPicker;
  durations: CappedSeries<ValueRecorder>;
}

const ERROR_TYPE = 'error.type';
const SEPARATOR = '\u0001';

function errorType(rt: RoundTrip): string {
  const declared = rt.attributes[ERROR_TYPE];
  if (typeof declared === 'string' || typeof declared === 'number') return String(declared);
  return rt.status === 'unanswered' ? 'unanswered' : 'error';
}

const newCount = (): CountCell => ({ value: 0 });

/** A roundtrip's labels plus its `error.type`, for the errors metric. */
class ErrorLabels implements LabelSource {
  labels: LabelSource | undefined;
  type = '';
  attributes(): Attributes {
    return { ...this.labels!.attributes(), [ERROR_TYPE]: this.type };
  }
}

/**
 * Records RED metrics per roundtrip: requests, errors (status error or unanswered, by
 * `error.type`), duration and request/response wire sizes. Durations and sizes come from the
 * roundtrip (packet time); unanswered roundtrips count as requests and errors only. Each
 * metric keeps its series in a CappedSeries; a roundtrip costs one label pick and a map
 * lookup per metric.
 */
export class RedRecorder {
  readonly requests: CappedSeries<CountCell>;
  readonly errors: CappedSeries<CountCell>;
  readonly requestSize: CappedSeries<ValueRecorder>;
  readonly responseSize: CappedSeries<ValueRecorder>;
  /** Duration metric name → its series (protocols of one kind share one). */
  readonly durations = new Map<string, { info: MetricInfo; series: CappedSeries<ValueRecorder> }>();
  private readonly protocols = new Map<string, ProtocolMetrics>();
  private readonly errorLabels = new ErrorLabels();

  constructor(
    private readonly options: ToMetricsOptions,
    private readonly stats: Stats,
    private readonly histogramSeries: HistogramSeriesFactory,
  ) {
    const max = options.max_series_per_metric;
    this.requests = new CappedSeries(REQUESTS.name, max, newCount, stats);
    this.errors = new CappedSeries(ERRORS.name, max, newCount, stats);
    this.requestSize = new CappedSeries(REQUEST_SIZE.name, max, histogramSeries(REQUEST_SIZE, options.size_buckets), stats);
    this.responseSize = new CappedSeries(RESPONSE_SIZE.name, max, histogramSeries(RESPONSE_SIZE, options.size_buckets), stats);
  }

  record(rt: RoundTrip): void {
    const metrics = this.protocols.get(rt.protocol) ?? this.addProtocol(rt);
    const labels = metrics.labels;
    const key = labels.pick(rt);
    this.requests.cell(key, labels).value++;
    // A response whose request was not seen: a request happened, but its size and the
    // roundtrip's duration are unknown (the duration would be the response's own).
    if (rt.request !== undefined) this.requestSize.cell(key, labels).record(rt.request.size);
    if (rt.response !== undefined) {
      if (rt.request !== undefined) metrics.durations.cell(key, labels).record(rt.durationUs / 1e6);
      this.responseSize.cell(key, labels).record(rt.response.size);
    }
    if (rt.status !== 'ok') {
      const errorLabels = this.errorLabels;
      errorLabels.labels = labels;
      errorLabels.type = errorType(rt);
      this.errors.cell(key + SEPARATOR + errorLabels.type, errorLabels).value++;
    }
  }

  private addProtocol(rt: RoundTrip): ProtocolMetrics {
    const labels = this.options.labels;
    const names = labels[rt.protocol] ?? labels['default'] ?? DEFAULT_LABELS;
    const info = durationMetricOf(rt);
    let duration = this.durations.get(info.name);
    if (!duration) {
      const boundaries = this.options.duration_buckets.map((us) => us / 1e6);
      duration = { info, series: new CappedSeries(info.name, this.options.max_series_per_metric, this.histogramSeries(info, boundaries), this.stats) };
      this.durations.set(info.name, duration);
    }
    const metrics = { labels: new LabelPicker(rt.protocol, names), durations: duration.series };
    this.protocols.set(rt.protocol, metrics);
    return metrics;
  }
}
