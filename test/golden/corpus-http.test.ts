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
    expect(roundtrips.map(exchangeOfRoundTrip).sort(byStart)).toEqual(expected);
    for (const rt of roundtrips) expect(rt.status).toBe(rt.response === undefined ? 'unanswered' : 'ok');
    expect(decodeErrors(stats)).toEqual({});
  });
});
