import type { Attributes } from '@opentelemetry/api';
import type { Counter, Stats } from '../../pipeline/stats.js';
import type { LabelSource } from './labels.js';

/** The attributes of the series that takes every label set past the cap (OpenTelemetry's convention). */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

export interface SeriesCell<C> {
  attributes: Attributes;
  cell: C;
}

/**
 * One metric's series: a cell (a count, a histogram) per label set, at most `maxSeries` of
 * them. Label sets seen before the cap keep their cell; new ones past it share one cell under
 * OVERFLOW_ATTRIBUTES, each such measurement counted in
 * `packetd_metric_series_overflow_total{metric}`, so totals stay right while a busy server
 * cannot blow up the backend.
 */
export class CappedSeries<C> {
  private readonly cells = new Map<string, SeriesCell<C>>();
  private overflowCell: SeriesCell<C> | undefined;
  private readonly overflowed: Counter;

  constructor(
    readonly metric: string,
    private readonly maxSeries: number,
    private readonly create: (attributes: Attributes) => C,
    stats: Stats,
  ) {
    this.overflowed = stats.counter(
      'packetd_metric_series_overflow_total',
      'Measurements recorded into the overflow series because a metric reached max_series_per_metric',
      { metric },
    );
  }

  /** The cell for the label set `key` (whose labels `labels` gives). */
  cell(key: string, labels: LabelSource): C {
    const known = this.cells.get(key);
    if (known !== undefined) return known.cell;
    if (this.cells.size >= this.maxSeries) {
      this.overflowed.inc();
      this.overflowCell ??= { attributes: OVERFLOW_ATTRIBUTES, cell: this.create(OVERFLOW_ATTRIBUTES) };
      return this.overflowCell.cell;
    }
    const attributes = labels.attributes();
    const cell = this.create(attributes);
    this.cells.set(key, { attributes, cell });
    return cell;
  }

  /** Every series, the overflow one last. */
  all(): SeriesCell<C>[] {
    const all = [...this.cells.values()];
    if (this.overflowCell) all.push(this.overflowCell);
    return all;
  }
}
