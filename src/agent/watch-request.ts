import type { RoundTrip } from '../model/roundtrip.js';
import { compileFilter, filterOptions } from '../processors/filter.js';
import { parseDuration } from '../pipeline/units.js';

/** What a `/watch` request asks for. */
export interface WatchRequest {
  matches: (rt: RoundTrip) => boolean;
  /** Roundtrips to send before ending the response. */
  max: number;
  /** Milliseconds before ending the response. */
  timeoutMs: number;
}

const WATCH_DEFAULT_MAX = 1000;
const WATCH_DEFAULT_TIMEOUT_MS = 60_000;
const WATCH_LIMIT_MAX = 1_000_000;
const WATCH_LIMIT_TIMEOUT_MS = 3_600_000;

/** Query keys that select roundtrips, as the `filter` processor reads them; repeat a key or separate values with commas. */
const FILTER_KEYS = ['protocol', 'transport', 'status', 'address', 'port'] as const;

/**
 * Reads `/watch?protocol=http&address=10.0.0.0/8&port=80&status=error&max=100&timeout=30s`.
 * Returns a one-line error for anything it cannot read.
 */
export function parseWatchRequest(query: URLSearchParams): WatchRequest | string {
  const criteria: Record<string, unknown> = {};
  for (const key of FILTER_KEYS) {
    const values = query.getAll(key).flatMap((v) => v.split(',')).filter((v) => v !== '');
    if (values.length > 0) criteria[key] = key === 'port' ? values.map(Number) : values;
  }
  for (const key of query.keys()) {
    if (!(FILTER_KEYS as readonly string[]).includes(key) && key !== 'max' && key !== 'timeout') return `unknown parameter "${key}"`;
  }
  const parsed = filterOptions.safeParse(criteria);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue.path.join('.')}: ${issue.message.replace(/^Invalid (input|option): /, '')}`;
  }
  const max = query.has('max') ? Number(query.get('max')) : WATCH_DEFAULT_MAX;
  if (!Number.isInteger(max) || max < 1 || max > WATCH_LIMIT_MAX) return `max: expected a whole number from 1 to ${WATCH_LIMIT_MAX}`;
  const timeoutUs = query.has('timeout') ? parseDuration(query.get('timeout')!) : WATCH_DEFAULT_TIMEOUT_MS * 1000;
  if (timeoutUs === undefined || timeoutUs <= 0 || timeoutUs > WATCH_LIMIT_TIMEOUT_MS * 1000) return 'timeout: expected a duration like "30s" of at most 1h';
  return { matches: compileFilter(parsed.data), max, timeoutMs: Math.ceil(timeoutUs / 1000) };
}
