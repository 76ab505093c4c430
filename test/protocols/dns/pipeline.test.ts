/**
 * DNS through reassemble → decodeL7 → match on built packets: what UDP brings to the L7 layer
 * (port rules and content detection per datagram, id matching per conversation, timeouts) and
 * DNS over TCP on the same module.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../../src/model/packet.js';
import type { RoundTrip } from '../../../src/model/roundtrip.js';
import { decodeL7 } from '../../../src/operators/decodeL7.js';
import { match } from '../../../src/operators/match.js';
import { reassemble } from '../../../src/operators/reassemble.js';
import { Stats } from '../../../src/pipeline/stats.js';
import type { ProtocolRule } from '../../../src/protocols/types.js';
import { endpoint, tcpPacket, udpPacket } from '../../helpers/packets.js';
import { A, AAAA, exchange, ipv4, tcpFramed } from './build.js';

const SECOND = 1_000_000;
const client = endpoint('10.0.0.1', 40000);
const otherClient = endpoint('10.0.0.1', 40001);
const resolver = endpoint('10.0.0.53', 53);
const oddPort = endpoint('10.0.0.53', 5300);

async function run(packets: Packet[], rules: ProtocolRule[] = [], detect = true) {
  const stats = new Stats();
  const roundtrips = await lastValueFrom(
    from(packets).pipe(reassemble({ stats }), decodeL7({ stats, rules, detect }), match({ stats }), toArray()),
  );
  return { roundtrips, counters: stats.snapshot() };
}

const line = (rt: RoundTrip) =>
  `${rt.transport} ${rt.client.port}->${rt.server.port} ${rt.attributes['dns.question.type']} ${rt.attributes['dns.question.name']} ${rt.status} ${rt.durationUs}`;

const [qa, ra] = exchange(1, 'a.test', A, [{ name: 'a.test', type: A, data: ipv4('192.0.2.1') }]);
const [qb, rb] = exchange(2, 'b.test', AAAA);

describe('DNS over UDP through the pipeline', () => {
  it('decodes port 53 by default, pairing out-of-order responses by id', async () => {
    const { roundtrips } = await run([
      udpPacket(client, resolver, 1000, qa),
      udpPacket(client, resolver, 1100, qb),
      udpPacket(resolver, client, 1500, rb),
      udpPacket(resolver, client, 1800, ra),
    ]);
    expect(roundtrips.map(line)).toEqual(['udp 40000->53 AAAA b.test ok 400', 'udp 40000->53 A a.test ok 800']);
  });

  it('keeps ids apart per conversation: the same id on two sockets never crosses', async () => {
    const [q1, r1] = exchange(7, 'one.test', A);
    const [q2, r2] = exchange(7, 'two.test', A);
    const { roundtrips } = await run([
      udpPacket(client, resolver, 1000, q1),
      udpPacket(otherClient, resolver, 1010, q2),
      udpPacket(resolver, otherClient, 1200, r2),
      udpPacket(resolver, client, 1300, r1),
    ]);
    expect(roundtrips.map(line)).toEqual(['udp 40001->53 A two.test ok 190', 'udp 40000->53 A one.test ok 300']);
  });

  it('follows a port rule on another port, without detection', async () => {
    const packets = [udpPacket(client, oddPort, 1000, qa), udpPacket(oddPort, client, 1200, ra)];
    expect((await run(packets, [{ protocol: 'dns', ports: [5300] }], false)).roundtrips.map(line)).toEqual(['udp 40000->5300 A a.test ok 200']);
    expect((await run(packets, [{ protocol: 'dns' }], false)).roundtrips).toEqual([]);
  });

  it('detects DNS on any port from one datagram, swapping roles when a response comes first', async () => {
    // Both ports are high, so the first sender is taken for the client: here the server.
    const [qc, rc] = exchange(3, 'c.test', A);
    const { roundtrips, counters } = await run([
      udpPacket(oddPort, client, 1000, rc),
      udpPacket(client, oddPort, 2000, qa),
      udpPacket(oddPort, client, 2100, ra),
      udpPacket(client, oddPort, 3000, qc),
    ]);
    // The first response's query is not in the capture: it is reported on its own.
    expect(roundtrips.slice(1).map(line)).toEqual(['udp 40000->5300 A a.test ok 100', 'udp 40000->5300 A c.test unanswered 0']);
    expect(roundtrips[0]).toMatchObject({ partial: 'request_missing', request: undefined, status: 'ok' });
    expect(counters['packetd_match_unmatched_responses_total{protocol=dns}']).toBe(1);
  });

  it('reports a duplicate answer as a roundtrip of its own, its query missing', async () => {
    // No server here answers one query twice (dnsmasq answers a retry on the same socket once:
    // captures/dns-edge.pcap), so the duplicate is built: the same response datagram again.
    const { roundtrips, counters } = await run([udpPacket(client, resolver, 1000, qa), udpPacket(resolver, client, 1300, ra), udpPacket(resolver, client, 1310, ra)]);
    expect(roundtrips.map(line)).toEqual(['udp 40000->53 A a.test ok 300', 'udp 40000->53 A a.test ok 0']);
    expect(roundtrips[1]).toMatchObject({ partial: 'request_missing', request: undefined, start: 1310, response: { id: 1 } });
    expect(counters['packetd_roundtrips_partial_total{partial=request_missing,protocol=dns}']).toBe(1);
  });

  it('ignores UDP that is not DNS, counted as undetected', async () => {
    const { roundtrips, counters } = await run([udpPacket(client, oddPort, 1000, Buffer.from('not dns at all, just bytes'))]);
    expect(roundtrips).toEqual([]);
    expect(counters['packetd_l7_undetected_total']).toBe(1);
  });

  it('makes a query with no response unanswered once the request timeout has passed in packet time', async () => {
    const { roundtrips } = await run([
      udpPacket(client, resolver, 1 * SECOND, qa),
      udpPacket(otherClient, resolver, 40 * SECOND, qb),
      udpPacket(resolver, otherClient, 40 * SECOND + 500, rb),
    ]);
    // The unanswered query comes out when time passes its timeout, before the later exchange ends.
    expect(roundtrips.map(line)).toEqual(['udp 40000->53 A a.test unanswered 0', 'udp 40001->53 AAAA b.test ok 500']);
  });
});

describe('DNS over TCP through the pipeline', () => {
  it('decodes several queries on one connection, in one segment, answered out of order', async () => {
    const queries = Buffer.concat([tcpFramed(qa), tcpFramed(qb)]);
    const rbFramed = tcpFramed(rb);
    const { roundtrips } = await run([
      tcpPacket(client, resolver, { ts: 1000, flags: 'S', seq: 100 }),
      tcpPacket(resolver, client, { ts: 1001, flags: 'SA', seq: 500, ack: 101 }),
      tcpPacket(client, resolver, { ts: 1002, flags: 'A', seq: 101, ack: 501 }),
      tcpPacket(client, resolver, { ts: 1100, flags: 'PA', seq: 101, ack: 501, payload: queries }),
      tcpPacket(resolver, client, { ts: 1300, flags: 'PA', seq: 501, ack: 101 + queries.length, payload: rbFramed }),
      tcpPacket(resolver, client, { ts: 1400, flags: 'PA', seq: 501 + rbFramed.length, ack: 101 + queries.length, payload: tcpFramed(ra) }),
    ]);
    expect(roundtrips.map(line)).toEqual(['tcp 40000->53 AAAA b.test ok 200', 'tcp 40000->53 A a.test ok 300']);
  });

  it('detects DNS over TCP on another port', async () => {
    const framed = tcpFramed(qa);
    const { roundtrips } = await run([
      tcpPacket(client, oddPort, { ts: 1000, flags: 'S', seq: 100 }),
      tcpPacket(oddPort, client, { ts: 1001, flags: 'SA', seq: 500, ack: 101 }),
      tcpPacket(client, oddPort, { ts: 1100, flags: 'PA', seq: 101, ack: 501, payload: framed }),
      tcpPacket(oddPort, client, { ts: 1200, flags: 'PA', seq: 501, ack: 101 + framed.length, payload: tcpFramed(ra) }),
    ]);
    expect(roundtrips.map(line)).toEqual(['tcp 40000->5300 A a.test ok 100']);
  });
});
