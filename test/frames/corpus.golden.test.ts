/**
 * Golden tests: every capture of the public corpus decoded by packetd and by tshark must give
 * the same TCP/UDP packets (frame, addresses, ports, claimed payload length, payload bytes).
 * Captures where the two legitimately differ are checked against the right reading instead.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Stats } from '../../src/pipeline/stats.js';
import { corpusDir } from '../sources/helpers.js';
import { packetdRows, tsharkRows, type TransportRow } from './decode-corpus.js';

function captures(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return captures(file);
    return /\.pcap(ng)?$/.test(name) ? [file] : [];
  });
}

const corpusFile = (relative: string): string => path.join(corpusDir, relative);

/** Captures compared separately below, with the reason tshark's reading is not the reference. */
const SPECIAL = new Map<string, string>([
  // IPv6 payload length 0 on a BIG TCP segment: tshark calls it malformed, tcpdump decodes it.
  [corpusFile('tcpdump/bigtcp-ipv6.pcap'), 'bigtcp'],
  // pcapng version 2.0: the capture reader refuses the section; nothing for frames to decode.
  [corpusFile('gopacket/pcapgo/tests/be/test901.pcapng'), 'unreadable'],
  [corpusFile('gopacket/pcapgo/tests/le/test901.pcapng'), 'unreadable'],
]);

/** tshark numbers pcapng custom blocks as frames too: compare pcapng rows in order, without numbers. */
function comparable(file: string, rows: TransportRow[]): unknown[] {
  return file.endsWith('.pcapng') ? rows.map(({ frame: _frame, ...rest }) => rest) : rows;
}

describe('decodeFrames on the public corpus, against tshark', () => {
  const files = captures(corpusDir).filter((file) => !SPECIAL.has(file));

  it.concurrent.each(files.map((file) => [path.relative(corpusDir, file), file]))('%s', async (_name, file) => {
    const [{ rows }, tshark] = await Promise.all([packetdRows(file), tsharkRows(file)]);
    expect(comparable(file, rows)).toEqual(comparable(file, tshark));
  });

  it('reassembles the fragmented UDP datagrams of deepflow/ip-fragment.pcap where tshark does', async () => {
    // tshark shows the datagram on the frame completing it (3, 6, …), as packetd emits it.
    const stats = new Stats();
    const { rows } = await packetdRows(corpusFile('deepflow/ip-fragment.pcap'), stats);
    expect(rows.map((row) => [row.frame, row.payloadLength])).toEqual([3, 6, 9, 12, 15, 18].map((frame) => [frame, 3000]));
    expect(stats.snapshot()).toMatchObject({
      'packetd_ip_reassembly_total{result=completed}': 6,
      'packetd_frames_total{result=fragment_pending}': 12,
    });
  });

  it('decodes the TSO segment with IPv4 total length 0 by its frame length', async () => {
    const { rows } = await packetdRows(corpusFile('tcpdump/ipv4_tcp_http_xml_tso.pcap'));
    expect(rows).toMatchObject([{ src: '30.7.181.121', dst: '199.43.68.163', srcPort: 39556, dstPort: 8080, payloadLength: 1976 }]);
  });

  it('decodes the BIG TCP IPv6 segment (payload length 0) as tcpdump does', async () => {
    // bigtcp-ipv6.out: "[real length 80040, presumed BIG TCP] 2604:1380:4091:ce00::b.43267 >
    // 2604:1380:4091:ce00::d.41219: Flags [P.], … length 79968"
    const { rows, packets } = await packetdRows(corpusFile('tcpdump/bigtcp-ipv6.pcap'));
    expect(rows).toMatchObject([
      { src: '2604:1380:4091:ce00::b', dst: '2604:1380:4091:ce00::d', srcPort: 43267, dstPort: 41219, payloadLength: 79968 },
    ]);
    expect(packets[0]!.tcp).toMatchObject({ seq: 2265425561, ack: 3850636772, flags: 0x18, window: 426 });
  });

  it('counts the malformed IPv6 fragment headers and goes on', async () => {
    const asan = new Stats();
    expect((await packetdRows(corpusFile('tcpdump/ip6_frag_asan.pcap'), asan)).rows).toEqual([]);
    // The fragment header is cut by the 60-byte snaplen.
    expect(asan.snapshot()).toMatchObject({ 'packetd_decode_errors_total{layer=ipv6,reason=extension_truncated}': 1 });

    const negative = new Stats();
    expect((await packetdRows(corpusFile('tcpdump/ipv6_frag6_negative_len.pcap'), negative)).rows).toEqual([]);
    // Payload length 0 with a fragment header: no jumbo option, not TCP, so no length at all.
    expect(negative.snapshot()).toMatchObject({ 'packetd_decode_errors_total{layer=ipv6,reason=bad_payload_length}': 1 });
  });

  it('skips non-IP frames behind QinQ tags and Ethernet loopback as non_ip, not as errors', async () => {
    const qinq = new Stats();
    await packetdRows(corpusFile('tcpdump/802.1ad_QinQ.pcap'), qinq);
    expect(qinq.snapshot()['packetd_frames_total{result=non_ip}']).toBe(2);
    expect(qinq.snapshot()['packetd_frames_total{result=malformed}']).toBeUndefined();

    const loop = new Stats();
    await packetdRows(corpusFile('tcpdump/loopback.pcap'), loop);
    expect(loop.snapshot()['packetd_frames_total{result=non_ip}']).toBe(6);
  });

  it('clamps IPv4 total lengths longer than the frame, as tshark reads them, and counts them', async () => {
    const stats = new Stats();
    const { rows } = await packetdRows(corpusFile('deepflow/xiangdao-retrans.pcap'), stats);
    expect(rows).toHaveLength(13);
    expect(stats.snapshot()['packetd_ip_length_clamped_total']).toBe(13);
  });
});
