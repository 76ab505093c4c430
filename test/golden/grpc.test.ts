/**
 * gRPC golden tests: the bundled python3-grpcio capture (scripts/record-grpc.sh) against
 * tshark and against what the client did by construction, and the deepflow corpus captures
 * (../shared/corpus/deepflow/http) against deepflow's `.result` files.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { tsharkFields } from '../helpers/tshark.js';
import { capturePath, corpusPath, decodeErrors, runChain } from './chain.js';
import { tsharkHttp2Streams } from './http2-tshark.js';

const PORT = 50051;

const call = (rt: RoundTrip) => ({
  method: rt.attributes['rpc.method'],
  code: rt.attributes['rpc.grpc.status_code'],
  status: rt.status,
  error: rt.attributes['error.type'],
  sent: rt.request?.['grpc_messages'],
  received: rt.response?.['grpc_messages'],
  message: rt.response?.['grpc_message'],
});

describe('grpc-python.pcap', () => {
  const path = capturePath('grpc-python.pcap');
  const chain = () => runChain(path, []);

  it('reports every call tshark sees as grpc on the default port, with the same frames and times', async () => {
    const { roundtrips, stats } = await chain();
    expect(decodeErrors(stats)).toEqual({});
    const expected = tsharkHttp2Streams(path, PORT);
    expect(expected).toHaveLength(8);
    expect(
      roundtrips.map((rt) => ({
        start: rt.start,
        end: rt.end,
        requestSize: rt.request?.size,
        responseSize: rt.response?.size,
        path: rt.attributes['url.path'],
        status: rt.attributes['http.response.status_code'],
      })),
    ).toEqual(expected.map((s) => ({ start: s.start, end: s.end, requestSize: s.requestSize, responseSize: s.responseSize, path: s.path, status: s.status })));
    for (const rt of roundtrips) {
      expect(rt.protocol).toBe('grpc');
      expect(rt.attributes['rpc.system']).toBe('grpc');
      expect(rt.attributes['rpc.service']).toBe('packetd.test.Echo');
    }
  });

  it('takes status and message from trailers (or a trailers-only response), counts streamed messages', async () => {
    const { roundtrips } = await chain();
    expect(roundtrips.map(call)).toEqual([
      { method: 'Unary', code: 0, status: 'ok', error: undefined, sent: 1, received: 1, message: undefined },
      { method: 'Unary', code: 0, status: 'ok', error: undefined, sent: 1, received: 1, message: undefined },
      { method: 'ServerStream', code: 0, status: 'ok', error: undefined, sent: 1, received: 5, message: undefined },
      { method: 'ClientStream', code: 0, status: 'ok', error: undefined, sent: 4, received: 1, message: undefined },
      // NOT_FOUND is the caller's problem: not a server error under OpenTelemetry's rules.
      { method: 'Fail', code: 5, status: 'ok', error: undefined, sent: 1, received: 0, message: 'failed with NOT_FOUND: é' },
      { method: 'Fail', code: 13, status: 'error', error: 'INTERNAL', sent: 1, received: 0, message: 'failed with INTERNAL: é' },
      { method: 'Fail', code: 14, status: 'error', error: 'UNAVAILABLE', sent: 1, received: 0, message: 'failed with UNAVAILABLE: é' },
      { method: 'Missing', code: 12, status: 'error', error: 'UNIMPLEMENTED', sent: 1, received: 0, message: 'Method not found!' },
    ]);
    // The HTTP status stays 200 throughout: gRPC's outcome is in grpc-status, as tshark reads it.
    const statuses = tsharkFields(path, ['http2.header.name', 'http2.header.value'], { filter: 'http2.type==1', decodeAs: [`tcp.port==${PORT},http2`] })
      .flatMap(([names, values]) => names!.map((name, i) => [name, values![i]]))
      .filter(([name]) => name === 'grpc-status')
      .map(([, value]) => Number(value));
    expect(statuses).toEqual(roundtrips.map((rt) => rt.attributes['rpc.grpc.status_code']));
  });

  it('inherits the traceparent the second call carried as metadata', async () => {
    const { roundtrips } = await chain();
    expect(roundtrips.map((rt) => rt.trace?.traceId)).toEqual([undefined, '0af7651916cd43dd8448eb211c80319c', ...Array(6).fill(undefined)]);
  });
});

/**
 * deepflow's readings (its `.result` files, summarised by hand) and packetd's. Where they
 * differ the comment says which is right and how tshark shows it.
 */
const CORPUS = [
  {
    file: 'h2c_ascii', port: 7070,
    // deepflow: Grpc request /hipstershop.CartService/GetCart (host cartservice:7070, 43 body bytes), response 200 grpc 0.
    expected: [{ protocol: 'grpc', method: 'POST', path: '/hipstershop.CartService/GetCart', service: 'hipstershop.CartService', host: 'cartservice', status: 200, grpc: 0, body: [43, 21], complete: true }],
  },
  {
    file: 'http2-multi', port: 3550,
    // deepflow: two Http2 POST streams (18131981, 18131983), paths unknown, both 200, bodies 17 → 148 and 17 → 150.
    // Joined mid-connection: tshark too shows their :path and content-type as <unknown> (dynamic table entries from before).
    expected: [
      { protocol: 'http2', method: 'POST', path: undefined, service: undefined, host: '10.233.4.205', status: 200, grpc: undefined, body: [17, 150], complete: false },
      { protocol: 'http2', method: 'POST', path: undefined, service: undefined, host: '10.233.4.205', status: 200, grpc: undefined, body: [17, 148], complete: false },
    ],
  },
  {
    file: 'httpv2-stream-id', port: 11800,
    // deepflow: POST on stream 1392369, path "", no response in the capture. tshark shows the value
    // /skywalking.v3.ProfileTask/collectSnapshot under an <unknown> name: packetd does not guess it is :path.
    expected: [{ protocol: 'http2', method: 'POST', path: undefined, service: undefined, host: '10.233.64.32', status: undefined, grpc: undefined, body: [0, undefined], complete: false }],
  },
  {
    file: 'grpc-segmented', port: 20035,
    // deepflow: Grpc request /agent.Synchronizer/Push only (client side captured).
    expected: [{ protocol: 'grpc', method: 'POST', path: '/agent.Synchronizer/Push', service: 'agent.Synchronizer', host: '192.168.199.215', status: undefined, grpc: undefined, body: [2438, undefined], complete: true }],
  },
  {
    file: 'grpc-server-stream', port: 9001,
    // deepflow: Grpc request /timeseriesquery.TimeSeriesQueryService/ServerStreamQuery, response 200; tshark: trailers
    // grpc-status 0 in the last frame, DATA lengths 1235 + 251 + 497 + 743 + 497 (51 of those bytes fall in capture gaps).
    expected: [{ protocol: 'grpc', method: 'POST', path: '/timeseriesquery.TimeSeriesQueryService/ServerStreamQuery', service: 'timeseriesquery.TimeSeriesQueryService', host: 'localhost', status: 200, grpc: 0, body: [35, 3223], complete: true }],
  },
  {
    file: 'grpc-unary', port: 30035,
    // deepflow: Grpc /agent.Synchronizer/Sync, response 200 with "content length" 16384: that is the DATA frame's
    // declared length; the capture ends 1336 bytes into it (tshark: 1368-byte segment), which packetd counts.
    expected: [{ protocol: 'grpc', method: 'POST', path: '/agent.Synchronizer/Sync', service: 'agent.Synchronizer', host: '10.1.23.21', status: 200, grpc: undefined, body: [242, 1336], complete: true }],
  },
  {
    file: 'grpc-unknown', port: 7000,
    // deepflow: Grpc request with path "" (host currencyservice:7000), response 200; tshark: :path <unknown> (dynamic entry).
    expected: [{ protocol: 'grpc', method: 'POST', path: undefined, service: undefined, host: '10.233.64.72', status: 200, grpc: undefined, body: [5, 170], complete: false }],
  },
  {
    file: 'grpc-service-name', port: 38888,
    // deepflow reads nothing here (its result lines are all "Unknown"); tshark decodes a client-streaming
    // call /StreamingService/ClientStreamRPC (three 30-byte DATA frames, then END_STREAM) answered 200, grpc-status 0.
    expected: [{ protocol: 'grpc', method: 'POST', path: '/StreamingService/ClientStreamRPC', service: 'StreamingService', host: '10.1.23.22', status: 200, grpc: 0, body: [90, 108], complete: true }],
  },
];

describe.skipIf(!existsSync(corpusPath('deepflow/http')))('deepflow corpus (HTTP/2 and gRPC)', () => {
  it.each(CORPUS)('$file agrees with deepflow (or tshark shows why not)', async ({ file, port, expected }) => {
    const { roundtrips, stats } = await runChain(corpusPath(`deepflow/http/${file}.pcap`), [{ protocol: 'http2', ports: [port] }]);
    expect(decodeErrors(stats)).toEqual({});
    expect(
      roundtrips.map((rt) => ({
        protocol: rt.protocol,
        method: rt.attributes['http.request.method'],
        path: rt.attributes['url.path'],
        service: rt.attributes['rpc.service'],
        host: rt.attributes['server.address'] ?? rt.server.address,
        status: rt.attributes['http.response.status_code'],
        grpc: rt.attributes['rpc.grpc.status_code'],
        body: [rt.attributes['http.request.body.size'], rt.attributes['http.response.body.size']],
        complete: rt.request?.['headers_incomplete'] !== true,
      })),
    ).toEqual(expected);
    // Undecodable header blocks are counted, never filled in.
    const incomplete = expected.some((e) => !e.complete);
    expect((stats.snapshot()['packetd_http2_undecodable_headers_total'] ?? 0) > 0).toBe(incomplete);
  });

  it('the HTTP/1 captures of that folder (istio-tcp-frag, sw8) stay HTTP/1 under detection', async () => {
    for (const file of ['istio-tcp-frag', 'sw8']) {
      const { roundtrips } = await runChain(corpusPath(`deepflow/http/${file}.pcap`), [], true);
      expect(roundtrips.length).toBeGreaterThan(0);
      expect(roundtrips.every((rt) => rt.protocol === 'http')).toBe(true);
    }
  });
});
