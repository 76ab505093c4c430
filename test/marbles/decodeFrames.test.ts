import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_SYN, type Packet, type RawPacket } from '../../src/model/packet.js';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { Stats } from '../../src/pipeline/stats.js';
import { ethernet, gre, ipv4, ipv6, linuxSll, linuxSll2, rawPacket, tcp, udp, vxlan } from '../frames/frame-builder.js';

const ETHERNET = 1;
const LINUX_SLL = 113;
const LINUX_SLL2 = 276;

function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const request = Buffer.from('GET / HTTP/1.1\r\n\r\n');
const syn = { seq: 7, ack: 0, flags: TCP_SYN, window: 65535 };
const ack = { seq: 8, ack: 100, flags: TCP_ACK, window: 512 };

const ethernetTcp = rawPacket(ETHERNET, ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', { protocol: 6 }, tcp(40000, 80, Buffer.alloc(0), syn))));
const arp = rawPacket(ETHERNET, ethernet(0x0806, Buffer.alloc(28)));
const qinqUdp = rawPacket(
  ETHERNET,
  ethernet(0x0800, ipv4('192.168.1.1', '192.168.1.53', { protocol: 17 }, udp(5353, 53, Buffer.from('query'))), [
    [0x88a8, 100],
    [0x8100, 200],
  ]),
);
const wholeFrame = ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', { protocol: 6 }, tcp(40000, 80, request, ack)));
/** Snaplen 64: the frame lost the tail of its payload in capture. */
const snapped = rawPacket(ETHERNET, wholeFrame.subarray(0, 64), 1_000_000, wholeFrame.length);
const badIhl = rawPacket(ETHERNET, ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', { protocol: 6, ihl: 4 }, tcp(1, 2, Buffer.alloc(0)))));
const sllTcp = rawPacket(LINUX_SLL, linuxSll(0x86dd, ipv6('fd00::1', 'fd00::2', 6, tcp(40001, 6379, request, ack))));
const sll2Udp = rawPacket(LINUX_SLL2, linuxSll2(0x0800, ipv4('127.0.0.1', '127.0.0.53', { protocol: 17 }, udp(40002, 53, request))));

const datagram = udp(7000, 7001, Buffer.alloc(3000, 0x61));
const firstFragment = rawPacket(
  ETHERNET,
  ethernet(0x0800, ipv4('10.1.0.1', '10.1.0.2', { protocol: 17, id: 9, moreFragments: true }, datagram.subarray(0, 1480))),
);
const lastFragment = rawPacket(
  ETHERNET,
  ethernet(0x0800, ipv4('10.1.0.1', '10.1.0.2', { protocol: 17, id: 9, fragmentOffset: 1480 }, datagram.subarray(1480))),
  2_000_000,
);

const innerTcp = ipv4('192.168.42.1', '192.168.42.2', { protocol: 6 }, tcp(40000, 18680, request, ack));
const vxlanTcp = rawPacket(
  ETHERNET,
  ethernet(0x0800, ipv4('198.18.0.1', '198.18.0.2', { protocol: 17 }, udp(51000, 4789, vxlan(42, ethernet(0x0800, innerTcp))))),
);
const greTcp = rawPacket(ETHERNET, ethernet(0x0800, ipv4('198.18.0.2', '198.18.0.1', { protocol: 47 }, gre(0x0800, innerTcp, { key: 7 }))));

function packet(raw: RawPacket, fields: Omit<Packet, 'raw' | 'ts'>): Packet {
  return { raw, ts: raw.ts, ...fields };
}

describe('decodeFrames', () => {
  it('decodes TCP and UDP over Ethernet, VLAN QinQ, Linux cooked v1/v2; skips non-IP and malformed frames', () => {
    const stats = new Stats();
    newScheduler().run(({ cold, expectObservable }) => {
      const raw = cold('-a-b-c-d-e-f-g-|', { a: ethernetTcp, b: arp, c: qinqUdp, d: snapped, e: badIhl, f: sllTcp, g: sll2Udp });
      const expected = '-A---C-D---F-G-|';
      expectObservable(raw.pipe(decodeFrames({ stats }))).toBe(expected, {
        A: packet(ethernetTcp, {
          ipVersion: 4,
          src: '10.0.0.1',
          dst: '10.0.0.2',
          proto: 6,
          srcPort: 40000,
          dstPort: 80,
          tcp: syn,
          payload: Buffer.alloc(0),
          payloadLength: 0,
        }),
        C: packet(qinqUdp, {
          ipVersion: 4,
          src: '192.168.1.1',
          dst: '192.168.1.53',
          proto: 17,
          srcPort: 5353,
          dstPort: 53,
          tcp: undefined,
          payload: Buffer.from('query'),
          payloadLength: 5,
        }),
        // 64 captured bytes - 14 Ethernet - 20 IPv4 - 20 TCP leave 10 of the 18 payload bytes.
        D: packet(snapped, {
          ipVersion: 4,
          src: '10.0.0.1',
          dst: '10.0.0.2',
          proto: 6,
          srcPort: 40000,
          dstPort: 80,
          tcp: ack,
          payload: request.subarray(0, 10),
          payloadLength: request.length,
        }),
        F: packet(sllTcp, {
          ipVersion: 6,
          src: 'fd00::1',
          dst: 'fd00::2',
          proto: 6,
          srcPort: 40001,
          dstPort: 6379,
          tcp: ack,
          payload: request,
          payloadLength: request.length,
        }),
        G: packet(sll2Udp, {
          ipVersion: 4,
          src: '127.0.0.1',
          dst: '127.0.0.53',
          proto: 17,
          srcPort: 40002,
          dstPort: 53,
          tcp: undefined,
          payload: request,
          payloadLength: request.length,
        }),
      });
    });
    expect(stats.snapshot()).toMatchObject({
      'packetd_frames_total{result=ok}': 5,
      'packetd_frames_total{result=non_ip}': 1,
      'packetd_frames_total{result=malformed}': 1,
      'packetd_decode_errors_total{layer=ipv4,reason=bad_header_length}': 1,
    });
  });

  it('emits a fragmented datagram once, reassembled, when its last fragment arrives', () => {
    const stats = new Stats();
    newScheduler().run(({ cold, expectObservable }) => {
      const raw = cold('-a-b-|', { a: firstFragment, b: lastFragment });
      expectObservable(raw.pipe(decodeFrames({ stats }))).toBe('---B-|', {
        B: packet(lastFragment, {
          ipVersion: 4,
          src: '10.1.0.1',
          dst: '10.1.0.2',
          proto: 17,
          srcPort: 7000,
          dstPort: 7001,
          tcp: undefined,
          payload: Buffer.alloc(3000, 0x61),
          payloadLength: 3000,
        }),
      });
    });
    expect(stats.snapshot()).toMatchObject({
      'packetd_frames_total{result=fragment_pending}': 1,
      'packetd_frames_total{result=ok}': 1,
      'packetd_ip_reassembly_total{result=completed}': 1,
    });
  });

  it('keeps fragment state per subscription and counts unfinished datagrams at the end', () => {
    const stats = new Stats();
    newScheduler().run(({ cold, expectObservable }) => {
      const decoded = cold('-a-|', { a: firstFragment }).pipe(decodeFrames({ stats }));
      expectObservable(decoded).toBe('---|');
      expectObservable(decoded).toBe('---|');
    });
    expect(stats.snapshot()['packetd_ip_reassembly_total{result=unfinished_at_end}']).toBe(2);
  });

  it('unwraps tunnels: the inner packet, with the outer addresses and id in tunnel; plain packets have none', () => {
    const stats = new Stats();
    const inner = {
      ipVersion: 4 as const,
      src: '192.168.42.1',
      dst: '192.168.42.2',
      proto: 6 as const,
      srcPort: 40000,
      dstPort: 18680,
      tcp: ack,
      payload: request,
      payloadLength: request.length,
    };
    newScheduler().run(({ cold, expectObservable }) => {
      const raw = cold('-v-g-a-|', { v: vxlanTcp, g: greTcp, a: ethernetTcp });
      expectObservable(raw.pipe(decodeFrames({ stats }))).toBe('-V-G-A-|', {
        V: packet(vxlanTcp, {
          ...inner,
          tunnel: {
            'network.tunnel.type': 'vxlan',
            'network.tunnel.source.address': '198.18.0.1',
            'network.tunnel.destination.address': '198.18.0.2',
            'network.tunnel.id': 42,
            'network.tunnel.depth': 1,
          },
        }),
        G: packet(greTcp, {
          ...inner,
          tunnel: {
            'network.tunnel.type': 'gre',
            'network.tunnel.source.address': '198.18.0.2',
            'network.tunnel.destination.address': '198.18.0.1',
            'network.tunnel.id': 7,
            'network.tunnel.depth': 1,
          },
        }),
        A: expect.objectContaining({ src: '10.0.0.1', tunnel: undefined }),
      });
    });
    expect(stats.snapshot()).toMatchObject({
      'packetd_frames_total{result=ok}': 3,
      'packetd_tunnel_packets_total{type=vxlan}': 1,
      'packetd_tunnel_packets_total{type=gre}': 1,
    });
  });

  it('passes errors of the source through', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const raw = cold('-a-#', { a: ethernetTcp }, new Error('capture cut'));
      expectObservable(raw.pipe(decodeFrames({ stats: new Stats() }))).toBe('-A-#', { A: expect.anything() }, new Error('capture cut'));
    });
  });
});
