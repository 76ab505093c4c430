import type { Sink, SinkFactory } from '../../pipeline/component.js';
import { metricsHub } from '../../telemetry/metrics-hub.js';
import type { PrometheusOptions } from './options.js';
import { ScrapeServer } from './scrape-server.js';

export { prometheusOptions, type PrometheusOptions } from './options.js';

/**
 * Resolves after `linger` µs, or once `scrapes` (> 0) scrapes have been served, or on SIGINT,
 * whichever comes first. Wall-clock time: this is about a Prometheus server's schedule, not packets.
 */
function linger(server: ScrapeServer, lingerUs: number, scrapes: number): Promise<void> {
  return new Promise((resolve) => {
    let served = 0;
    const done = (): void => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      server.onScrape = undefined;
      resolve();
    };
    const timer = setTimeout(done, lingerUs / 1000);
    process.once('SIGINT', done);
    server.onScrape = () => {
      if (scrapes > 0 && ++served >= scrapes) done();
    };
  });
}

/**
 * Serves the run's metrics (toMetrics' RED metrics and packetd's own) for Prometheus to
 * scrape, from the start of the run until its end plus `linger`. It follows `toMetrics` in a
 * pipeline and takes no items: it reads the run's meter.
 */
export const prometheusSink: SinkFactory<PrometheusOptions, never> = (options, context): Sink<never> => {
  const hub = metricsHub(context);
  if (hub.histogramAggregation === 'exponential') {
    context.log.warn('prometheus: exponential histograms have no text exposition form and are left out of scrapes; use histograms: explicit');
  }
  const scrapes = context.stats.counter('packetd_prometheus_scrapes_total', 'Scrapes served by the prometheus sink');
  const server = new ScrapeServer(hub, options, scrapes, context.log);
  return {
    write: () => undefined,
    flush: () => Promise.resolve(),
    shutdown: async () => {
      await server.ready();
      if (options.linger > 0) {
        const until = options.linger_scrapes > 0 ? ` or ${options.linger_scrapes} scrape(s)` : '';
        context.log.info(`end of input: serving http://${server.address}${options.path} for ${options.linger / 1e6}s${until} more (Ctrl-C stops)`);
        await linger(server, options.linger, options.linger_scrapes);
      }
      await server.close();
    },
  };
};
