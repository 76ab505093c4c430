/**
 * Tunnelled captures (captures/README.md, "Tunnels"): packetd must decode the packets inside
 * exactly as tshark reads its innermost layers (addresses, ports, lengths, payload bytes), with
 * the outermost tunnel's type, outer addresses and identifier in `packet.tunnel`, and each
 * unwrapped header counted.
 *
 * tunnel-vxlan*.pcap are real: curl and python's http.server over Linux VXLAN devices between
 * two network namespaces, recorded on the underlay veth (scripts/record-tunnels.sh). This
 * kernel has no gre, geneve, ipip, sit, ip6tnl or mpls_router, and nothing here speaks PPPoE or
 * Cisco HDLC: the other captures are built by scripts/build-tunnels.py, which wraps the real
 * inner frames of tunnel-vxlan.pcap in each encapsulation, byte by byte from the RFCs. tshark
 * reads every one of them as the same HTTP traffic. The public corpus (../shared/corpus) holds
 * no tunnelled capture.
 */
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import { Stats } from '../../src/pipeline/stats.js';
import { capturePath, decodeErrors } from '../golden/chain.js';
import { tsharkFields, tsharkRuns } from '../helpers/tshark.js';
import { packetdRows, tsharkRows } from './decode-corpus.js';

const hasTshark = tsharkRuns();
if (!hasTshark) console.warn('tshark is not installed: the tunnel captures are not compared with its reading');

interface TunnelCapture {
  file: string;
  /** `network.tunnel.type` of every packet. */
  type: string;
  /** tshark fields naming the tunnel's identifier (the first that is present is the one), or none. */
  idFields: string[];
  /** The outer header is IP (its addresses are the tunnel's), and which version: 'ip' or 'ipv6'. */
  outer?: 'ip' | 'ipv6';
  depth?: number;
  /** How tshark counts this tunnel's headers: occurrences of `field` (default: frames) in frames matching `filter`. */
  filter: string;
  field?: string;
}

const CAPTURES: TunnelCapture[] = [
  // Also holds the nested device's multicast listener reports (two VXLAN headers each).
  { file: 'tunnel-vxlan.pcap', type: 'vxlan', idFields: ['vxlan.vni'], outer: 'ip', filter: 'vxlan', field: 'vxlan.vni' },
  { file: 'tunnel-vxlan-ipv6.pcap', type: 'vxlan', idFields: ['vxlan.vni'], outer: 'ipv6', filter: 'vxlan', field: 'vxlan.vni' },
  { file: 'tunnel-vxlan-nested.pcap', type: 'vxlan', idFields: ['vxlan.vni'], outer: 'ip', depth: 2, filter: 'vxlan', field: 'vxlan.vni' },
  { file: 'tunnel-geneve.pcap', type: 'geneve', idFields: ['geneve.vni'], outer: 'ip', filter: 'geneve' },
  { file: 'tunnel-gretap.pcap', type: 'gre', idFields: ['gre.key'], outer: 'ip', filter: 'gre' },
  { file: 'tunnel-gre.pcap', type: 'gre', idFields: [], outer: 'ip', filter: 'gre' },
  { file: 'tunnel-erspan.pcap', type: 'erspan', idFields: ['erspan.spanid'], outer: 'ip', filter: 'erspan' },
  { file: 'tunnel-ipip.pcap', type: 'ipip', idFields: [], filter: 'ip.proto == 4 || ip.proto == 41 || ipv6.nxt == 4' },
  { file: 'tunnel-mpls.pcap', type: 'mpls', idFields: ['mpls.label'], filter: 'mpls' },
  { file: 'tunnel-pppoe.pcap', type: 'pppoe', idFields: ['pppoe.session_id'], filter: 'pppoes' },
];

/** Link types, not tunnels: the packets come out plain, with no tunnel attributes. */
const LINK_TYPES = ['tunnel-chdlc.pcap', 'tunnel-ppp.pcap'];

/** What tshark says of each TCP frame's tunnel: outer addresses (the outermost IP header) and identifier. */
function tsharkTunnels(file: string, capture: TunnelCapture): Map<number, Record<string, string | number>> {
  const fields = ['frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', ...capture.idFields];
  const byFrame = new Map<number, Record<string, string | number>>();
  for (const [[frame], [protocols], ipSrc, ipDst, ip6Src, ip6Dst, ...ids] of tsharkFields(capturePath(file), fields, { filter: 'tcp' })) {
    const layers = protocols!.split(':');
    const attributes: Record<string, string | number> = { 'network.tunnel.type': capture.type };
    // The outermost IP layer is the first of its version (tshark lists occurrences outermost first).
    const outerIsV4 = layers.indexOf('ip') >= 0 && (layers.indexOf('ipv6') < 0 || layers.indexOf('ip') < layers.indexOf('ipv6'));
    if (capture.outer !== undefined || capture.type === 'ipip') {
      attributes['network.tunnel.source.address'] = (outerIsV4 ? ipSrc : ip6Src)![0]!;
      attributes['network.tunnel.destination.address'] = (outerIsV4 ? ipDst : ip6Dst)![0]!;
    }
    const id = ids.find((values) => values.length > 0);
    // MPLS: the bottom label of the stack (tshark lists them top first).
    if (id !== undefined) attributes['network.tunnel.id'] = Number(capture.type === 'mpls' ? id[id.length - 1] : id[0]);
    attributes['network.tunnel.depth'] = capture.depth ?? 1;
    byFrame.set(Number(frame), attributes);
  }
  return byFrame;
}

function tsharkCount(file: string, filter: string, field = 'frame.number'): number {
  return tsharkFields(capturePath(file), [field], { filter }).reduce((sum, [values]) => sum + values!.length, 0);
}

async function decode(file: string): Promise<{ rows: Awaited<ReturnType<typeof packetdRows>>['rows']; packets: Packet[]; stats: Stats }> {
  const stats = new Stats();
  const { rows, packets } = await packetdRows(capturePath(file), stats);
  return { rows, packets, stats };
}

describe.each(CAPTURES)('$file', (capture) => {
  it.skipIf(!hasTshark)('decodes the packets inside as tshark reads its innermost layers', async () => {
    const { rows, stats } = await decode(capture.file);
    const expected = await tsharkRows(capturePath(capture.file));
    expect(expected.length).toBeGreaterThan(20);
    expect(rows).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });

  it.skipIf(!hasTshark)('keeps the outer addresses and the tunnel id tshark reads, on every packet', async () => {
    const { rows, packets } = await decode(capture.file);
    const expected = tsharkTunnels(capture.file, capture);
    const seen = new Map<number, Packet['tunnel']>();
    rows.forEach((row, i) => {
      if (row.transport === 'tcp') seen.set(row.frame, packets[i]!.tunnel);
    });
    expect(seen).toEqual(expected);
  });

  it.skipIf(!hasTshark)('counts each tunnel header it unwrapped', async () => {
    const { stats } = await decode(capture.file);
    const counted = stats.snapshot()[`packetd_tunnel_packets_total{type=${capture.type}}`];
    expect(counted).toBe(tsharkCount(capture.file, capture.filter, capture.field));
  });
});

describe.each(LINK_TYPES)('%s', (file) => {
  it.skipIf(!hasTshark)('decodes the link type as tshark does, without tunnel attributes', async () => {
    const { rows, packets, stats } = await decode(file);
    expect(rows).toEqual(await tsharkRows(capturePath(file)));
    expect(rows.length).toBeGreaterThan(20);
    expect(packets.every((p) => p.tunnel === undefined)).toBe(true);
    expect(decodeErrors(stats)).toEqual({});
  });
});

describe('what is not TCP or UDP inside a tunnel', () => {
  it.skipIf(!hasTshark)('counts inner ARP as non-IP and inner ICMPv6 as another transport, as tshark reads them', async () => {
    const arp = (await decode('tunnel-vxlan-ipv6.pcap')).stats.snapshot();
    expect(arp['packetd_frames_total{result=non_ip}']).toBe(tsharkCount('tunnel-vxlan-ipv6.pcap', 'vxlan && arp'));
    const icmp = (await decode('tunnel-vxlan.pcap')).stats.snapshot();
    expect(icmp['packetd_frames_total{result=other_transport}']).toBe(tsharkCount('tunnel-vxlan.pcap', 'vxlan && icmpv6'));
    expect(arp['packetd_frames_total{result=non_ip}']! * icmp['packetd_frames_total{result=other_transport}']!).toBeGreaterThan(0);
  });
});
