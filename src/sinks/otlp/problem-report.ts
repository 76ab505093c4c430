import type { Logger } from '../../pipeline/component.js';

/**
 * Failed requests and dropped items, told to the log at most once per interval: the first
 * problem after a quiet interval at once, what follows summed up when the interval is over.
 */
export class ProblemReport {
  private readonly dropped = new Map<string, number>();
  private failures = 0;
  private lastFailure = '';
  private failing = false;
  private lastLogAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    /** "otlp traces → URL": who speaks. */
    private readonly who: string,
    /** "spans", "data points". */
    private readonly itemName: string,
    private readonly intervalMs: number,
  ) {}

  failed(reason: string): void {
    this.failures++;
    this.lastFailure = reason;
    this.failing = true;
    this.soon();
  }

  drop(reason: string, items: number): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + items);
    this.soon();
  }

  /** A request went through: say so once if the endpoint had been failing. */
  succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.flush();
    this.log.info(`${this.who}: export is working again`);
  }

  /** Says what is pending now (at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const parts: string[] = [];
    if (this.failures > 0) parts.push(`${this.failures} failed request${this.failures === 1 ? '' : 's'} (last: ${this.lastFailure}), retrying`);
    if (this.dropped.size > 0) {
      const total = [...this.dropped.values()].reduce((a, b) => a + b, 0);
      const why = [...this.dropped].map(([reason, n]) => `${reason.replace('_', ' ')} ${n}`).join(', ');
      parts.push(`dropped ${total} ${this.itemName} (${why})`);
    }
    this.failures = 0;
    this.dropped.clear();
    if (parts.length === 0) return;
    this.lastLogAt = Date.now();
    this.log.warn(`${this.who}: ${parts.join('; ')}`);
  }

  private soon(): void {
    if (this.timer !== undefined) return;
    const wait = this.lastLogAt + this.intervalMs - Date.now();
    if (wait <= 0) return this.flush();
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }
}
