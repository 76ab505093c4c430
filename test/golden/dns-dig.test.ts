/**
 * Golden tests on the bundled DNS captures (dig against dnsmasq on loopback, recorded by
 * scripts/record-dns.sh; see captures/README.md): every transaction tshark reads, packetd reads
 * the same way (endpoints, id, question, response code, answer count, TC flag, sizes, times and
 * durations to the microsecond, the records kept and their addresses).
 */
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { capturePath, decodeErrors, runChain } from './chain.js';
import {
  byStartThenId, exchangeOfRoundTrip, exchangeOfTshark, keptRecords, recordsOf, tsharkDns, tsharkDnsTransactions,
} from '../protocols/dns/tshark-dns.js';

const MAX_RECORDS = 16;

/** Computes on first use and keeps the value: tshark and the chain run once per capture. */
function once<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

/** Queries each capture holds by construction (scripts/record-dns.sh). */
const CAPTURES = [
  { file: 'dns-udp.pcap', queries: 15 },
  { file: 'dns-tcp.pcap', queries: 8 },
];

describe.each(CAPTURES)('$file', ({ file, queries }) => {
  const path = capturePath(file);
  const tshark = once(() => tsharkDnsTransactions(path));
  const chain = once(() => runChain(path, [{ protocol: 'dns' }]));

  it('yields the transactions tshark reads, field by field', async () => {
    const expected = tshark().map(exchangeOfTshark).sort(byStartThenId);
    expect(expected).toHaveLength(queries);
    const { roundtrips, stats } = await chain();
    expect(roundtrips.map(exchangeOfRoundTrip).sort(byStartThenId)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });

  it('keeps the answer and authority records tshark reads, up to the bound, with their addresses', async () => {
    const { roundtrips } = await chain();
    const responses = new Map(tshark().filter((t) => t.response !== undefined).map((t) => [`${t.query.ts} ${t.query.id}`, t.response!]));
    let compared = 0;
    for (const rt of roundtrips.filter((r) => r.response !== undefined)) {
      const response = responses.get(`${rt.start} ${rt.request!['id']}`)!;
      const kept = recordsOf(rt);
      const answers = rt.attributes['dns.answer.count'] as number;
      // The first min(count, bound) records of each section, in wire order.
      const expectedRecords = [
        ...response.records!.slice(0, Math.min(answers, MAX_RECORDS)),
        ...response.records!.slice(answers, answers + MAX_RECORDS),
      ];
      expect(kept.records).toEqual(expectedRecords);
      expect(response.a!.slice(0, kept.a.length)).toEqual(kept.a);
      expect(response.aaaa!.slice(0, kept.aaaa.length)).toEqual(kept.aaaa);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('dns-udp.pcap: what each query was for', () => {
  const chain = once(() => runChain(capturePath('dns-udp.pcap'), [{ protocol: 'dns' }]));
  const find = async (name: string, type: string, extra: (rt: RoundTrip) => boolean = () => true): Promise<RoundTrip> => {
    const found = (await chain()).roundtrips.filter(
      (rt) => rt.attributes['dns.question.name'] === name && rt.attributes['dns.question.type'] === type && extra(rt),
    );
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const answers = (rt: RoundTrip) => keptRecords(rt).answers;

  it('reads A, AAAA, MX, TXT, CNAME and SRV data in presentation form', async () => {
    expect(answers(await find('www.example.test', 'A', (rt) => rt.server.address === '127.0.0.1' && rt.attributes['dns.edns.dnssec_ok'] === false)))
      .toEqual([{ name: 'www.example.test', type: 'A', ttl: 300, data: '127.0.0.5' }]);
    expect(answers(await find('www.example.test', 'AAAA', (rt) => rt.client.address === '127.0.0.1'))[0]!.data).toBe('fd00::5');
    expect(answers(await find('example.test', 'MX'))[0]!.data).toBe('10 mail.example.test');
    expect(answers(await find('example.test', 'TXT'))[0]!.data).toBe('"v=spf1 -all" "second string"');
    expect(answers(await find('alias.example.test', 'A')).map((a) => `${a.type} ${a.data}`)).toEqual(['CNAME www.example.test', 'A 127.0.0.5']);
    expect(answers(await find('_sip._udp.example.test', 'SRV'))[0]!.data).toBe('10 20 5060 sip.example.test');
  });

  it('makes REFUSED and SERVFAIL errors with error.type, NXDOMAIN ok', async () => {
    const refused = await find('example.com', 'A');
    expect([refused.status, refused.attributes['dns.response_code'], refused.attributes['error.type']]).toEqual(['error', 'REFUSED', 'REFUSED']);
    const servfail = await find('x.broken.test', 'A');
    expect([servfail.status, servfail.attributes['dns.response_code'], servfail.attributes['error.type']]).toEqual(['error', 'SERVFAIL', 'SERVFAIL']);
    const nxdomain = await find('nope.example.test', 'A');
    expect([nxdomain.status, nxdomain.attributes['dns.response_code'], nxdomain.attributes['error.type']]).toEqual(['ok', 'NXDOMAIN', undefined]);
  });

  it('reads the TC flag, EDNS and its DO bit, and bounds the answers kept', async () => {
    const big = await find('big.example.test', 'TXT');
    expect(big.attributes['dns.flags.truncated']).toBe(true);
    expect(big.attributes['dns.edns.udp_payload_size']).toBeUndefined();
    const dnssec = await find('www.example.test', 'A', (rt) => rt.attributes['dns.edns.dnssec_ok'] === true);
    expect(dnssec.attributes['dns.edns.udp_payload_size']).toBe(1232);
    const many = await find('many.example.test', 'A');
    expect(many.attributes['dns.answer.count']).toBe(20);
    expect(answers(many)).toHaveLength(MAX_RECORDS);
  });

  it('leaves the query to an address where nothing listens unanswered, and reads IPv6', async () => {
    const unanswered = await find('www.example.test', 'A', (rt) => rt.server.address === '127.0.0.2');
    expect([unanswered.status, unanswered.response, unanswered.durationUs]).toEqual(['unanswered', undefined, 0]);
    const v6 = await find('www.example.test', 'AAAA', (rt) => rt.client.address === '::1');
    expect(v6.status).toBe('ok');
  });
});

describe('dns-tcp.pcap', () => {
  it('reads five queries dig sent on one connection (+keepopen), answered in turn', async () => {
    const { roundtrips } = await runChain(capturePath('dns-tcp.pcap'), [{ protocol: 'dns' }]);
    const kept = roundtrips.filter((rt) => rt.transport === 'tcp');
    const connections = new Map<number, string[]>();
    for (const rt of kept) connections.set(rt.connId, [...(connections.get(rt.connId) ?? []), `${rt.attributes['dns.question.type']} ${rt.attributes['dns.question.name']}`]);
    expect([...connections.values()]).toEqual([
      ['A www.example.test', 'AAAA www.example.test', 'MX example.test', 'TXT example.test', 'A nope.example.test'],
      ['A many.example.test'],
      ['TXT big.example.test'],
    ]);
  });

  it('sees the UDP reply truncated, then the whole answer over TCP', async () => {
    const big = (await runChain(capturePath('dns-tcp.pcap'), [{ protocol: 'dns' }])).roundtrips.filter(
      (rt) => rt.attributes['dns.question.name'] === 'big.example.test',
    );
    expect(big.map((rt) => [rt.transport, rt.attributes['dns.flags.truncated'], rt.attributes['dns.answer.count']])).toEqual([
      ['udp', true, 4],
      ['tcp', false, 6],
    ]);
    // tshark agrees the UDP reply was cut short and the TCP one was whole.
    expect(tsharkDns(capturePath('dns-tcp.pcap')).filter((m) => m.response).map((m) => [m.transport, m.truncated])).toContainEqual(['udp', true]);
  });
});
