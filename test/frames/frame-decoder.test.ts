import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/frames/frame-decoder.js';
import type { Packet, RawPacket } from '../../src/model/packet.js';
import { Stats } from '../../src/pipeline/stats.js';
import {
  bsdLoopback,
  ethernet,
  extensionHeader,
  fragmentHeader,
  ipv4,
  ipv6,
  linuxSll,
  rawPacket,
  tcp,
  udp,
} from './frame-builder.js';

const body = Buffer.from('hello, frames');
const v4Tcp = ipv4('10.0.0.1', '10.0.0.2', { protocol: 6 }, tcp(1234, 80, body));
const v6Udp = ipv6('2001:db8::1', '2001:db8::2', 17, udp(5353, 53, body));

function decodeAll(frames: RawPacket[], options = {}): { packets: Packet[]; counters: Record<string, number> } {
  const stats = new Stats();
  const decoder = new FrameDecoder(stats, options);
  const packets = frames.map((raw) => decoder.decode(raw)).filter((p): p is Packet => p !== undefined);
  decoder.finish();
  return { packets, counters: stats.snapshot() };
}

function decodeOne(raw: RawPacket): Packet | undefined {
  return decodeAll([raw]).packets[0];
}

const errors = (counters: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counters).filter(([key]) => key.startsWith('packetd_decode_errors_total')));

describe('link layers', () => {
  it.each([
    ['NULL, little-endian AF_INET', 0, bsdLoopback(2, v4Tcp, 'LE')],
    ['NULL, big-endian AF_INET', 0, bsdLoopback(2, v4Tcp, 'BE')],
    ['LOOP, AF_INET', 108, bsdLoopback(2, v4Tcp, 'BE')],
    ['RAW', 101, v4Tcp],
    ['RAW (OpenBSD 12)', 12, v4Tcp],
    ['RAW (BSD/OS 14)', 14, v4Tcp],
    ['IPV4', 228, v4Tcp],
    ['Ethernet with three stacked tags (0x88a8, 0x9100, 0x8100)', 1, ethernet(0x0800, v4Tcp, [[0x88a8, 1], [0x9100, 2], [0x8100, 3]])],
  ])('%s', (_name, linkType, frame) => {
    expect(decodeOne(rawPacket(linkType, frame))).toMatchObject({ ipVersion: 4, src: '10.0.0.1', srcPort: 1234, payload: body });
  });

  it.each([
    ['NULL, AF_INET6 = 24 (NetBSD/OpenBSD)', 0, bsdLoopback(24, v6Udp, 'LE')],
    ['NULL, AF_INET6 = 28 (FreeBSD)', 0, bsdLoopback(28, v6Udp, 'LE')],
    ['NULL, AF_INET6 = 30 (macOS)', 0, bsdLoopback(30, v6Udp, 'BE')],
    ['RAW', 101, v6Udp],
    ['IPV6', 229, v6Udp],
    ['Linux cooked v1', 113, linuxSll(0x86dd, v6Udp)],
  ])('%s (IPv6)', (_name, linkType, frame) => {
    expect(decodeOne(rawPacket(linkType, frame))).toMatchObject({ ipVersion: 6, src: '2001:db8::1', proto: 17, dstPort: 53, payload: body });
  });

  it('counts unsupported link types, non-IP payloads and broken link headers apart', () => {
    const tooManyTags = ethernet(0x0800, v4Tcp, Array.from({ length: 9 }, (): [number, number] => [0x8100, 1]));
    const { packets, counters } = decodeAll([
      rawPacket(105, v4Tcp), // 802.11
      rawPacket(0, bsdLoopback(7, v4Tcp, 'LE')),
      rawPacket(1, ethernet(0x0806, Buffer.alloc(28))),
      rawPacket(1, Buffer.alloc(10)),
      rawPacket(1, tooManyTags),
    ]);
    expect(packets).toEqual([]);
    expect(counters).toMatchObject({
      'packetd_frames_total{result=unsupported_link}': 1,
      'packetd_frames_total{result=non_ip}': 2,
      'packetd_frames_total{result=malformed}': 2,
      'packetd_decode_errors_total{layer=link,reason=truncated}': 1,
      'packetd_decode_errors_total{layer=vlan,reason=too_many_tags}': 1,
    });
  });
});

describe('IPv4', () => {
  it('takes the frame length when a TSO capture says total length 0', () => {
    const frame = ipv4('10.0.0.1', '10.0.0.2', { protocol: 6, totalLength: 0 }, tcp(1, 2, body));
    expect(decodeOne(rawPacket(228, frame))).toMatchObject({ payloadLength: body.length, payload: body });
  });

  it('ignores Ethernet padding after the datagram', () => {
    const frame = ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', { protocol: 17 }, udp(1, 2, Buffer.from('x'))));
    const padded = Buffer.concat([frame, Buffer.alloc(60 - frame.length)]);
    expect(decodeOne(rawPacket(1, padded))).toMatchObject({ payload: Buffer.from('x'), payloadLength: 1 });
  });

  it('reports claimed lengths beyond a snaplen cut, and skips frames cut inside a header', () => {
    const whole = ipv4('10.0.0.1', '10.0.0.2', { protocol: 6 }, tcp(1, 2, body));
    const cutInPayload = rawPacket(228, whole.subarray(0, 45), 0, whole.length);
    expect(decodeOne(cutInPayload)).toMatchObject({ payload: body.subarray(0, 5), payloadLength: body.length });
    const { counters } = decodeAll([rawPacket(228, whole.subarray(0, 30), 0, whole.length), rawPacket(228, whole.subarray(0, 12), 0, whole.length)]);
    expect(errors(counters)).toEqual({
      'packetd_decode_errors_total{layer=tcp,reason=truncated}': 1,
      'packetd_decode_errors_total{layer=ipv4,reason=truncated}': 1,
    });
  });

  it('counts malformed headers by reason and keeps going', () => {
    const { packets, counters } = decodeAll([
      rawPacket(228, ipv4('1.1.1.1', '2.2.2.2', { protocol: 6, ihl: 3 }, tcp(1, 2, body))),
      rawPacket(228, ipv4('1.1.1.1', '2.2.2.2', { protocol: 6, totalLength: 12 }, tcp(1, 2, body))),
      rawPacket(1, ethernet(0x0800, v6Udp)),
      rawPacket(228, ipv4('1.1.1.1', '2.2.2.2', { protocol: 6 }, Buffer.from([0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0]))),
      rawPacket(228, ipv4('1.1.1.1', '2.2.2.2', { protocol: 17 }, Buffer.from([0, 1, 0, 2, 0, 4, 0, 0]))),
      rawPacket(228, ipv4('1.1.1.1', '2.2.2.2', { protocol: 17 }, Buffer.from([0, 1, 0, 2, 0, 99, 0, 0]))),
      rawPacket(228, ipv4('1.1.1.1', '2.2.2.2', { protocol: 1 }, Buffer.alloc(8))),
      rawPacket(228, v4Tcp),
    ]);
    expect(packets).toHaveLength(1);
    expect(counters).toMatchObject({
      'packetd_frames_total{result=ok}': 1,
      'packetd_frames_total{result=other_transport}': 1,
      'packetd_frames_total{result=malformed}': 6,
    });
    expect(errors(counters)).toEqual({
      'packetd_decode_errors_total{layer=ipv4,reason=bad_header_length}': 1,
      'packetd_decode_errors_total{layer=ipv4,reason=bad_total_length}': 1,
      'packetd_decode_errors_total{layer=ipv4,reason=bad_version}': 1,
      'packetd_decode_errors_total{layer=tcp,reason=bad_header_length}': 1,
      'packetd_decode_errors_total{layer=udp,reason=bad_length}': 2,
    });
  });
});

describe('IPv6 extension headers', () => {
  const segment = tcp(4000, 443, body);

  it('walks hop-by-hop, routing, destination options and AH to the transport header', () => {
    const ah = Buffer.alloc(16);
    ah[0] = 6;
    ah[1] = 16 / 4 - 2;
    const chain = Buffer.concat([
      extensionHeader(43, Buffer.alloc(4)),
      extensionHeader(60, Buffer.alloc(12)),
      extensionHeader(51, Buffer.alloc(4)),
      ah,
      segment,
    ]);
    expect(decodeOne(rawPacket(229, ipv6('fd00::1', 'fd00::2', 0, chain)))).toMatchObject({ proto: 6, srcPort: 4000, payload: body });
  });

  it('stops at ESP and no-next-header, and at an atomic fragment header goes on', () => {
    const atomic = Buffer.concat([fragmentHeader(6, 0, false, 77), segment]);
    const { packets, counters } = decodeAll([
      rawPacket(229, ipv6('fd00::1', 'fd00::2', 50, Buffer.alloc(16))),
      rawPacket(229, ipv6('fd00::1', 'fd00::2', 59, Buffer.alloc(8))),
      rawPacket(229, ipv6('fd00::1', 'fd00::2', 44, atomic)),
    ]);
    expect(packets).toMatchObject([{ srcPort: 4000, payload: body }]);
    expect(counters['packetd_frames_total{result=other_transport}']).toBe(2);
  });

  it('reads a jumbogram length from the hop-by-hop jumbo payload option', () => {
    const jumbo = Buffer.from([0xc2, 4, 0, 0, 0, 0]);
    const hopByHop = extensionHeader(6, jumbo);
    hopByHop.writeUInt32BE(hopByHop.length + segment.length, 4);
    expect(decodeOne(rawPacket(229, ipv6('fd00::1', 'fd00::2', 0, Buffer.concat([hopByHop, segment]), 0)))).toMatchObject({
      payloadLength: body.length,
      payload: body,
    });
  });

  it('bounds the chain and counts headers that do not fit', () => {
    let chain = segment;
    for (let i = 0; i < 20; i++) chain = Buffer.concat([extensionHeader(i === 0 ? 6 : 60, Buffer.alloc(6)), chain]);
    const overlong = extensionHeader(6, Buffer.alloc(6));
    overlong[1] = 200;
    const { counters } = decodeAll([
      rawPacket(229, ipv6('fd00::1', 'fd00::2', 60, chain)),
      rawPacket(229, ipv6('fd00::1', 'fd00::2', 60, Buffer.concat([overlong, segment]))),
      rawPacket(229, ipv6('fd00::1', 'fd00::2', 17, Buffer.alloc(0), 0)),
    ]);
    expect(errors(counters)).toEqual({
      'packetd_decode_errors_total{layer=ipv6,reason=too_many_extensions}': 1,
      'packetd_decode_errors_total{layer=ipv6,reason=bad_payload_length}': 2,
    });
  });
});
