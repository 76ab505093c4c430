import { describe, expect, it } from 'vitest';
import { formatTimestamp, toRecord } from '../../src/model/record.js';
import { roundtrip } from '../../src/testing/index.js';

describe('formatTimestamp', () => {
  it('formats microseconds as RFC 3339 UTC with six fractional digits', () => {
    const us = Date.UTC(2026, 10, 22, 4, 37, 44) * 1000 + 123_456;
    expect(formatTimestamp(us)).toBe('2026-11-22T04:37:44.123456Z');
    expect(formatTimestamp(us - 123_456 + 7)).toBe('2026-11-22T04:37:44.000007Z');
    expect(formatTimestamp(us + 1_000_000)).toBe('2026-11-22T04:37:45.123456Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.000000Z');
  });
  it('stays right across many alternating seconds (the prefix cache)', () => {
    for (let second = 1_700_000_000; second < 1_700_000_050; second++) {
      for (const micros of [0, 999_999]) {
        const us = second * 1_000_000 + micros;
        expect(formatTimestamp(us)).toBe(new Date(second * 1000).toISOString().slice(0, 20) + String(micros).padStart(6, '0') + 'Z');
      }
    }
  });
});

describe('toRecord', () => {
  it('maps a roundtrip to the documented JSON keys', () => {
    const rt = roundtrip({
      start: Date.UTC(2026, 10, 22, 4, 37, 44) * 1000 + 123_456,
      end: Date.UTC(2026, 10, 22, 4, 37, 44) * 1000 + 125_690,
      durationUs: 2234,
      trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 },
      connId: 7,
    });
    expect(toRecord(rt)).toEqual({
      protocol: 'http',
      transport: 'tcp',
      client: { address: '10.0.0.1', port: 51234 },
      server: { address: '10.0.0.2', port: 80 },
      start: '2026-11-22T04:37:44.123456Z',
      end: '2026-11-22T04:37:44.125690Z',
      duration_us: 2234,
      status: 'ok',
      request: { size: 120 },
      response: { size: 512 },
      attributes: { 'http.request.method': 'GET', 'url.path': '/', 'http.response.status_code': 200 },
      trace: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', flags: 1 },
      conn_id: 7,
    });
  });
  it('writes null for a missing response and trace', () => {
    const record = toRecord(roundtrip({ status: 'unanswered', response: undefined }));
    expect(record.response).toBeNull();
    expect(record.trace).toBeNull();
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });
});
