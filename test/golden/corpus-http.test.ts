/**
 * HTTP captures from other projects' test suites (read-only, /work/shared/corpus), compared
 * with tshark like the bundled ones: a request/response pair (deepflow), a lone response
 * joined mid-stream and a lone TSO'd request whose IPv4 total length is 0 (tcpdump).
 */
import { describe, expect, it } from 'vitest';
import { byStart, corpusPath, decodeErrors, exchangeOfRoundTrip, exchangeOfTshark, runChain } from './chain.js';
import { tsharkHttp, tsharkHttpTransactions } from '../helpers/tshark.js';

const FILES = [
  { file: 'deepflow/http/httpv1.pcap', requests: 1, responses: 1 },
  { file: 'tcpdump/ipv4_tcp_http_xml.pcap', requests: 0, responses: 1 },
  { file: 'tcpdump/ipv4_tcp_http_xml_tso.pcap', requests: 1, responses: 0 },
];

describe.each(FILES)('$file', ({ file, requests, responses }) => {
  const path = corpusPath(file);

  it('yields the transactions tshark reads, with no decode error', async () => {
    const http = tsharkHttp(path, []);
    expect([http.requests.length, http.responses.length]).toEqual([requests, responses]);
    const ports = [...new Set([...http.requests.map((r) => r.dst.port), ...http.responses.map((r) => r.src.port)])];
    const expected = tsharkHttpTransactions(path, ports).map(exchangeOfTshark).sort(byStart);

    const { roundtrips, stats } = await runChain(path, [{ protocol: 'http', ports }]);
    const paired = roundtrips.filter((rt) => rt.request !== undefined);
    expect(paired.map(exchangeOfRoundTrip).sort(byStart)).toEqual(expected);
    for (const rt of paired) expect(rt.status).toBe(rt.response === undefined ? 'unanswered' : 'ok');
    // Responses tshark finds no request for are roundtrips of their own, marked so.
    const lone = roundtrips.filter((rt) => rt.request === undefined);
    expect(lone.map((rt) => [rt.attributes['http.response.status_code'], rt.response!.size, rt.partial])).toEqual(
      http.responses.filter((r) => r.requestIn === undefined).map((r) => [r.status, r.size, 'request_missing']),
    );
    expect(decodeErrors(stats)).toEqual({});
  });
});
