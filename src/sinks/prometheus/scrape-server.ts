import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Logger } from '../../pipeline/component.js';
import type { Counter } from '../../pipeline/stats.js';
import type { MetricsHub } from '../../telemetry/metrics-hub.js';
import type { PrometheusOptions } from './options.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The HTTP endpoint Prometheus scrapes: every GET of `path` collects the hub (cumulative
 * series since the start of the run) and answers in the text exposition format.
 */
export class ScrapeServer {
  private readonly server: Server;
  private readonly serializer = new PrometheusSerializer();
  private readonly listening: Promise<void>;
  /** Called after each scrape served (the linger counts them). */
  onScrape: (() => void) | undefined;

  constructor(
    private readonly hub: MetricsHub,
    private readonly options: PrometheusOptions,
    private readonly scrapes: Counter,
    private readonly log: Logger,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.listening = new Promise((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) => {
        const error = new Error(`prometheus: cannot listen on ${this.address}: ${err.code ?? err.message}`);
        log.error(error.message);
        reject(error);
      });
      this.server.listen(options.port, options.host, resolve);
    });
    // Reported when the sink shuts down; keep Node from calling it unhandled meanwhile.
    this.listening.catch(() => undefined);
  }

  get address(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `${host}:${this.options.port}`;
  }

  /** Resolves once listening; rejects with a one-line error when the address cannot be bound. */
  ready(): Promise<void> {
    return this.listening;
  }

  async close(): Promise<void> {
    await this.listening;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== this.options.path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    this.hub.collect().then(
      ({ resourceMetrics, errors }) => {
        for (const error of errors) this.log.warn(`prometheus: collecting metrics: ${String(error)}`);
        res.writeHead(200, { 'content-type': CONTENT_TYPE }).end(this.serializer.serialize(resourceMetrics));
        this.scrapes.inc();
        this.onScrape?.();
      },
      (err: Error) => {
        this.log.warn(`prometheus: collecting metrics: ${err.message}`);
        res.writeHead(500).end();
      },
    );
  }
}
