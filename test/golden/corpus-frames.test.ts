/**
 * Link types, VLAN stacks and IP fragments from other projects' test suites: decodeFrames
 * must find the TCP/UDP packets tshark finds (after IP reassembly), skip what is not TCP/UDP
 * without complaint, count malformed frames as decode errors, and the whole chain must get
 * through every file.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { Stats } from '../../src/pipeline/stats.js';
import { protocolNames } from '../../src/protocols/registry.js';
import { readCapture } from '../../src/sources/index.js';
import { corpusPath, decodeErrors, runChain } from './chain.js';
import { tsharkFields } from '../helpers/tshark.js';

const FILES = [
  { file: 'tcpdump/802.1ad_QinQ.pcap', holds: 'ARP inside 802.1ad + 802.1Q tags', malformed: false },
  { file: 'tcpdump/LINKTYPE_RAW_ipv4.pcap', holds: 'raw IPv4 (no link header), UDP/DNS', malformed: false },
  { file: 'tcpdump/LINKTYPE_RAW_ipv6.pcap', holds: 'raw IPv6 (no link header), UDP/DNS', malformed: false },
  { file: 'tcpdump/loopback.pcap', holds: 'Ethernet configuration-testing (LOOP) frames', malformed: false },
  { file: 'gopacket/pcap/test_loopback.pcap', holds: 'BSD loopback (DLT_NULL) TCP', malformed: false },
  { file: 'gopacket/pcap/test_ethernet.pcap', holds: 'Ethernet TCP', malformed: false },
  { file: 'deepflow/ip-fragment.pcap', holds: 'UDP datagrams in three IPv4 fragments each', malformed: false },
  { file: 'tcpdump/ip6_frag_asan.pcap', holds: 'IPv6 fragment header cut by the snaplen', malformed: true },
  { file: 'tcpdump/ipv6_frag6_negative_len.pcap', holds: 'IPv6 fragment with payload length 0', malformed: true },
];

interface TransportView {
  proto: number;
  srcPort: number;
  dstPort: number;
  payloadLength: number;
}

async function decodedPackets(path: string): Promise<{ packets: TransportView[]; stats: Stats }> {
  const stats = new Stats();
  const packets = await lastValueFrom(readCapture(path, { stats }).pipe(decodeFrames({ stats }), toArray()));
  return {
    packets: packets.map((p) => ({ proto: p.proto, srcPort: p.srcPort, dstPort: p.dstPort, payloadLength: p.payloadLength })),
    stats,
  };
}

/** tshark's TCP/UDP frames (a fragmented datagram shows on its last fragment). */
function tsharkTransport(path: string): TransportView[] {
  const fields = ['tcp.srcport', 'tcp.dstport', 'tcp.len', 'udp.srcport', 'udp.dstport', 'udp.length'];
  return tsharkFields(path, fields, { filter: 'tcp or udp' }).map(([tsport, tdport, tlen, usport, udport, ulen]) =>
    tsport.length > 0
      ? { proto: 6, srcPort: Number(tsport[0]), dstPort: Number(tdport[0]), payloadLength: Number(tlen[0]) }
      : { proto: 17, srcPort: Number(usport[0]), dstPort: Number(udport[0]), payloadLength: Number(ulen[0]) - 8 },
  );
}

describe.each(FILES)('$file ($holds)', ({ file, malformed }) => {
  const path = corpusPath(file);

  it(malformed ? 'counts the malformed frame as a decode error' : 'decodes the TCP/UDP packets tshark sees, without errors', async () => {
    const { packets, stats } = await decodedPackets(path);
    if (malformed) {
      expect(packets).toEqual([]);
      expect(Object.keys(decodeErrors(stats)).length).toBeGreaterThan(0);
    } else {
      expect(packets).toEqual(tsharkTransport(path));
      expect(decodeErrors(stats)).toEqual({});
    }
  });

  it('runs through the whole chain with every protocol and detection on', async () => {
    const rules = protocolNames().map((protocol) => ({ protocol }));
    await expect(runChain(path, rules, true)).resolves.toHaveProperty('roundtrips');
  });
});
