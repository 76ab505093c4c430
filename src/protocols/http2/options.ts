import { httpOptions, type HttpOptions } from '../http/options.js';

/**
 * HTTP/2 and gRPC rule options: HTTP/1's header options (`capture_headers`,
 * `include_sensitive_headers`, `max_header_bytes` bounding one header block), plus
 * `max_streams` (default 1024): open streams tracked per connection; past it the oldest is
 * reported with what it has and counted.
 */
export interface Http2Options extends HttpOptions {
  maxStreams: number;
}

/** Body capture is HTTP/1 only. */
export const HTTP2_OPTION_NAMES = ['capture_headers', 'include_sensitive_headers', 'max_header_bytes', 'max_streams'] as const;

const DEFAULT_MAX_STREAMS = 1024;

export function http2Options(options: Record<string, unknown>): Http2Options {
  const maxStreams = options['max_streams'];
  return {
    ...httpOptions(options),
    maxStreams: typeof maxStreams === 'number' && maxStreams > 0 ? Math.floor(maxStreams) : DEFAULT_MAX_STREAMS,
  };
}
