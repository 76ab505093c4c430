import type { TraceContext } from '../model/message.js';

const VERSION_00_LENGTH = 55;
const ALL_ZERO_TRACE_ID = '0'.repeat(32);
const ALL_ZERO_SPAN_ID = '0'.repeat(16);
const LOWER_HEX = /^[0-9a-f]+$/;

/**
 * Parses a W3C `traceparent` header value (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`)
 * and attaches `tracestate` when given. Returns undefined for anything the W3C spec says to
 * ignore: bad lengths, upper-case or non-hex digits, all-zero ids, version `ff`. Versions above
 * 00 are read by their 00 prefix, as the spec asks, when followed by `-` or nothing.
 * Shared by every protocol that carries W3C context (HTTP/1, HTTP/2 and gRPC metadata, …).
 */
export function parseTraceparent(value: string, traceState?: string): TraceContext | undefined {
  const header = value.trim();
  if (header.length < VERSION_00_LENGTH) return undefined;
  const version = header.slice(0, 2);
  if (!LOWER_HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' ? header.length !== VERSION_00_LENGTH : header.length > VERSION_00_LENGTH && header[VERSION_00_LENGTH] !== '-') {
    return undefined;
  }
  if (header[2] !== '-' || header[35] !== '-' || header[52] !== '-') return undefined;
  const traceId = header.slice(3, 35);
  const spanId = header.slice(36, 52);
  const flags = header.slice(53, 55);
  if (!LOWER_HEX.test(traceId) || !LOWER_HEX.test(spanId) || !LOWER_HEX.test(flags)) return undefined;
  if (traceId === ALL_ZERO_TRACE_ID || spanId === ALL_ZERO_SPAN_ID) return undefined;
  const context: TraceContext = { traceId, spanId, flags: parseInt(flags, 16) };
  const state = traceState?.trim();
  if (state) context.traceState = state;
  return context;
}
