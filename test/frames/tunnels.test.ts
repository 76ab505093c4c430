/**
 * Tunnel unwrapping, frame by frame, on frames built byte by byte (frame-builder.ts): the cases
 * the recorded captures (tunnels.golden.test.ts) do not hold — malformed and unsupported headers,
 * the nesting bound, outer fragments, PPTP, ERSPAN type I and IP frames, MPLS and PPPoE oddities.
 */
import { describe, expect, it } from 'vitest';
import type { FrameDecoderOptions } from '../../src/frames/frame-decoder.js';
import { LINKTYPE_C_HDLC, LINKTYPE_ETHERNET, LINKTYPE_PPP, LINKTYPE_PPP_HDLC } from '../../src/frames/link.js';
import type { Packet, RawPacket } from '../../src/model/packet.js';
import { decodeAll, ethernet, geneve, gre, ipv4, ipv6, mpls, pppoe, rawPacket, tcp, udp, vxlan } from './frame-builder.js';

const body = Buffer.from('GET / HTTP/1.1\r\n\r\n');
const innerV4 = ipv4('192.168.1.1', '192.168.1.2', { protocol: 6 }, tcp(40000, 80, body));
const innerV6 = ipv6('fd00::1', 'fd00::2', 17, udp(5353, 53, body));
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const TEB = 0x6558;

const onEthernet = (ethertype: number, payload: Buffer): RawPacket => rawPacket(LINKTYPE_ETHERNET, ethernet(ethertype, payload));
const overV4 = (protocol: number, payload: Buffer): RawPacket =>
  onEthernet(ETHERTYPE_IPV4, ipv4('10.0.0.1', '10.0.0.2', { protocol }, payload));
const overUdp = (port: number, payload: Buffer): RawPacket => overV4(17, udp(50000, port, payload));

function decodeOne(raw: RawPacket, options: FrameDecoderOptions = {}): { packet: Packet | undefined; counters: Record<string, number> } {
  const { packets, counters } = decodeAll([raw], options);
  return { packet: packets[0], counters };
}

const innerOf = (p: Packet | undefined): string | undefined => p && `${p.src}:${p.srcPort} > ${p.dst}:${p.dstPort} ${p.payloadLength}`;
const V4_INNER = '192.168.1.1:40000 > 192.168.1.2:80 18';
const V6_INNER = 'fd00::1:5353 > fd00::2:53 18';
const outer = { 'network.tunnel.source.address': '10.0.0.1', 'network.tunnel.destination.address': '10.0.0.2' };
const errors = (counters: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counters).filter(([key]) => key.startsWith('packetd_decode_errors_total')));

describe('UDP tunnels', () => {
  it('unwraps VXLAN: the inner packet with the VNI and the outer addresses, counted', () => {
    const { packet, counters } = decodeOne(overUdp(4789, vxlan(42, ethernet(ETHERTYPE_IPV4, innerV4))));
    expect(innerOf(packet)).toBe(V4_INNER);
    expect(packet!.payload.toString()).toBe(body.toString());
    expect(packet!.tunnel).toEqual({ 'network.tunnel.type': 'vxlan', ...outer, 'network.tunnel.id': 42, 'network.tunnel.depth': 1 });
    expect(counters['packetd_tunnel_packets_total{type=vxlan}']).toBe(1);
    expect(counters['packetd_frames_total{result=ok}']).toBe(1);
  });

  it('decodes a datagram to 4789 without the VXLAN I flag as plain UDP', () => {
    const { packet, counters } = decodeOne(overUdp(4789, vxlan(42, ethernet(ETHERTYPE_IPV4, innerV4), 0)));
    expect(innerOf(packet)).toBe(`10.0.0.1:50000 > 10.0.0.2:4789 ${8 + 14 + innerV4.length}`);
    expect(packet!.tunnel).toBeUndefined();
    expect(counters['packetd_tunnel_packets_total{type=vxlan}']).toBeUndefined();
  });

  it('counts a VXLAN header cut short as a decode error', () => {
    const { packet, counters } = decodeOne(overUdp(4789, Buffer.from([0x08, 0, 0, 0])));
    expect(packet).toBeUndefined();
    expect(errors(counters)).toEqual({ 'packetd_decode_errors_total{layer=vxlan,reason=truncated}': 1 });
  });

  it('unwraps Geneve past its options, with IP straight inside (protocol 0x0800)', () => {
    const options = Buffer.from('01038001cafef00d', 'hex');
    const { packet } = decodeOne(overUdp(6081, geneve(0x123456, ETHERTYPE_IPV4, innerV4, options)));
    expect(innerOf(packet)).toBe(V4_INNER);
    expect(packet!.tunnel).toMatchObject({ 'network.tunnel.type': 'geneve', 'network.tunnel.id': 0x123456 });
  });

  it('unwraps Geneve carrying Ethernet, and leaves a Geneve version it does not know as plain UDP', () => {
    expect(innerOf(decodeOne(overUdp(6081, geneve(7, TEB, ethernet(ETHERTYPE_IPV6, innerV6)))).packet)).toBe(V6_INNER);
    const unknown = decodeOne(overUdp(6081, geneve(7, TEB, ethernet(ETHERTYPE_IPV6, innerV6), Buffer.alloc(0), 1))).packet;
    expect(unknown!.dstPort).toBe(6081);
    expect(unknown!.tunnel).toBeUndefined();
  });
});

describe('GRE and ERSPAN', () => {
  it('skips checksum, key and sequence number; the key is the tunnel id', () => {
    const frame = overV4(47, gre(TEB, ethernet(ETHERTYPE_IPV6, innerV6), { checksum: true, key: 1001, sequence: 5 }));
    const { packet } = decodeOne(frame);
    expect(innerOf(packet)).toBe(V6_INNER);
    expect(packet!.tunnel).toEqual({ 'network.tunnel.type': 'gre', ...outer, 'network.tunnel.id': 1001, 'network.tunnel.depth': 1 });
  });

  it('gives no id to GRE without a key', () => {
    const { packet } = decodeOne(overV4(47, gre(ETHERTYPE_IPV4, innerV4)));
    expect(innerOf(packet)).toBe(V4_INNER);
    expect(packet!.tunnel).not.toHaveProperty('network.tunnel.id');
  });

  it('counts source-routed (RFC 1701) and unknown GRE versions as unsupported', () => {
    const routed = decodeOne(overV4(47, gre(ETHERTYPE_IPV4, innerV4, { flags: 0x4000 })));
    const version2 = decodeOne(overV4(47, gre(ETHERTYPE_IPV4, innerV4, { flags: 0x0002 })));
    for (const { packet, counters } of [routed, version2]) {
      expect(packet).toBeUndefined();
      expect(errors(counters)).toEqual({ 'packetd_decode_errors_total{layer=gre,reason=unsupported}': 1 });
    }
  });

  it('unwraps PPTP: enhanced GRE (version 1) with the call id, PPP with a compressed protocol field', () => {
    // Flags K and S, version 1; key = payload length (2 bytes) and call id 0x77; sequence number.
    const header = Buffer.from('3001880b' + '00130077' + '00000001', 'hex');
    const { packet } = decodeOne(overV4(47, Buffer.concat([header, Buffer.from([0x21]), innerV4])));
    expect(innerOf(packet)).toBe(V4_INNER);
    expect(packet!.tunnel).toMatchObject({ 'network.tunnel.type': 'gre', 'network.tunnel.id': 0x77 });
  });

  it('unwraps ERSPAN type I (no sequence number, no header) and type III mirroring IP (frame type 2)', () => {
    const typeI = decodeOne(overV4(47, gre(0x88be, ethernet(ETHERTYPE_IPV4, innerV4)))).packet;
    expect(innerOf(typeI)).toBe(V4_INNER);
    expect(typeI!.tunnel).toEqual({ 'network.tunnel.type': 'erspan', ...outer, 'network.tunnel.depth': 1 });
    // Version 2, session 300; timestamp; SGT 0; FT 2 (IP), no platform subheader.
    const typeIII = Buffer.from('2000012c' + '00000000' + '0000' + (2 << 10).toString(16).padStart(4, '0'), 'hex');
    const ip = decodeOne(overV4(47, gre(0x22eb, Buffer.concat([typeIII, innerV6]), { sequence: 1 }))).packet;
    expect(innerOf(ip)).toBe(V6_INNER);
    expect(ip!.tunnel).toMatchObject({ 'network.tunnel.type': 'erspan', 'network.tunnel.id': 300 });
  });

  it('counts an ERSPAN type II header of another version', () => {
    const header = Buffer.from('20000064' + '00000000', 'hex');
    const { counters } = decodeOne(overV4(47, gre(0x88be, Buffer.concat([header, ethernet(ETHERTYPE_IPV4, innerV4)]), { sequence: 1 })));
    expect(errors(counters)).toEqual({ 'packetd_decode_errors_total{layer=erspan,reason=bad_version}': 1 });
  });
});

describe('IP in IP', () => {
  it.each([
    ['IPv4 in IPv4', overV4(4, innerV4), V4_INNER, '10.0.0.1'],
    ['IPv6 in IPv4 (6in4)', overV4(41, innerV6), V6_INNER, '10.0.0.1'],
    ['IPv6 in IPv6', onEthernet(ETHERTYPE_IPV6, ipv6('2001:db8::1', '2001:db8::2', 41, innerV6)), V6_INNER, '2001:db8::1'],
    ['IPv4 in IPv6', onEthernet(ETHERTYPE_IPV6, ipv6('2001:db8::1', '2001:db8::2', 4, innerV4)), V4_INNER, '2001:db8::1'],
  ])('%s', (_name, frame, inner, outerSource) => {
    const { packet, counters } = decodeOne(frame);
    expect(innerOf(packet)).toBe(inner);
    expect(packet!.tunnel).toMatchObject({ 'network.tunnel.type': 'ipip', 'network.tunnel.source.address': outerSource });
    expect(packet!.tunnel).not.toHaveProperty('network.tunnel.id');
    expect(counters['packetd_tunnel_packets_total{type=ipip}']).toBe(1);
  });

  it('reassembles a tunnel packet fragmented in the outer IP header, then unwraps it', () => {
    const payload = gre(ETHERTYPE_IPV4, ipv4('192.168.1.1', '192.168.1.2', { protocol: 6 }, tcp(40000, 80, Buffer.alloc(2000, 0x61))), { key: 9 });
    const first = ipv4('10.0.0.1', '10.0.0.2', { protocol: 47, id: 3, moreFragments: true }, payload.subarray(0, 1480));
    const last = ipv4('10.0.0.1', '10.0.0.2', { protocol: 47, id: 3, fragmentOffset: 1480 }, payload.subarray(1480));
    const { packets } = decodeAll([onEthernet(ETHERTYPE_IPV4, first), onEthernet(ETHERTYPE_IPV4, last)]);
    expect(packets.map(innerOf)).toEqual(['192.168.1.1:40000 > 192.168.1.2:80 2000']);
    expect(packets[0]!.tunnel).toMatchObject({ 'network.tunnel.type': 'gre', 'network.tunnel.id': 9 });
  });
});

describe('MPLS and PPPoE', () => {
  it('walks an MPLS label stack; the bottom label is the id; IP by its first nibble', () => {
    const { packet } = decodeOne(onEthernet(0x8847, mpls([16001, 300], innerV6)));
    expect(innerOf(packet)).toBe(V6_INNER);
    expect(packet!.tunnel).toEqual({ 'network.tunnel.type': 'mpls', 'network.tunnel.id': 300, 'network.tunnel.depth': 1 });
  });

  it('counts a stack of more than 16 labels, and calls a pseudowire control word not IP', () => {
    const deep = decodeOne(onEthernet(0x8847, mpls(new Array<number>(17).fill(100), innerV4)));
    expect(errors(deep.counters)).toEqual({ 'packetd_decode_errors_total{layer=mpls,reason=too_many_labels}': 1 });
    const controlWord = Buffer.alloc(4);
    const pseudowire = decodeOne(onEthernet(0x8848, mpls([100], Buffer.concat([controlWord, ethernet(ETHERTYPE_IPV4, innerV4)]))));
    expect(pseudowire.packet).toBeUndefined();
    expect(pseudowire.counters['packetd_frames_total{result=non_ip}']).toBe(1);
  });

  it('keeps the outermost tunnel for MPLS inside GRE, at depth 2', () => {
    const { packet, counters } = decodeOne(overV4(47, gre(0x8847, mpls([500], innerV4), { key: 4 })));
    expect(innerOf(packet)).toBe(V4_INNER);
    expect(packet!.tunnel).toEqual({ 'network.tunnel.type': 'gre', ...outer, 'network.tunnel.id': 4, 'network.tunnel.depth': 2 });
    expect(counters['packetd_tunnel_packets_total{type=mpls}']).toBe(1);
    expect(counters['packetd_tunnel_packets_total{type=gre}']).toBe(1);
  });

  it('unwraps a PPPoE session; discovery frames and PPP control protocols are not IP', () => {
    const { packet } = decodeOne(onEthernet(0x8864, pppoe(0x1234, 0x0057, innerV6)));
    expect(innerOf(packet)).toBe(V6_INNER);
    expect(packet!.tunnel).toEqual({ 'network.tunnel.type': 'pppoe', 'network.tunnel.id': 0x1234, 'network.tunnel.depth': 1 });
    const discovery = onEthernet(0x8863, pppoe(0, 0x0101, Buffer.alloc(4), 0x09));
    const lcp = onEthernet(0x8864, pppoe(0x1234, 0xc021, Buffer.alloc(8)));
    const { packets, counters } = decodeAll([discovery, lcp]);
    expect(packets).toEqual([]);
    expect(counters['packetd_frames_total{result=non_ip}']).toBe(2);
    expect(errors(counters)).toEqual({});
  });

  it('counts a PPPoE header cut short', () => {
    const { counters } = decodeOne(onEthernet(0x8864, Buffer.from('1100', 'hex')));
    expect(errors(counters)).toEqual({ 'packetd_decode_errors_total{layer=pppoe,reason=truncated}': 1 });
  });
});

describe('nesting', () => {
  const nested = (levels: number): RawPacket => {
    let packet = innerV4;
    for (let i = 0; i < levels; i++) packet = ipv4(`10.0.${i}.1`, `10.0.${i}.2`, { protocol: 4 }, packet);
    return onEthernet(ETHERTYPE_IPV4, packet);
  };

  it('unwraps 4 levels by default, keeping the outermost tunnel and the depth', () => {
    const { packet } = decodeOne(nested(4));
    expect(innerOf(packet)).toBe(V4_INNER);
    expect(packet!.tunnel).toMatchObject({ 'network.tunnel.source.address': '10.0.3.1', 'network.tunnel.depth': 4 });
  });

  it('counts a frame nested deeper than maxTunnelDepth as a decode error', () => {
    const { packet, counters } = decodeOne(nested(5));
    expect(packet).toBeUndefined();
    expect(errors(counters)).toEqual({ 'packetd_decode_errors_total{layer=tunnel,reason=too_deep}': 1 });
    expect(innerOf(decodeOne(nested(5), { maxTunnelDepth: 5 }).packet)).toBe(V4_INNER);
  });
});

describe('packets outside tunnels', () => {
  it('have no tunnel; consecutive packets of one tunnel share one attributes object', () => {
    const plain = onEthernet(ETHERTYPE_IPV4, innerV4);
    const tunnelled = overUdp(4789, vxlan(42, ethernet(ETHERTYPE_IPV4, innerV4)));
    const other = overUdp(4789, vxlan(43, ethernet(ETHERTYPE_IPV4, innerV4)));
    const { packets } = decodeAll([plain, tunnelled, tunnelled, plain, other]);
    expect(packets.map((p) => p.tunnel?.['network.tunnel.id'])).toEqual([undefined, 42, 42, undefined, 43]);
    expect(packets[1]!.tunnel).toBe(packets[2]!.tunnel);
  });
});

describe('PPP and Cisco HDLC link types', () => {
  it.each([
    ['Cisco HDLC', LINKTYPE_C_HDLC, Buffer.concat([Buffer.from('0f000800', 'hex'), innerV4]), V4_INNER],
    ['Cisco HDLC carrying MPLS', LINKTYPE_C_HDLC, Buffer.concat([Buffer.from('0f008847', 'hex'), mpls([20], innerV6)]), V6_INNER],
    ['PPP with address and control', LINKTYPE_PPP, Buffer.concat([Buffer.from('ff030057', 'hex'), innerV6]), V6_INNER],
    ['PPP without them', LINKTYPE_PPP, Buffer.concat([Buffer.from('0021', 'hex'), innerV4]), V4_INNER],
    ['PPP in HDLC framing', LINKTYPE_PPP_HDLC, Buffer.concat([Buffer.from('ff030021', 'hex'), innerV4]), V4_INNER],
    ['Cisco PPP in HDLC framing', LINKTYPE_PPP_HDLC, Buffer.concat([Buffer.from('8f000800', 'hex'), innerV4]), V4_INNER],
  ])('%s', (_name, linkType, frame, inner) => {
    const { packet, counters } = decodeOne(rawPacket(linkType, frame));
    expect(innerOf(packet)).toBe(inner);
    expect(errors(counters)).toEqual({});
  });

  it('counts a Cisco HDLC header cut short as a link error, and SLARP as not IP', () => {
    expect(errors(decodeOne(rawPacket(LINKTYPE_C_HDLC, Buffer.from('0f00', 'hex'))).counters)).toEqual({
      'packetd_decode_errors_total{layer=link,reason=truncated}': 1,
    });
    const slarp = decodeOne(rawPacket(LINKTYPE_C_HDLC, Buffer.from('8f008035000000000000', 'hex')));
    expect(slarp.counters['packetd_frames_total{result=non_ip}']).toBe(1);
  });
});
