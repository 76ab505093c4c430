/**
 * Messages that wait in reassembly behind a hole keep the time their own packet came: a DNS
 * query's roundtrip starts at the frame that carried its first byte, not at the packet that
 * filled the hole or acknowledged past it (issue #9, item 11).
 *
 * captures/dns-tcp-held.pcap is a real recording (dnsmasq queried by mdig and dig over TCP,
 * scripts/record-reassembly.sh) edited by scripts/reassembly/hold-dns.py, because loopback
 * neither reorders nor loses: on the first connection the second of two pipelined queries
 * reaches the tap before the first; on the second the tap lost the first query, and the second
 * waits until the server's answer acknowledges past the hole (the example: the query
 * was stamped with its response's time).
 *
 * tshark is the reference for frame times, read per segment: by default it does not reassemble
 * out of order (it skips the first connection's first query), and with
 * `tcp.reassemble_out_of_order` it puts both pipelined queries on the frame that fills the
 * hole and never shows the query behind the hole that is not filled.
 */
import { describe, expect, it } from 'vitest';
import { capturePath, runChain } from '../golden/chain.js';
import { epochToMicros, tsharkFields, tsharkRuns } from '../helpers/tshark.js';

const FILE = capturePath('dns-tcp-held.pcap');
const DNS_PORT = 18353;

/** Frame time of each client segment that starts a DNS message, by message id (after the 2-byte length). */
function querySegmentTimes(): Map<number, number> {
  const rows = tsharkFields(FILE, ['frame.time_epoch', 'tcp.payload'], { filter: `tcp.dstport==${DNS_PORT} && tcp.len>0` });
  return new Map(rows.map(([time, payload]) => [Buffer.from(payload[0], 'hex').readUInt16BE(2), epochToMicros(time[0])]));
}

describe.skipIf(!tsharkRuns())('times of data held behind a hole (captures/dns-tcp-held.pcap)', () => {
  it('starts each query at the frame that carried its first byte', async () => {
    const sent = querySegmentTimes();
    expect(sent.size).toBe(3);
    const { roundtrips, stats } = await runChain(FILE, [{ protocol: 'dns', ports: [DNS_PORT] }]);
    const queries = roundtrips.filter((rt) => rt.request !== undefined && rt.request !== null);
    expect(queries.map((rt) => [rt.request!['id'], rt.start]).sort()).toEqual([...sent].sort());
    expect(queries.every((rt) => rt.status === 'ok' && rt.durationUs > 0)).toBe(true);
    // One query waited for the hole to fill, the other until its answer acknowledged past the hole.
    expect(stats.snapshot()).toMatchObject({ packetd_tcp_out_of_order_segments_total: 2, packetd_tcp_gaps_total: 1 });
  });
});
