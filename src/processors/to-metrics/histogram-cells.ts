import type { Attributes, Histogram as SdkHistogram } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';

/** Takes the values of one histogram series. */
export interface ValueRecorder {
  record(value: number): void;
}

/**
 * An explicit-bucket histogram series, aggregated in place: one bucket search and a few
 * additions per value. Bucket i counts values in (boundaries[i-1], boundaries[i]]; the last
 * counts those above every boundary.
 */
export class BucketCounts implements ValueRecorder {
  private readonly counts: number[];
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(private readonly boundaries: readonly number[]) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    let lo = 0;
    let hi = this.boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value > this.boundaries[mid]) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** A copy in the SDK's shape, for exporters. */
  snapshot(): Histogram {
    return {
      buckets: { boundaries: [...this.boundaries], counts: [...this.counts] },
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
    };
  }
}

/**
 * A series recorded through an SDK histogram instrument (base-2 exponential histograms, whose
 * aggregation is the SDK's); the SDK exports it.
 */
export class SdkHistogramCell implements ValueRecorder {
  constructor(
    private readonly histogram: SdkHistogram,
    private readonly attributes: Attributes,
  ) {}

  record(value: number): void {
    this.histogram.record(value, this.attributes);
  }
}
