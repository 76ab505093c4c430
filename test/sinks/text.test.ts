import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTextLine, textOptions, textSink } from '../../src/sinks/text.js';
import { nullSink } from '../../src/sinks/null.js';
import { roundtrip, testContext } from '../../src/testing/index.js';

const start = Date.UTC(2026, 10, 22, 4, 37, 44) * 1000 + 123_456;

describe('text sink', () => {
  it('formats an HTTP roundtrip on one line', () => {
    const rt = roundtrip({
      start,
      durationUs: 1234,
      client: { address: '127.0.0.1', port: 51234 },
      server: { address: '127.0.0.1', port: 80 },
      request: { size: 512 },
      response: { size: 1024 },
      attributes: { 'http.request.method': 'GET', 'url.path': '/index.html', 'http.response.status_code': 200 },
    });
    expect(formatTextLine(rt)).toBe(
      '2026-11-22T04:37:44.123456Z http 127.0.0.1:51234 -> 127.0.0.1:80 GET /index.html 200 1.234ms 512B/1024B ok',
    );
  });

  it('brackets IPv6, shows a missing response as -, falls back to no summary', () => {
    const rt = roundtrip({
      start,
      protocol: 'custom',
      client: { address: '::1', port: 40000 },
      server: { address: '::1', port: 9000 },
      status: 'unanswered',
      response: undefined,
      attributes: {},
      durationUs: 30_000_000,
    });
    expect(formatTextLine(rt)).toBe('2026-11-22T04:37:44.123456Z custom [::1]:40000 -> [::1]:9000 30000.000ms 120B/- unanswered');
  });

  it('writes lines to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'packetd-text-'));
    const sink = textSink(textOptions.parse({ path: 'log.txt' }), testContext({ baseDir: dir }));
    sink.write(roundtrip({ start }));
    await sink.shutdown();
    expect(readFileSync(join(dir, 'log.txt'), 'utf8')).toMatch(/^2026-11-22T04:37:44\.123456Z http 10\.0\.0\.1:51234 -> 10\.0\.0\.2:80 GET \/ 200 2\.000ms 120B\/512B ok\n$/);
  });
});

describe('null sink', () => {
  it('counts and discards', async () => {
    const context = testContext();
    const sink = nullSink({}, context);
    sink.write(roundtrip());
    sink.write(roundtrip());
    await sink.shutdown();
    expect(context.stats.snapshot()).toEqual({ packetd_sink_discarded_total: 2 });
  });
});
