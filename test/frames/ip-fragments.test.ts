import { describe, expect, it } from 'vitest';
import type { RawPacket } from '../../src/model/packet.js';
import { decodeAll, extensionHeader, fragmentHeader, ipv4, ipv6, rawPacket, tcp, udp } from './frame-builder.js';

const SECOND = 1_000_000;

const content = Buffer.from(Array.from({ length: 2000 }, (_, i) => i & 0xff));
const datagram = udp(9000, 9001, content);

/** IPv4 fragment of `datagram` covering [start, end). */
function v4Fragment(start: number, end: number, options: { id?: number; ts?: number; more?: boolean; src?: string } = {}): RawPacket {
  const more = options.more ?? end < datagram.length;
  const fields = { protocol: 17, id: options.id ?? 1, fragmentOffset: start, moreFragments: more };
  return rawPacket(228, ipv4(options.src ?? '10.0.0.1', '10.0.0.2', fields, datagram.subarray(start, end)), options.ts ?? SECOND);
}

describe('IPv4 fragment reassembly', () => {
  it('reassembles out-of-order fragments into one packet, raw being the completing fragment', () => {
    const last = v4Fragment(1600, datagram.length);
    const { packets, counters } = decodeAll([v4Fragment(800, 1600), last, v4Fragment(0, 800)]);
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({ srcPort: 9000, dstPort: 9001, payloadLength: content.length });
    expect(packets[0]!.payload.equals(content)).toBe(true);
    expect(packets[0]!.raw.data.length).toBe(20 + 800);
    expect(counters).toMatchObject({
      'packetd_frames_total{result=fragment_pending}': 2,
      'packetd_ip_reassembly_total{result=completed}': 1,
    });
  });

  it('keeps the first copy of overlapping bytes and counts the overlap', () => {
    const forged = rawPacket(
      228,
      ipv4('10.0.0.1', '10.0.0.2', { protocol: 17, id: 1, fragmentOffset: 0, moreFragments: true }, Buffer.alloc(808, 0xee)),
    );
    const { packets, counters } = decodeAll([v4Fragment(0, 808), forged, v4Fragment(800, datagram.length)]);
    expect(packets[0]!.payload.equals(content)).toBe(true);
    expect(counters['packetd_ip_reassembly_total{result=overlapping_fragment}']).toBe(2);
  });

  it('keeps datagrams of different sources and ids apart', () => {
    const { packets } = decodeAll([
      v4Fragment(0, 800, { id: 1 }),
      v4Fragment(0, 800, { id: 2 }),
      v4Fragment(800, datagram.length, { id: 2 }),
      v4Fragment(800, datagram.length, { id: 1, src: '10.9.9.9' }),
      v4Fragment(800, datagram.length, { id: 1 }),
    ]);
    expect(packets.map((p) => p.raw.ts)).toHaveLength(2);
  });

  it('drops datagrams left unfinished past the timeout, by packet time', () => {
    const { packets, counters } = decodeAll([v4Fragment(0, 800, { ts: SECOND }), v4Fragment(800, datagram.length, { ts: 40 * SECOND })]);
    expect(packets).toEqual([]);
    expect(counters).toMatchObject({
      'packetd_ip_reassembly_total{result=timed_out}': 1,
      'packetd_ip_reassembly_total{result=unfinished_at_end}': 1,
    });
  });

  it('evicts the oldest datagram beyond maxFragmentedDatagrams', () => {
    // id 3 evicts id 1; the late last fragment of id 1 starts a new datagram and evicts id 2.
    const firsts = [1, 2, 3].map((id) => v4Fragment(0, 800, { id }));
    const lastOf3 = v4Fragment(800, datagram.length, { id: 3 });
    const { packets, counters } = decodeAll([...firsts, v4Fragment(800, datagram.length, { id: 1 }), lastOf3], { maxFragmentedDatagrams: 2 });
    expect(packets.map((p) => p.raw)).toEqual([lastOf3]);
    expect(counters).toMatchObject({ 'packetd_ip_reassembly_total{result=evicted}': 2, 'packetd_ip_reassembly_total{result=unfinished_at_end}': 1 });
  });

  it('counts malformed fragments and never grows past 64 KiB', () => {
    const fragment = (offset: number, data: Buffer, more: boolean): RawPacket =>
      rawPacket(228, ipv4('10.0.0.1', '10.0.0.2', { protocol: 17, id: 5, fragmentOffset: offset, moreFragments: more }, data));
    const whole = v4Fragment(0, 800, { id: 5 });
    const { packets, counters } = decodeAll([
      fragment(0, Buffer.alloc(13), true), // not a multiple of 8
      fragment(65528, Buffer.alloc(16), false), // past 65535
      rawPacket(228, whole.data.subarray(0, 100), SECOND, whole.data.length), // snaplen cut
      fragment(0, Buffer.alloc(800), true),
      fragment(800, Buffer.alloc(8), false),
      fragment(1600, Buffer.alloc(8), true), // beyond the end the last fragment set
    ]);
    expect(packets).toHaveLength(1);
    expect(counters).toMatchObject({
      'packetd_decode_errors_total{layer=ip_fragment,reason=bad_length}': 1,
      'packetd_decode_errors_total{layer=ip_fragment,reason=too_large}': 1,
      'packetd_decode_errors_total{layer=ip_fragment,reason=truncated}': 1,
    });
  });

  it('drops a datagram whose fragments disagree on where it ends', () => {
    const { packets, counters } = decodeAll([
      v4Fragment(0, 800, { id: 7 }),
      v4Fragment(1600, 1608, { id: 7, more: false }),
      v4Fragment(800, 1600, { id: 7, more: false }),
    ]);
    expect(packets).toEqual([]);
    expect(counters['packetd_decode_errors_total{layer=ip_fragment,reason=inconsistent}']).toBe(1);
    const direct = decodeAll([rawPacket(229, ipv6('2001:db8::a', '2001:db8::b', 44, Buffer.concat([fragmentHeader(44, 8, true, 3), Buffer.alloc(8)])))]);
    expect(direct.counters['packetd_decode_errors_total{layer=ip_fragment,reason=inconsistent}']).toBe(1);
  });
});

describe('IPv6 fragment reassembly', () => {
  const segment = tcp(5000, 8080, content);
  /** Fragmentable part: a destination options header, then TCP. */
  const fragmentable = Buffer.concat([extensionHeader(6, Buffer.alloc(6)), segment]);

  function v6Fragment(start: number, end: number, nextHeader = 60): RawPacket {
    const more = end < fragmentable.length;
    const chain = Buffer.concat([fragmentHeader(nextHeader, start, more, 0xabcdef), fragmentable.subarray(start, end)]);
    return rawPacket(229, ipv6('2001:db8::a', '2001:db8::b', 44, chain));
  }

  it('reassembles and walks the extension headers of the offset-zero fragment', () => {
    const { packets } = decodeAll([v6Fragment(1200, fragmentable.length, 6), v6Fragment(0, 1200)]);
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({ ipVersion: 6, src: '2001:db8::a', proto: 6, srcPort: 5000, payloadLength: content.length });
    expect(packets[0]!.payload.equals(content)).toBe(true);
  });

  it('skips fragments of other protocols without keeping them', () => {
    const { counters } = decodeAll([v6Fragment(0, 1200, 58)]);
    expect(counters['packetd_frames_total{result=other_transport}']).toBe(1);
    expect(counters['packetd_ip_reassembly_pending']).toBe(0);
  });

  it('counts a fragment header inside the fragmented payload as malformed', () => {
    const nested = Buffer.concat([extensionHeader(44, Buffer.alloc(6)), fragmentHeader(6, 0, false, 1), segment]);
    const chain = (start: number, end: number): Buffer =>
      Buffer.concat([fragmentHeader(60, start, end < nested.length, 9), nested.subarray(start, end)]);
    const { packets, counters } = decodeAll([
      rawPacket(229, ipv6('2001:db8::a', '2001:db8::b', 44, chain(0, 1200))),
      rawPacket(229, ipv6('2001:db8::a', '2001:db8::b', 44, chain(1200, nested.length))),
    ]);
    expect(packets).toEqual([]);
    expect(counters['packetd_decode_errors_total{layer=ip_fragment,reason=inconsistent}']).toBe(1);
    const direct = decodeAll([rawPacket(229, ipv6('2001:db8::a', '2001:db8::b', 44, Buffer.concat([fragmentHeader(44, 8, true, 3), Buffer.alloc(8)])))]);
    expect(direct.counters['packetd_decode_errors_total{layer=ip_fragment,reason=inconsistent}']).toBe(1);
  });
});
