import { parseSize } from '../../pipeline/units.js';

/** HTTP rule options as written in the pipeline YAML (`protocols: - protocol: http, options: …`). */
export interface HttpOptions {
  /**
   * `capture_headers` (default false): put every request and response header in the record.
   * Off by default: attributes already carry what spans and metrics use, and headers are most
   * of a record's size.
   */
  captureHeaders: boolean;
  /** `include_sensitive_headers` (default false): emit Authorization, Cookie, … values as sent. */
  includeSensitiveHeaders: boolean;
  /** `capture_body_bytes` (default 0 = off): keep the first N body bytes of each message. */
  captureBodyBytes: number;
  /** `max_header_bytes` (default 64 KiB): a longer start line + header block is a decode error. */
  maxHeaderBytes: number;
}

export const HTTP_OPTION_NAMES = ['capture_headers', 'include_sensitive_headers', 'capture_body_bytes', 'max_header_bytes'] as const;

const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;

function sizeOr(value: unknown, fallback: number): number {
  if (typeof value !== 'number' && typeof value !== 'string') return fallback;
  return parseSize(value) ?? fallback;
}

export function httpOptions(options: Record<string, unknown>): HttpOptions {
  // Every conversation of a rule gets that rule's options object: resolved once, not per
  // conversation (thousands of conversations are live at once).
  let resolved = RESOLVED.get(options);
  if (resolved === undefined) {
    resolved = {
      captureHeaders: options['capture_headers'] === true,
      includeSensitiveHeaders: options['include_sensitive_headers'] === true,
      captureBodyBytes: sizeOr(options['capture_body_bytes'], 0),
      maxHeaderBytes: sizeOr(options['max_header_bytes'], DEFAULT_MAX_HEADER_BYTES),
    };
    RESOLVED.set(options, resolved);
  }
  return resolved;
}

const RESOLVED = new WeakMap<Record<string, unknown>, HttpOptions>();
