import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { toRecord } from '../model/record.js';
import type { Logger } from '../pipeline/component.js';
import type { Counter, Stats } from '../pipeline/stats.js';
import { SelfMetricsProducer } from '../telemetry/self-metrics.js';
import type { RoundtripWatch } from './watch.js';
import { parseWatchRequest } from './watch-request.js';

/** What the admin server asks of the agent it serves. */
export interface AdminTarget {
  stats: Stats;
  watch: RoundtripWatch;
  /** True while the capture runs. */
  healthy(): boolean;
  /** Re-reads the pipeline file; resolves to the error when the new file was rejected. */
  reload(): Promise<string | undefined>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const WATCH_BUFFER_BYTES = 1024 * 1024;

/**
 * The agent's HTTP endpoints: `GET /metrics` (packetd's own counters and gauges, Prometheus
 * text format), `GET /healthz`, `GET /watch` (a stream of roundtrip records as JSON lines,
 * filtered like the `filter` processor, bounded by `max` and `timeout`) and `POST /-/reload`.
 */
export class AdminServer {
  private readonly server: Server;
  private readonly metrics: SelfMetricsProducer;
  private readonly serializer = new PrometheusSerializer();
  private readonly watchDropped: Counter;

  private constructor(
    private readonly target: AdminTarget,
    private readonly log: Logger,
  ) {
    this.metrics = new SelfMetricsProducer(target.stats);
    this.watchDropped = target.stats.counter('packetd_watch_dropped_total', 'Roundtrips not sent to a /watch client that read too slowly');
    this.server = createServer((req, res) => this.route(req, res));
  }

  /** Listens; rejects with one line when the address cannot be bound. */
  static async listen(target: AdminTarget, host: string, port: number, log: Logger): Promise<AdminServer> {
    const admin = new AdminServer(target, log);
    await new Promise<void>((resolve, reject) => {
      admin.server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`admin server: cannot listen on ${host}:${port}: ${err.code ?? err.message}`)));
      admin.server.listen(port, host, resolve);
    });
    return admin;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Stops listening and ends open responses (watch streams included). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /metrics':
        return this.serveMetrics(res);
      case 'GET /healthz':
        return void (this.target.healthy() ? res.writeHead(200).end('ok\n') : res.writeHead(503).end('capture stopped\n'));
      case 'GET /watch':
        return this.serveWatch(url.searchParams, req, res);
      case 'POST /-/reload':
        return void this.target.reload().then((error) => {
          res.writeHead(error ? 400 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(error ? { status: 'error', error } : { status: 'ok' }) + '\n');
        });
      default: {
        const known = ['/metrics', '/healthz', '/watch', '/-/reload'].includes(url.pathname);
        res.writeHead(known ? 405 : 404).end(known ? 'method not allowed\n' : 'not found\n');
      }
    }
  }

  private serveMetrics(res: ServerResponse): void {
    this.metrics.collect().then(
      ({ resourceMetrics }) => res.writeHead(200, { 'content-type': PROMETHEUS_TEXT }).end(this.serializer.serialize(resourceMetrics)),
      (err: Error) => {
        this.log.warn(`admin /metrics: ${err.message}`);
        res.writeHead(500).end();
      },
    );
  }

  private serveWatch(query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
    const request = parseWatchRequest(query);
    if (typeof request === 'string') {
      res.writeHead(400).end(`${request}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    let sent = 0;
    const finish = (): void => {
      stop();
      clearTimeout(timer);
      res.end();
    };
    const stop = this.target.watch.listen((rt) => {
      if (!request.matches(rt)) return;
      // A watcher that reads slower than roundtrips come loses some rather than growing memory.
      if (res.writableLength > WATCH_BUFFER_BYTES) return void this.watchDropped.inc();
      res.write(JSON.stringify(toRecord(rt)) + '\n');
      if (++sent >= request.max) finish();
    });
    const timer = setTimeout(finish, request.timeoutMs);
    req.socket.once('close', finish);
  }
}
