/**
 * Golden tests on the bundled HTTP/2 captures (scripts/record-http2.sh: nginx h2c with prior
 * knowledge driven by curl, nghttp and h2load; an HTTP/1.1 → h2c Upgrade): every stream tshark
 * sees must be a roundtrip with the same client, stream, method, path, status, frame bytes and
 * times, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { toRecord } from '../../src/model/record.js';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { capturePath, decodeErrors, runChain } from './chain.js';
import { asTshark, order, tsharkHttp2Streams, withoutStreamId } from './http2-tshark.js';

const NGINX_PORT = 18443;
const UPGRADE_PORT = 18444;

describe.each([
  { file: 'http2-nginx.pcap', streams: 10 },
  { file: 'http2-h2load.pcap', streams: 40 },
])('$file (prior knowledge)', ({ file, streams }) => {
  const path = capturePath(file);

  it('yields the streams tshark reads, field by field', async () => {
    const expected = tsharkHttp2Streams(path, NGINX_PORT).map(withoutStreamId).sort(order);
    expect(expected).toHaveLength(streams);
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'http2', ports: [NGINX_PORT] }]);
    expect(roundtrips.map(asTshark).map(withoutStreamId).sort(order)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
    expect(stats.snapshot()['packetd_http2_undecodable_headers_total']).toBeUndefined();
    for (const rt of roundtrips) {
      expect(rt.protocol).toBe('http2');
      expect(rt.attributes['network.protocol.version']).toBe('2');
      expect(rt.status).toBe(Number(rt.attributes['http.response.status_code']) >= 500 ? 'error' : 'ok');
    }
  });

  it('is found by content detection on a port no rule names', async () => {
    const { roundtrips } = await runChain(path, [{ protocol: 'http2', ports: [1] }], true);
    expect(roundtrips).toHaveLength(streams);
  });
});

describe('http2-nginx.pcap: trace context and credentials', () => {
  const path = capturePath('http2-nginx.pcap');

  it('inherits traceparent/tracestate and redacts Authorization and Cookie in recorded headers', async () => {
    const rules = [{ protocol: 'http2', ports: [NGINX_PORT], options: { capture_headers: true } }];
    const { roundtrips } = await runChain(path, rules);
    const traced = roundtrips.filter((rt) => rt.trace !== undefined);
    expect(traced.map((rt) => rt.attributes['url.query'])).toEqual(['trace=1']);
    expect(traced[0]!.trace).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1, traceState: 'vendor=opaque' });
    const alice = roundtrips.find((rt) => rt.attributes['url.query'] === 'user=alice')!;
    const headers = alice.request!['headers'] as Record<string, unknown>;
    expect(headers['authorization']).toBe('REDACTED');
    expect(headers['cookie']).toBe('REDACTED');
    expect(roundtrips.map((rt) => JSON.stringify(toRecord(rt))).join('\n')).not.toContain('s3cr3t');
  });
});

describe('http2-upgrade.pcap (HTTP/1.1 Upgrade: h2c)', () => {
  const path = capturePath('http2-upgrade.pcap');

  it('reports the 101 exchange as http, then stream 1 (the upgrading request) and stream 3 as http2', async () => {
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'http', ports: [UPGRADE_PORT] }]);
    expect(decodeErrors(stats)).toEqual({});
    expect(stats.snapshot()['packetd_l7_switched_total{from=http,to=http2}']).toBe(1);
    expect(roundtrips.map((rt) => [rt.protocol, rt.attributes['url.path'], rt.attributes['http.response.status_code']])).toEqual([
      ['http', '/upgrade', 101],
      ['http2', '/upgrade', 200],
      ['http2', '/missing', 404],
    ]);
    // Stream 1's request was the HTTP/1.1 one: same start, its own version; its answer came over HTTP/2.
    const [switching, upgraded, second] = roundtrips as [RoundTrip, RoundTrip, RoundTrip];
    expect(upgraded.start).toBe(switching.start);
    expect(upgraded.request!.size).toBe(switching.request!.size);
    expect(upgraded.attributes['network.protocol.version']).toBe('1.1');
    expect(second.attributes['network.protocol.version']).toBe('2');
    // tshark agrees on stream 3 (stream 1 has no HTTP/2 request to compare).
    const streams = tsharkHttp2Streams(path, UPGRADE_PORT, false);
    expect(streams.map((s) => s.streamId)).toEqual([3]);
    expect([asTshark(second)].map(withoutStreamId)).toEqual(streams.map(withoutStreamId));
  });
});
