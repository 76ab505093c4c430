/**
 * DNS edge cases against tshark. Recorded from dnsmasq and dig on loopback
 * (scripts/record-dns-edge.sh): types seldom seen, retried queries, a server-side-only tap.
 * Built by hand (scripts/dns/build-handmade.py; no server here writes them): names with
 * forward pointers, a 1025-byte name, a pointer loop; and mDNS, LLMNR and NetBIOS name
 * service, whose ports are outside what tests may use here and whose responders announce on
 * every interface (the shared corpus holds none of them).
 */
import { describe, expect, it as vitestIt } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { responseCodeName, typeName } from '../../src/protocols/dns/codes.js';
import type { ProtocolRule } from '../../src/protocols/types.js';
import { tsharkFields, tsharkRuns } from '../helpers/tshark.js';
import { capturePath, decodeErrors, runChain } from './chain.js';
import { byStartThenId, exchangeOfRoundTrip, exchangeOfTshark, keptRecords, tsharkDns, tsharkDnsTransactions } from '../protocols/dns/tshark-dns.js';

const PORT = 18453;
const rules: ProtocolRule[] = [{ protocol: 'dns', ports: [PORT] }];
const decodeAs = [`udp.port==${PORT},dns`];
const counter = (stats: { snapshot(): Record<string, number> }, name: string): number | undefined => stats.snapshot()[name];
const question = (rt: RoundTrip) => `${rt.attributes['dns.question.type']} ${rt.attributes['dns.question.name']}`;

const haveTshark = tsharkRuns();
if (!haveTshark) console.warn('dns-edge: tshark is not installed; the tests comparing with it are skipped');
const it = haveTshark ? vitestIt : vitestIt.skip;

/** The id of the query a stub resolver sent twice on one socket (scripts/record-dns-edge.sh). */
const RETRANSMITTED_ID = 0x5eed;

describe('dns-edge.pcap (dnsmasq, dig)', () => {
  const file = capturePath('dns-edge.pcap');

  it('yields the transactions tshark reads, but for the query retransmitted on one socket (below)', async () => {
    const expected = tsharkDnsTransactions(file, { decodeAs }).map(exchangeOfTshark).filter((t) => t.id !== RETRANSMITTED_ID);
    expect(expected).toHaveLength(8);
    const { roundtrips, stats } = await runChain(file, rules);
    expect(roundtrips.map(exchangeOfRoundTrip).filter((t) => t.id !== RETRANSMITTED_ID).sort(byStartThenId)).toEqual(expected.sort(byStartThenId));
    expect(decodeErrors(stats)).toEqual({});
  });

  it('names each type by its IANA mnemonic, as tshark does; a private type is its number', async () => {
    const { roundtrips } = await runChain(file, rules);
    const ours = roundtrips.slice(0, 6).map((rt) => [rt.attributes['dns.question.type'], keptRecords(rt).answers.map((a) => a.type)]);
    expect(ours).toEqual([
      ['NULL', ['NULL']], ['HINFO', ['HINFO']], ['CAA', ['CAA']], ['SVCB', ['SVCB']], ['HTTPS', ['HTTPS']], ['65280', ['65280']],
    ]);
    // tshark's summary line: "Standard query 0x921e NULL null.example.test OPT"; it says
    // "Unknown (65280)" where dig says TYPE65280: packetd writes the number alone.
    const theirs = tsharkFields(file, ['_ws.col.Info'], { decodeAs, filter: 'dns.flags.response==0' }).map(([[info]]) => info!.split(' ')[3]);
    expect(theirs.slice(0, 6)).toEqual(['NULL', 'HINFO', 'CAA', 'SVCB', 'HTTPS', 'Unknown']);
  });

  it("dig's retry comes from a new socket: two conversations, each answered (dnsmasq answered both)", async () => {
    const { roundtrips } = await runChain(file, rules);
    const slow = roundtrips.filter((rt) => rt.attributes['dns.question.name'] === 'www.slow.example');
    expect(slow.map((rt) => rt.status)).toEqual(['ok', 'ok']);
    expect(new Set(slow.map((rt) => rt.client.port)).size).toBe(2);
    expect(slow[0]!.durationUs).toBeGreaterThan(1_400_000);
    expect(slow[1]!.durationUs).toBeLessThan(600_000);
  });

  it('a retransmission on one socket: the answer is the first query\'s, as tshark pairs it; the retry is unanswered', async () => {
    // Two queries with id 0x5eed 1 s apart on one socket, one answer 1.5 s after the first:
    // the slow upstream's delay (dnsmasq forwarded each; it relayed the first upstream answer
    // and dropped the second). So tshark is right: the answer is the first query's, the retry
    // went unanswered. packetd's matcher pairs a response with the oldest pending query of its id.
    const tshark = tsharkDns(file, { decodeAs }).filter((m) => m.id === RETRANSMITTED_ID);
    expect(tshark.map((m) => [m.response, m.responseTo])).toEqual([[false, undefined], [false, undefined], [true, tshark[0]!.frame]]);
    expect(tshark[2]!.timeUs).toBe(tshark[2]!.ts - tshark[0]!.ts);
    const { roundtrips } = await runChain(file, rules);
    const retried = roundtrips.filter((rt) => rt.request?.['id'] === RETRANSMITTED_ID);
    expect(retried.map((rt) => [rt.status, rt.start, rt.end])).toEqual([
      ['ok', tshark[0]!.ts, tshark[2]!.ts],
      ['unanswered', tshark[1]!.ts, tshark[1]!.ts],
    ]);
  });
});

describe('dns-server-side.pcap (only what dnsmasq sent)', () => {
  const file = capturePath('dns-server-side.pcap');

  it('reports every response as a roundtrip of its own, its query missing, as tshark reads it', async () => {
    const responses = tsharkDns(file, { decodeAs });
    expect(responses.map((m) => [m.response, m.rcode])).toEqual([[true, 0], [true, 3], [true, 5], [true, 0]]);
    const { roundtrips, stats } = await runChain(file, rules);
    expect(
      roundtrips.map((rt) => ({
        partial: rt.partial,
        request: rt.request,
        status: rt.status,
        start: rt.start,
        id: rt.response!['id'],
        server: `${rt.server.address} ${rt.server.port}`,
        question: question(rt),
        code: rt.attributes['dns.response_code'],
      })),
    ).toEqual(
      responses.map((m, i) => ({
        partial: 'request_missing',
        request: undefined,
        status: ['ok', 'ok', 'error', 'ok'][i],
        start: m.ts,
        id: m.id,
        server: m.src,
        question: `${typeName(m.qtype!)} ${m.name}`,
        code: responseCodeName(m.rcode!),
      })),
    );
    expect(counter(stats, 'packetd_roundtrips_partial_total{partial=request_missing,protocol=dns}')).toBe(4);
    expect(decodeErrors(stats)).toEqual({});
  });
});

describe('dns-names-handmade.pcap (built: names no encoder writes)', () => {
  const file = capturePath('dns-names-handmade.pcap');
  const chain = () => runChain(file, rules);

  it('follows forward compression pointers, as tshark does', async () => {
    const { roundtrips } = await chain();
    const rt = roundtrips.find((r) => r.request?.['id'] === 0x0f01)!;
    expect([rt.status, question(rt), keptRecords(rt).answers.map((a) => `${a.name} ${a.type} ${a.data}`)]).toEqual([
      'ok', 'A www.example.test', ['example.test CNAME web.cdn.example.test', 'cdn.example.test A 192.0.2.80'],
    ]);
    // The response's question name is "www" and a pointer to offset 22, after it; tshark reads
    // the same names (the CNAME's target points forward as well).
    expect(tsharkFields(file, ['dns.qry.name', 'dns.cname'], { decodeAs, filter: 'dns.id==0x0f01 && dns.flags.response==1' })).toEqual([
      [['www.example.test'], ['web.cdn.example.test']],
    ]);
  });

  it('keeps a 1025-byte name, cut after the labels that fit in 255 bytes, flagged and counted', async () => {
    const { roundtrips, stats } = await chain();
    const rt = roundtrips.find((r) => r.request?.['id'] === 0x0f02)!;
    expect([rt.status, rt.attributes['dns.response_code'], rt.attributes['dns.name_truncated'], rt.request!.size]).toEqual(['ok', 'NXDOMAIN', true, 1041]);
    expect(rt.attributes['dns.question.name']).toBe(['a', 'b', 'c'].map((c) => c.repeat(63)).join('.'));
    // Query and response each hold the name once.
    expect(decodeErrors(stats)['{"protocol":"dns","reason":"name_too_long"}']).toBe(2);
    // tshark shows no name at all: the question is sixteen 63-byte labels (0x3f and 63 letters
    // a…p) and the root, 1025 bytes from offset 12.
    expect(tsharkFields(file, ['dns.qry.name', 'dns.qry.name.len'], { decodeAs, filter: 'dns.id==0x0f02' }).map(([[name]]) => name)).toEqual([
      '<Name too long>', '<Name too long>',
    ]);
  });

  it('counts a pointer loop in an answer and keeps the response without that record', async () => {
    const { roundtrips, stats } = await chain();
    const rt = roundtrips.find((r) => r.request?.['id'] === 0x0f03)!;
    expect([rt.status, rt.attributes['dns.answer.count'], keptRecords(rt).answers]).toEqual(['ok', 1, []]);
    expect(decodeErrors(stats)['{"protocol":"dns","reason":"name_pointer_loop"}']).toBe(1);
    // tshark keeps the record, naming its owner "<Name contains a pointer that loops>".
    expect(tsharkFields(file, ['dns.resp.name'], { decodeAs, filter: 'dns.id==0x0f03 && dns.flags.response==1' })).toEqual([
      [['<Name contains a pointer that loops>']],
    ]);
  });
});

describe('dns-lookalikes-handmade.pcap (built: mDNS, LLMNR, NetBIOS name service)', () => {
  const file = capturePath('dns-lookalikes-handmade.pcap');
  /** Each message of the roundtrips, as tshark lists messages: time, id, QR, protocol. */
  const messagesOf = (roundtrips: RoundTrip[]) =>
    roundtrips
      .flatMap((rt) => [
        ...(rt.request === undefined ? [] : [{ ts: rt.start, id: rt.request['id'], response: false, protocol: rt.attributes['network.protocol.name'] }]),
        ...(rt.response === undefined ? [] : [{ ts: rt.end, id: rt.response['id'], response: true, protocol: rt.attributes['network.protocol.name'] }]),
      ])
      .sort((a, b) => a.ts - b.ts);

  it('decodes every mDNS and LLMNR message tshark reads, flagged by network.protocol.name; none of NetBIOS', async () => {
    const theirs = tsharkDns(file, { filter: 'mdns || llmnr' }).map((m) => ({ ts: m.ts, id: m.id, response: m.response, protocol: m.protocol }));
    expect(theirs).toHaveLength(11);
    // With no rules: every protocol on its default ports (DNS's are 53, 5353 and 5355).
    const { roundtrips, stats } = await runChain(file, [], true);
    expect(messagesOf(roundtrips)).toEqual(theirs);
    expect(roundtrips.every((rt) => rt.server.port !== 137)).toBe(true);
    expect(tsharkFields(file, ['frame.protocols'], { filter: 'udp.port==137' }).map(([[p]]) => p!.split(':').pop())).toEqual(['nbns', 'nbns', 'nbns', 'nbns']);
    // The two NetBIOS conversations (to the broadcast address, and with the responder).
    expect(counter(stats, 'packetd_l7_undetected_total')).toBe(2);
  });

  it('mDNS: a multicast query expects no answer on its conversation; answers and announcements are lone responses', async () => {
    const { roundtrips } = await runChain(file, [], true);
    const mdns = roundtrips.filter((rt) => rt.attributes['network.protocol.name'] === 'mdns');
    expect(mdns.map((rt) => [rt.status, rt.partial ?? '', `${rt.client.address}->${rt.server.address}`, rt.request === undefined ? 'lone' : rt.response === undefined ? 'query' : 'paired'])).toEqual([
      ['ok', '', '192.0.2.10->224.0.0.251', 'query'], // QM query for _ipp._tcp.local PTR
      ['ok', 'request_missing', '224.0.0.251->192.0.2.20', 'lone'], // the printer's answer, to the group
      ['ok', 'request_missing', '224.0.0.251->192.0.2.30', 'lone'], // an announcement nobody asked for
      ['ok', '', '192.0.2.10->224.0.0.251', 'query'], // QU query
      ['ok', 'request_missing', '192.0.2.10->192.0.2.30', 'lone'], // its unicast answer
      ['ok', '', '192.0.2.10->192.0.2.30', 'paired'], // legacy unicast, paired by id
    ]);
    expect(mdns[3]!.attributes).toMatchObject({ 'dns.question.name': 'host.local', 'dns.question.unicast_response': true });
    expect(mdns[3]!.attributes['dns.question.class']).toBeUndefined();
  });

  it('LLMNR: the multicast query and its unicast answer to the asker are two roundtrips; a unicast query pairs', async () => {
    // Found by content detection too, with DNS only on port 53.
    const ruleSets: ProtocolRule[][] = [[], [{ protocol: 'dns', ports: [53] }]];
    for (const protocolRules of ruleSets) {
      const { roundtrips } = await runChain(file, protocolRules, true);
      const llmnr = roundtrips.filter((rt) => rt.attributes['network.protocol.name'] === 'llmnr');
      expect(llmnr.map((rt) => [rt.status, rt.partial ?? '', rt.server.address, rt.server.port, question(rt)])).toEqual([
        ['ok', '', '224.0.0.252', 5355, 'A fileserver'],
        ['ok', 'request_missing', '192.0.2.40', 5355, 'A fileserver'],
        ['ok', '', '192.0.2.40', 5355, 'A fileserver'],
      ]);
      expect(llmnr[2]!.response!['answers']).toEqual([{ name: 'fileserver', type: 'A', ttl: 30, data: '192.0.2.40' }]);
    }
  });
});
