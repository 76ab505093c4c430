/**
 * Golden tests on the bundled captures (real curl/ab/raw-socket clients talking to nginx, see
 * captures/README.md): every roundtrip packetd finds must be a transaction tshark finds, with
 * the same endpoints, method, path, status, sizes, and durations to the microsecond.
 */
import { describe, expect, it } from 'vitest';
import { toRecord } from '../../src/model/record.js';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { byStart, capturePath, decodeErrors, exchangeOfRoundTrip, exchangeOfTshark, runChain } from './chain.js';
import { epochToMicros, tsharkFields, tsharkHttp, tsharkHttpTransactions, tsharkServerPorts, tsharkTcpFrames } from '../helpers/tshark.js';

const PORT = 8080;

/** Computes on first use and keeps the value: tshark and the chain run once per capture. */
function once<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}
const httpOn8080 = [{ protocol: 'http', ports: [PORT] }];

/** Transactions each capture holds by construction (scripts/record-captures.sh). */
const CAPTURES = [
  { file: 'http-nginx.pcap', transactions: 16 },
  { file: 'http-ab-keepalive.pcap', transactions: 50 },
  { file: 'http-ipv6.pcap', transactions: 4 },
];

describe.each(CAPTURES)('$file', ({ file, transactions }) => {
  const path = capturePath(file);
  const tshark = once(() => tsharkHttpTransactions(path, [PORT]));
  const chain = once(() => runChain(path, httpOn8080));

  it('is served on the port the tests assume', () => {
    expect(tsharkServerPorts(path)).toEqual([PORT]);
  });

  it('yields the transactions tshark reads, field by field', async () => {
    const expected = tshark().map(exchangeOfTshark).sort(byStart);
    expect(expected).toHaveLength(transactions);
    const { roundtrips, stats } = await chain();
    expect(roundtrips.map(exchangeOfRoundTrip).sort(byStart)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });

  it('measures durations the way tshark does where the definitions meet', async () => {
    // http.time runs from the frame completing the request to the frame completing the
    // response: packetd's duration when the request is one frame and data ends the response.
    const frames = tsharkTcpFrames(path);
    const comparable = tshark().filter(
      ({ request, response }) =>
        response !== undefined && request.firstTs === request.lastTs && (frames.get(response.frame)?.tcpLen ?? 0) > 0,
    );
    expect(comparable.length).toBeGreaterThan(0);
    const { roundtrips } = await chain();
    const durationByStart = new Map(roundtrips.map((rt) => [`${rt.client.port} ${rt.start}`, rt.durationUs]));
    for (const { request, response } of comparable) {
      expect(durationByStart.get(`${request.src.port} ${request.firstTs}`), `request in frame ${request.frame}`).toBe(
        response!.httpTimeUs,
      );
    }
  });

  it('marks 5xx as errors and 2xx/3xx as ok, every roundtrip as http over tcp', async () => {
    const { roundtrips } = await chain();
    for (const rt of roundtrips) {
      expect(rt.protocol).toBe('http');
      expect(rt.transport).toBe('tcp');
      const code = Number(rt.attributes['http.response.status_code']);
      if (code >= 500) expect(rt.status).toBe('error');
      if (code < 400) expect(rt.status).toBe('ok');
    }
  });
});

describe('http-nginx.pcap: trace context and credentials', () => {
  const path = capturePath('http-nginx.pcap');
  const byQuery = (roundtrips: RoundTrip[], query: string): RoundTrip => {
    const found = roundtrips.filter((rt) => rt.attributes['url.query'] === query);
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('inherits the W3C traceparent/tracestate of the one request that carries them', async () => {
    const { roundtrips } = await runChain(path, httpOn8080);
    const traced = byQuery(roundtrips, 'trace=1');
    expect(traced.trace).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
      traceState: 'vendor=opaque',
    });
    expect(toRecord(traced).trace).toEqual({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      flags: 1,
      trace_state: 'vendor=opaque',
    });
    expect(roundtrips.filter((rt) => rt.trace !== undefined)).toEqual([traced]);
  });

  it('redacts Authorization and Cookie values in recorded headers by default', async () => {
    const rules = [{ protocol: 'http', ports: [PORT], options: { capture_headers: true } }];
    const { roundtrips } = await runChain(path, rules);
    const output = roundtrips.map((rt) => JSON.stringify(toRecord(rt))).join('\n');
    expect(output).not.toContain('s3cr3t-token-value');
    expect(output).not.toContain('abc123');
    const headers = byQuery(roundtrips, 'user=alice').request!['headers'] as Record<string, unknown>;
    expect(headers['authorization']).toBe('REDACTED');
    expect(headers['cookie']).toBe('REDACTED');
  });

  it('keeps them when the rule asks to (so the capture really carries them)', async () => {
    const rules = [{ protocol: 'http', ports: [PORT], options: { capture_headers: true, include_sensitive_headers: true } }];
    const { roundtrips } = await runChain(path, rules);
    const headers = byQuery(roundtrips, 'user=alice').request!['headers'] as Record<string, unknown>;
    expect(headers['authorization']).toBe('Bearer s3cr3t-token-value');
    expect(headers['cookie']).toBe('session=abc123; theme=dark');
  });
});

describe('http-pipelined.pcap', () => {
  const path = capturePath('http-pipelined.pcap');

  it('pairs six pipelined requests with their responses in order', async () => {
    // tshark reads every request of the shared frame but pairs only the first, and takes the
    // HEAD response's Content-Length for a body. The responses come from the server's data
    // frames instead: nginx starts each response in a frame of its own here, so a frame
    // starting with a status line opens a response and any other extends the previous one.
    const requests = tsharkHttp(path, [PORT]).requests;
    expect(requests.map((r) => `${r.method} ${r.uri}`)).toEqual([
      'GET /index.html', 'GET /missing', 'POST /echo', 'HEAD /static/api.json', 'GET /static/big.txt', 'GET /fail',
    ]);
    const responses: { status: number; end: number; size: number }[] = [];
    const serverData = tsharkFields(path, ['frame.time_epoch', 'tcp.len', 'tcp.payload'], {
      filter: `tcp.srcport==${PORT} && tcp.len>0`,
    });
    for (const [[time], [len], [payload]] of serverData) {
      const statusLine = /^HTTP\/1\.[01] (\d{3}) /.exec(Buffer.from(payload.slice(0, 32), 'hex').toString('latin1'));
      if (statusLine) responses.push({ status: Number(statusLine[1]), end: 0, size: 0 });
      const response = responses[responses.length - 1];
      response.end = epochToMicros(time);
      response.size += Number(len);
    }
    expect(responses).toHaveLength(requests.length);

    const { roundtrips, stats } = await runChain(path, httpOn8080);
    expect(
      roundtrips.map((rt) => ({
        method: rt.attributes['http.request.method'],
        path: rt.attributes['url.path'],
        status: rt.attributes['http.response.status_code'],
        start: rt.start,
        end: rt.end,
        responseSize: rt.response?.size,
      })),
    ).toEqual(
      requests.map((request, i) => ({
        method: request.method,
        path: request.uri,
        status: responses[i].status,
        start: request.firstTs,
        end: responses[i].end,
        responseSize: responses[i].size,
      })),
    );
    expect(roundtrips.reduce((sum, rt) => sum + rt.request!.size, 0)).toBe(requests[0].size);
    expect(decodeErrors(stats)).toEqual({});
  });
});
