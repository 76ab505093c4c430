import { z } from 'zod';
import { durationOption } from '../../pipeline/schema.js';
import type { OtlpTransportConfig } from './transport.js';

const httpUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');

const US_PER_MS = 1000;

/**
 * Options every OTLP/HTTP sink shares (traces here; metrics reuse them): where to send, how
 * to encode and authenticate, and how hard to try. Durations parse to microseconds.
 */
export const otlpTransportOptions = {
  /** A base URL gets the signal's path (`/v1/traces`); a URL with a path is used as given. */
  endpoint: httpUrl.default('http://localhost:4318'),
  encoding: z.enum(['protobuf', 'json']).default('protobuf'),
  headers: z.record(z.string(), z.string()).default({}),
  compression: z.enum(['none', 'gzip']).default('none'),
  timeout: durationOption.default(10_000_000),
  /** Items encoded per request. */
  batch_size: z.number().int().positive().default(1024),
  /** A partial batch is sent after this long (wall-clock). */
  batch_interval: durationOption.default(1_000_000),
  queue_size: z.number().int().positive().default(65_536),
  max_concurrent_requests: z.number().int().min(1).max(64).default(2),
  retry: z
    .strictObject({
      initial_interval: durationOption.default(1_000_000),
      max_interval: durationOption.default(30_000_000),
      max_elapsed_time: durationOption.default(300_000_000),
    })
    .prefault({}),
};

const transportSchema = z.strictObject(otlpTransportOptions);
export type OtlpTransportOptions = z.output<typeof transportSchema>;

/** The queue must hold at least two batches, or backpressure could never let one through. */
export function withQueueCheck<T extends z.ZodType<OtlpTransportOptions>>(schema: T) {
  return schema.refine((o) => o.queue_size >= 2 * o.batch_size, {
    message: 'queue_size must be at least twice batch_size',
    path: ['queue_size'],
  });
}

/** The endpoint URL for a signal: the signal's path is added to a bare base URL. */
export function signalUrl(endpoint: string, signalPath: string): URL {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = signalPath;
  return url;
}

export function transportConfig(
  options: OtlpTransportOptions,
  signal: { name: string; path: string; itemName: string },
): Omit<OtlpTransportConfig, 'rejectedIn'> {
  return {
    url: signalUrl(options.endpoint, signal.path),
    signal: signal.name,
    itemName: signal.itemName,
    contentType: options.encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    headers: options.headers,
    gzip: options.compression === 'gzip',
    timeoutMs: options.timeout / US_PER_MS,
    concurrency: options.max_concurrent_requests,
    queueSize: options.queue_size,
    retry: {
      initialMs: options.retry.initial_interval / US_PER_MS,
      maxMs: options.retry.max_interval / US_PER_MS,
      maxElapsedMs: options.retry.max_elapsed_time / US_PER_MS,
    },
  };
}
