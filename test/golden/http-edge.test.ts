/**
 * nginx answering uploads before their bodies arrive, and curl through a CONNECT proxy
 * (scripts/record-http-edge.sh), against tshark's reading of the same bytes.
 */
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { capturePath, decodeErrors, runChain } from './chain.js';
import { tsharkHttp, tsharkHttpTransactions, tsharkRuns } from '../helpers/tshark.js';

const row = (rt: RoundTrip) => [
  rt.attributes['http.request.method'],
  rt.attributes['url.path'],
  rt.attributes['http.response.status_code'],
  rt.request?.partial ?? null,
  rt.attributes['http.response.interim_count'] ?? 0,
  rt.attributes['http.tunnel'] ?? null,
];

describe.runIf(tsharkRuns())('http-early-response.pcap', () => {
  const path = capturePath('http-early-response.pcap');
  const rules = [{ protocol: 'http', ports: [18100] }];

  it('pairs every response with its upload, also when it comes before the body', async () => {
    const { roundtrips, stats } = await runChain(path, rules);
    expect(roundtrips.map(row)).toEqual([
      // Expect: 100-continue; nginx's `return` sends 100 and its 200 at once, then curl sends 70 KB.
      ['POST', '/r', 200, null, 1, null],
      // multipart: the 200 comes while the body is on its way.
      ['POST', '/r', 200, null, 0, null],
      // 413 (Content-Length over client_max_body_size) to an Expect: curl never sends the body.
      ['POST', '/small', 413, 'framing', 0, null],
      ['POST', '/small', 413, null, 0, null],
      // 401 from auth_basic, likewise.
      ['POST', '/auth', 401, 'framing', 0, null],
      ['POST', '/auth', 401, null, 0, null],
      // A PUT that reads its body: 100 Continue, the body, 201.
      ['PUT', '/put/upload.bin', 201, null, 1, null],
      ['POST', '/r', 200, null, 0, null],
      ['GET', '/index.html', 200, null, 0, null],
    ]);
    for (const rt of roundtrips) expect([rt.status, rt.partial]).toEqual(['ok', rt.request!.partial]);
    expect(decodeErrors(stats)).toEqual({ '{"protocol":"http","reason":"truncated"}': 2 });
  });

  it('reads the heads tshark reads; tshark pairs none of the early responses', async () => {
    const tshark = tsharkHttp(path, [18100]);
    const { roundtrips } = await runChain(path, rules);
    const finals = tshark.responses.filter((r) => r.status >= 200);
    expect(roundtrips.map((rt) => rt.attributes['http.response.status_code'])).toEqual(finals.map((r) => r.status));
    // tshark leaves a response unpaired when it completes before its request does: the two
    // 200s to /r, and the 413 and 401 to requests whose 70 KB body never came (tshark does not
    // show those two requests at all: their head frames announce `Content-Length: 70000`, and
    // the connection closes after the answer).
    expect(finals.filter((r) => r.requestIn === undefined).map((r) => r.status)).toEqual([200, 200, 413, 401]);
    expect(tshark.requests.map((r) => r.uri)).toEqual(['/r', '/r', '/small', '/auth', '/put/upload.bin', '/r', '/index.html']);
    const sizes = new Map(tshark.requests.map((r) => [`${r.firstTs}`, r.size]));
    for (const rt of roundtrips) {
      if (rt.request!.partial === undefined) expect(rt.request!.size).toBe(sizes.get(`${rt.start}`));
    }
  });
});

describe.runIf(tsharkRuns())('http-connect.pcap', () => {
  const path = capturePath('http-connect.pcap');

  it('decodes HTTP inside a CONNECT tunnel, and leaves TLS inside one opaque', async () => {
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'http', ports: [18102] }]);
    expect(roundtrips.map(row)).toEqual([
      ['CONNECT', undefined, 200, null, 0, null],
      ['GET', '/index.html', 200, null, 0, 'connect'],
      ['GET', '/missing', 404, null, 0, 'connect'],
      ['CONNECT', undefined, 200, null, 0, null],
      ['POST', '/r', 200, null, 0, 'connect'],
      ['CONNECT', undefined, 200, null, 0, null],
      ['CONNECT', undefined, 403, null, 0, null],
    ]);
    expect(roundtrips[1]!.attributes['server.address']).toBe('127.0.0.1');
    expect(roundtrips[1]!.attributes['server.port']).toBe(18100);
    expect(stats.counter('packetd_l7_released_total', '', { protocol: 'http', reason: 'connect' }).value).toBe(1);
    expect(decodeErrors(stats)).toEqual({});
  });

  it('finds what tshark finds, and the tunnelled responses tshark does not read', async () => {
    const tshark = tsharkHttp(path, [18102]);
    // tshark reads the first request in each tunnel but none of the tunnelled responses (it
    // hands the tunnel's server side to another dissector); in the TLS tunnel it reads nginx's
    // plain 400 to the ClientHello, which packetd, having left the tunnel opaque, does not.
    expect(tshark.requests.map((r) => `${r.method} ${r.uri}`)).toEqual([
      'CONNECT 127.0.0.1:18100', 'GET /index.html', 'CONNECT 127.0.0.1:18100', 'POST /r', 'CONNECT 127.0.0.1:18100', 'CONNECT 127.0.0.1:9',
    ]);
    expect(tshark.responses.map((r) => r.status)).toEqual([200, 200, 200, 400, 403]);
    const { roundtrips } = await runChain(path, [{ protocol: 'http', ports: [18102] }]);
    const requests = new Set(roundtrips.map((rt) => `${rt.start}`));
    for (const request of tshark.requests) expect(requests.has(`${request.firstTs}`)).toBe(true);
  });
});

describe.runIf(tsharkRuns())('http-retransmit.pcap (real loss: nftables drops 4 % on lo, the endpoints retransmit)', () => {
  const path = capturePath('http-retransmit.pcap');
  const rules = [{ protocol: 'http', ports: [18101] }];

  it('pairs all 200 transactions as tshark does, retransmitted bytes taken once', async () => {
    const tshark = tsharkHttpTransactions(path, [18101]);
    expect(tshark.length).toBe(200);
    const { roundtrips, stats } = await runChain(path, rules);
    const byStart = (a: { start: number }, b: { start: number }) => a.start - b.start;
    expect(roundtrips.map((rt) => ({ port: rt.client.port, path: rt.attributes['url.path'], status: rt.attributes['http.response.status_code'], start: rt.start, end: rt.end, partial: rt.partial })).sort(byStart)).toEqual(
      tshark
        .map(({ request, response }) => ({ port: request.src.port, path: request.uri, status: response?.status, start: request.firstTs, end: response?.lastTs, partial: undefined }))
        .sort(byStart),
    );
    // The capture holds each lost segment and its retransmission: the bytes came twice.
    expect(stats.snapshot()['packetd_tcp_retransmitted_bytes_total']).toBeGreaterThan(0);
    expect(decodeErrors(stats)).toEqual({});
  });
});
