import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ComponentContext } from '../../pipeline/component.js';
import type { Counter } from '../../pipeline/stats.js';
import { backoffMs, retryAfterMs, type RetryPolicy } from './backoff.js';
import { ProblemReport } from './problem-report.js';

const gzipAsync = promisify(gzip);

/** OTLP/HTTP says to retry these (and connection errors); any other failure is final. */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const LOG_INTERVAL_MS = 10_000;

export interface OtlpTransportConfig {
  /** Where requests are POSTed: the signal's full path (…/v1/traces, …/v1/metrics). */
  url: URL;
  /** "traces", "metrics": labels the counters and names the transport in the log. */
  signal: string;
  /** What one item is called in the log: "spans", "data points". */
  itemName: string;
  contentType: string;
  /** Extra request headers, e.g. an authorization token. */
  headers: Record<string, string>;
  gzip: boolean;
  /** Per request, connecting included. */
  timeoutMs: number;
  /** Requests in flight at once (each retrying on its own). */
  concurrency: number;
  /** Items held (waiting, in flight or between retries) before new ones are dropped. */
  queueSize: number;
  retry: RetryPolicy;
  /** Items the backend refused although it answered 2xx (OTLP partial success), read from the body. */
  rejectedIn?: (body: Uint8Array) => number;
  logIntervalMs?: number;
}

interface Batch {
  body: Uint8Array;
  items: number;
  retries: number;
  firstTryAt: number;
}

type Outcome = { ok: true; rejected: number } | { ok: false; retryable: boolean; reason: string; retryAfterMs?: number };

/**
 * Sends encoded OTLP requests over HTTP(S) with a bounded queue, a few requests in flight,
 * and retries with backoff on 429/502/503/504 and connection errors. Signal-agnostic: the
 * caller encodes a batch (spans, metric points) and says how many items it holds.
 *
 * Backpressure: once half the queue is taken the transport holds `context.gate`, so a file
 * source stops reading until the queue is down to a quarter; items beyond the queue are
 * dropped. The half left free absorbs what the source has already read when the gate closes,
 * so replaying a file loses nothing, while a live source (which cannot wait) drops and counts.
 * Every drop is counted in `packetd_otlp_dropped_items_total{reason}` and logged once per interval.
 */
export class OtlpHttpTransport {
  private readonly waiting: Batch[] = [];
  private queued = 0;
  private active = 0;
  private releaseGate: (() => void) | undefined;
  private idle: (() => void)[] = [];
  private readonly agent: http.Agent;
  private readonly report: ProblemReport;
  private readonly exported: Counter;
  private readonly retries: Counter;
  private readonly dropped: Record<'queue_full' | 'retries_exhausted' | 'rejected', Counter>;
  private readonly highWater: number;
  private readonly lowWater: number;
  private readonly requestHeaders: Record<string, string>;

  constructor(
    private readonly config: OtlpTransportConfig,
    private readonly context: Pick<ComponentContext, 'stats' | 'log' | 'gate'>,
  ) {
    const secure = config.url.protocol === 'https:';
    this.agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: config.concurrency });
    const endpoint = config.url.href;
    const labels = { signal: config.signal, endpoint };
    const stats = context.stats;
    this.exported = stats.counter('packetd_otlp_exported_items_total', 'Items the OTLP endpoint accepted', labels);
    this.retries = stats.counter('packetd_otlp_retries_total', 'OTLP requests tried again after a retryable failure', labels);
    const dropHelp = 'Items not delivered to the OTLP endpoint, by reason';
    this.dropped = {
      queue_full: stats.counter('packetd_otlp_dropped_items_total', dropHelp, { ...labels, reason: 'queue_full' }),
      retries_exhausted: stats.counter('packetd_otlp_dropped_items_total', dropHelp, { ...labels, reason: 'retries_exhausted' }),
      rejected: stats.counter('packetd_otlp_dropped_items_total', dropHelp, { ...labels, reason: 'rejected' }),
    };
    stats.gauge('packetd_otlp_queued_items', 'Items waiting for or in an OTLP request', () => this.queued, labels);
    this.report = new ProblemReport(context.log, `otlp ${config.signal} → ${endpoint}`, config.itemName, config.logIntervalMs ?? LOG_INTERVAL_MS);
    this.highWater = Math.max(1, Math.floor(config.queueSize / 2));
    this.lowWater = Math.floor(config.queueSize / 4);
    this.requestHeaders = {
      ...config.headers,
      'content-type': config.contentType,
      ...(config.gzip ? { 'content-encoding': 'gzip' } : {}),
    };
  }

  /** Items accepted and not yet settled (delivered or dropped). */
  get queuedItems(): number {
    return this.queued;
  }

  /** Queues one encoded request of `items` items; false (and counted as dropped) when the queue is full. */
  send(body: Uint8Array, items: number): boolean {
    if (this.queued + items > this.config.queueSize) {
      this.drop('queue_full', items);
      return false;
    }
    this.queued += items;
    this.waiting.push({ body, items, retries: 0, firstTryAt: 0 });
    if (this.queued >= this.highWater && this.releaseGate === undefined) {
      this.context.gate.hold(new Promise<void>((resolve) => (this.releaseGate = resolve)));
    }
    this.pump();
    return true;
  }

  /** Resolves when every queued item is delivered or dropped (retries end by `retry.maxElapsedMs`). */
  flush(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Flushes, then closes connections and logs what is still unreported. */
  async shutdown(): Promise<void> {
    await this.flush();
    this.agent.destroy();
    this.report.flush();
  }

  private pump(): void {
    while (this.active < this.config.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.shift()!;
      batch.firstTryAt = Date.now();
      this.active++;
      void this.deliver(batch);
    }
  }

  /** Tries a batch until it is accepted, refused, or out of retry time; its slot stays taken meanwhile. */
  private async deliver(batch: Batch): Promise<void> {
    const body = this.config.gzip ? await gzipAsync(batch.body) : batch.body;
    for (;;) {
      const outcome = await this.post(body);
      if (outcome.ok) {
        this.report.succeeded();
        this.exported.inc(batch.items - outcome.rejected);
        if (outcome.rejected > 0) this.drop('rejected', outcome.rejected);
        break;
      }
      this.report.failed(outcome.reason);
      if (!outcome.retryable) {
        this.drop('rejected', batch.items);
        break;
      }
      const wait = outcome.retryAfterMs ?? backoffMs(this.config.retry, batch.retries);
      if (Date.now() + wait - batch.firstTryAt > this.config.retry.maxElapsedMs) {
        this.drop('retries_exhausted', batch.items);
        break;
      }
      batch.retries++;
      this.retries.inc();
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.settled(batch.items);
  }

  private settled(items: number): void {
    this.active--;
    this.queued -= items;
    if (this.releaseGate !== undefined && this.queued <= this.lowWater) {
      this.releaseGate();
      this.releaseGate = undefined;
    }
    this.pump();
    if (this.queued === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private drop(reason: keyof OtlpHttpTransport['dropped'], items: number): void {
    this.dropped[reason].inc(items);
    this.report.drop(reason, items);
  }

  private post(body: Uint8Array): Promise<Outcome> {
    return new Promise((resolve) => {
      const request = (this.config.url.protocol === 'https:' ? https : http).request(this.config.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.requestHeaders, 'content-length': body.byteLength },
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      request.on('error', (err: NodeJS.ErrnoException) => {
        const reason = err.name === 'AbortError' || err.name === 'TimeoutError' ? `timed out after ${this.config.timeoutMs} ms` : (err.code ?? err.message);
        resolve({ ok: false, retryable: true, reason });
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (err) => resolve({ ok: false, retryable: true, reason: err.message }));
        response.on('end', () => resolve(this.outcome(response, Buffer.concat(chunks))));
      });
      request.end(body);
    });
  }

  private outcome(response: http.IncomingMessage, body: Buffer): Outcome {
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      let rejected = 0;
      if (body.length > 0 && this.config.rejectedIn) {
        try {
          rejected = this.config.rejectedIn(body);
        } catch {
          // An unreadable success body still means success.
        }
      }
      return { ok: true, rejected };
    }
    const readable = /json|text/.test(response.headers['content-type'] ?? '') && body.length > 0 && body.length < 200;
    const reason = `HTTP ${status}${readable ? ` ${body.toString('utf8').trim()}` : ''}`;
    if (!RETRYABLE_STATUS.has(status)) return { ok: false, retryable: false, reason };
    return { ok: false, retryable: true, reason, retryAfterMs: retryAfterMs(response.headers['retry-after']) };
  }
}
