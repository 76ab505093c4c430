/**
 * HTTP inside tunnels, through the whole chain (decodeFrames → reassemble → decodeL7 → match):
 * every capture of tunnels.golden.test.ts yields the transactions tshark reads, and each
 * roundtrip carries its conversation's tunnel (`network.tunnel.*`, from the first packet: the
 * client's SYN, so the source is the client side's tunnel endpoint).
 *
 * tshark's HTTP reading (test/helpers/tshark.ts) names endpoints by the first IP header of the
 * frame, which in a tunnel is the outer one: endpoints are compared by port here, and the
 * inner addresses by packet in tunnels.golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { byStart, capturePath, decodeErrors, exchangeOfRoundTrip, exchangeOfTshark, runChain, type HttpExchange } from '../golden/chain.js';
import { tsharkHttpTransactions, tsharkRuns } from '../helpers/tshark.js';

const PORT = 18680;
const http = [{ protocol: 'http', ports: [PORT] }];
const hasTshark = tsharkRuns();
if (!hasTshark) console.warn('tshark is not installed: HTTP in tunnels is not compared with its reading');

type Tunnel = Record<string, unknown> | undefined;
const underlay = { 'network.tunnel.source.address': '198.18.0.1', 'network.tunnel.destination.address': '198.18.0.2' };
const overUnderlay = (type: string, id: number | undefined, depth = 1): Tunnel => ({
  'network.tunnel.type': type,
  ...underlay,
  ...(id === undefined ? {} : { 'network.tunnel.id': id }),
  'network.tunnel.depth': depth,
});
const erspan = (session: number): Tunnel => overUnderlay('erspan', session);
const ipip = (source: string, destination: string): Tunnel => ({
  'network.tunnel.type': 'ipip',
  'network.tunnel.source.address': source,
  'network.tunnel.destination.address': destination,
  'network.tunnel.depth': 1,
});
/** `tunnel`: every roundtrip's; `tunnels`: each roundtrip's, in start order, where conversations differ (scripts/build-tunnels.py). */
const CAPTURES: Array<{ file: string; transactions: number; tunnel?: Tunnel; tunnels?: Tunnel[] }> = [
  { file: 'tunnel-vxlan.pcap', transactions: 4, tunnel: overUnderlay('vxlan', 42) },
  {
    file: 'tunnel-vxlan-ipv6.pcap',
    transactions: 2,
    tunnel: {
      'network.tunnel.type': 'vxlan',
      'network.tunnel.source.address': 'fd00:18::1',
      'network.tunnel.destination.address': 'fd00:18::2',
      'network.tunnel.id': 46,
      'network.tunnel.depth': 1,
    },
  },
  { file: 'tunnel-vxlan-nested.pcap', transactions: 2, tunnel: overUnderlay('vxlan', 42, 2) },
  { file: 'tunnel-geneve.pcap', transactions: 4, tunnel: overUnderlay('geneve', 0x123456) },
  { file: 'tunnel-gretap.pcap', transactions: 4, tunnel: overUnderlay('gre', 1001) },
  { file: 'tunnel-gre.pcap', transactions: 4, tunnel: overUnderlay('gre', undefined) },
  { file: 'tunnel-erspan.pcap', transactions: 4, tunnels: [erspan(100), erspan(100), erspan(200), erspan(200)] },
  {
    file: 'tunnel-ipip.pcap',
    transactions: 4,
    tunnels: [ipip('198.18.0.1', '198.18.0.2'), ipip('fd00:18::1', 'fd00:18::2'), ipip('198.18.0.1', '198.18.0.2'), ipip('198.18.0.1', '198.18.0.2')],
  },
  { file: 'tunnel-mpls.pcap', transactions: 4, tunnel: { 'network.tunnel.type': 'mpls', 'network.tunnel.id': 300, 'network.tunnel.depth': 1 } },
  { file: 'tunnel-pppoe.pcap', transactions: 4, tunnel: { 'network.tunnel.type': 'pppoe', 'network.tunnel.id': 0x1234, 'network.tunnel.depth': 1 } },
  { file: 'tunnel-chdlc.pcap', transactions: 4, tunnel: undefined },
  { file: 'tunnel-ppp.pcap', transactions: 4, tunnel: undefined },
];

const byPort = (e: HttpExchange): HttpExchange => ({ ...e, client: e.client.split(' ')[1]!, server: e.server.split(' ')[1]! });
const tunnelOf = (rt: RoundTrip): Record<string, unknown> | undefined => {
  const entries = Object.entries(rt.attributes).filter(([key]) => key.startsWith('network.tunnel.'));
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
};

describe.each(CAPTURES)('$file', ({ file, transactions, tunnel, tunnels }) => {
  const path = capturePath(file);

  it.skipIf(!hasTshark)('yields the HTTP transactions tshark reads inside', async () => {
    const expected = tsharkHttpTransactions(path, [PORT]).map(exchangeOfTshark).map(byPort).sort(byStart);
    expect(expected).toHaveLength(transactions);
    const { roundtrips, stats } = await runChain(path, http);
    expect(roundtrips.map(exchangeOfRoundTrip).map(byPort).sort(byStart)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });

  it('puts the conversation tunnel on every roundtrip, with the inner endpoints as client and server', async () => {
    const { roundtrips } = await runChain(path, http);
    expect(roundtrips).toHaveLength(transactions);
    const inOrder = [...roundtrips].sort((a, b) => a.start - b.start);
    expect(inOrder.map(tunnelOf)).toEqual(tunnels ?? inOrder.map(() => tunnel));
    for (const rt of roundtrips) {
      expect(rt.server.port).toBe(PORT);
      expect(rt.server.address).toMatch(/^(192\.168\.4[236]\.2|fd42::2)$/);
      expect(rt.client.address).toMatch(/^(192\.168\.4[236]\.1|fd42::1)$/);
    }
  });
});

describe('tunnel-vxlan.pcap', () => {
  it('decodes each request and status as the server and curl saw them, IPv6 inside IPv4 included', async () => {
    const { roundtrips } = await runChain(capturePath('tunnel-vxlan.pcap'), http);
    const seen = roundtrips
      .map((rt) => `${rt.client.address} ${rt.attributes['url.path']} ${rt.attributes['http.response.status_code']}`)
      .sort();
    expect(seen).toEqual([
      '192.168.42.1 /hello.txt 200',
      '192.168.42.1 /missing 404',
      '192.168.42.1 /page.txt 200',
      'fd42::1 /hello.txt 200',
    ]);
  });
});
