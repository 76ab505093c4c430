import { z } from 'zod';
import { durationOption, sizeOption } from '../../pipeline/schema.js';

/** Durations (µs) from 100µs (loopback) to 10s (the semantic conventions' upper bucket). */
export const DEFAULT_DURATION_BUCKETS_US = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 75_000, 100_000, 250_000, 500_000, 750_000, 1_000_000,
  2_500_000, 5_000_000, 7_500_000, 10_000_000,
];

/** Sizes (bytes), powers of four from 64 B to 16 MiB. */
export const DEFAULT_SIZE_BUCKETS = [64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];

function increasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]);
}

export const toMetricsOptions = z.strictObject({
  /** `explicit`: buckets below; `exponential`: base-2 exponential histograms (OTLP only, see docs/metrics.md). */
  histograms: z.enum(['explicit', 'exponential']).default('explicit'),
  duration_buckets: z
    .array(durationOption)
    .min(1)
    .refine(increasing, 'bucket boundaries must increase')
    .default(DEFAULT_DURATION_BUCKETS_US),
  size_buckets: z.array(sizeOption).min(1).refine(increasing, 'bucket boundaries must increase').default(DEFAULT_SIZE_BUCKETS),
  /** Buckets per exponential histogram; the scale adapts to fit the observed range in them. */
  exponential_max_size: z.number().int().min(2).max(16_384).default(160),
  /**
   * Protocol name → the attributes that become labels for it; `default` for protocols not
   * listed. Without it, DEFAULT_LABELS (labels.ts) apply to every protocol.
   */
  labels: z.record(z.string(), z.array(z.string().min(1))).default({}),
  /** Distinct label sets one metric may have; more go to an overflow series, counted. */
  max_series_per_metric: z.number().int().positive().default(2000),
});
export type ToMetricsOptions = z.output<typeof toMetricsOptions>;
