export interface RetryPolicy {
  /** Wait before the first retry. */
  initialMs: number;
  /** Longest wait between two tries. */
  maxMs: number;
  /** A batch still failing this long after its first try is dropped (counted). */
  maxElapsedMs: number;
}

/** Exponential backoff with ±50 % jitter, so many exporters do not retry in step. */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(retry, 30));
  return Math.round(base * (0.5 + Math.random()));
}

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
