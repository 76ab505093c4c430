import type { Meter } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import {
  MeterProvider,
  MetricReader,
  type CollectionResult,
  type MetricCollectOptions,
  type MetricProducer,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import type { ComponentContext } from '../pipeline/component.js';
import type { Stats } from '../pipeline/stats.js';
import { buildResource } from './resource.js';
import { SelfMetricsProducer } from './self-metrics.js';

export const METER_NAME = 'packetd';

/** The one reader bound to the hub's MeterProvider; the sinks collect through it. */
class HubReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The run's metrics: one MeterProvider that processors record into (`meter()`), producers
 * that aggregate on their own (`addProducer`: toMetrics' hot path, packetd's own Stats), all
 * collected together (`collect()`). Metric sinks take the hub as their MetricProducer, so
 * they can be created in any order relative to the processors and more than one can read the
 * same cumulative series (a Prometheus endpoint and an OTLP push).
 *
 * Views (histogram buckets, cardinality limits) are fixed when the MeterProvider is built, on
 * the first `meter()` or `collect()`: processors add theirs when they are created, before
 * the run starts.
 */
export class MetricsHub implements MetricProducer {
  private provider: MeterProvider | undefined;
  private readonly reader: HubReader;
  private readonly views: ViewOptions[] = [];
  private readonly claimed = new Set<string>();
  private readonly producers: MetricProducer[];
  /** Set by the processor that defines histograms; sinks that cannot carry a kind warn. */
  histogramAggregation: 'explicit' | 'exponential' | undefined;

  constructor(
    stats: Stats,
    private readonly resource: Resource,
  ) {
    this.reader = new HubReader();
    this.producers = [new SelfMetricsProducer(stats)];
  }

  /** Adds metrics aggregated outside the SDK; they are collected with the rest. */
  addProducer(producer: MetricProducer): void {
    this.producers.push(producer);
  }

  /**
   * For components that define metric names and so may appear once per run: a second
   * `toMetrics` would export every series twice under the same names.
   */
  claim(component: string): void {
    if (this.claimed.has(component)) throw new Error(`${component} may be used once per run (it records every metric of the run)`);
    this.claimed.add(component);
  }

  /** Views (aggregation and limits by instrument name or pattern) for the SDK's instruments. */
  addViews(views: ViewOptions[]): void {
    if (this.provider) throw new Error('metrics views must be added before the run starts');
    this.views.push(...views);
  }

  meter(): Meter {
    return this.started().getMeter(METER_NAME);
  }

  /** Cumulative metrics recorded so far plus packetd's own, stamped with the collection time. */
  async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    this.started();
    const [sdk, ...others] = await Promise.all([this.reader.collect(options), ...this.producers.map((p) => p.collect(options))]);
    return {
      resourceMetrics: {
        resource: sdk.resourceMetrics.resource,
        scopeMetrics: [...sdk.resourceMetrics.scopeMetrics, ...others.flatMap((r) => r.resourceMetrics.scopeMetrics)],
      },
      errors: [...sdk.errors, ...others.flatMap((r) => r.errors)],
    };
  }

  private started(): MeterProvider {
    this.provider ??= new MeterProvider({
      resource: this.resource,
      views: this.views,
      readers: [this.reader],
    });
    return this.provider;
  }
}

/** The run's hub (made on first use for contexts built without one, e.g. in tests). */
export function metricsHub(context: ComponentContext): MetricsHub {
  return (context.metrics ??= new MetricsHub(context.stats, buildResource(context.resource)));
}
