/**
 * RSTs the endpoints ignored (issue #9, item 6), on captures/tcp-stray-rst.pcap: a real recording
 * of curl and nginx (scripts/record-reassembly.sh) into which scripts/reassembly/inject-rst.py
 * injects the RSTs, because no server sends them: two before the first connection's handshake
 * completes (a client in SYN-SENT drops a RST that does not acknowledge its SYN; a RST far
 * outside the server's window is dropped), one on the second connection whose sequence number
 * is 2^30 past the server's, and one on the third at exactly the server's next number that the
 * client never got: the conversation goes on in the capture, so it is followed.
 *
 * tshark reads every transaction only with its sequence analysis off: by default it takes an
 * injected RST's sequence number as where its sender is, then calls the data after it a
 * retransmission and does not dissect it (checked below with the frames that show it).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { capturePath, runChain } from '../golden/chain.js';
import { epochToMicros, tsharkRuns } from '../helpers/tshark.js';

const FILE = capturePath('tcp-stray-rst.pcap');
const HTTP_PORT = 18380;

/** tshark's HTTP messages, one line each: "frame time request-or-status". */
function tsharkHttp(prefs: string[]): { frame: number; ts: number; what: string }[] {
  const out = execFileSync(
    'tshark',
    ['-r', FILE, '-n', '-d', `tcp.port==${HTTP_PORT},http`, ...prefs, '-Y', 'http', '-T', 'fields',
      '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'http.request.method', '-e', 'http.request.uri', '-e', 'http.response.code'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out.trim().split('\n').map((line) => {
    const [frame, time, method, uri, code] = line.split('\t');
    return { frame: Number(frame), ts: epochToMicros(time), what: method ? `${method} ${uri}` : code };
  });
}

describe.skipIf(!tsharkRuns())('RSTs the endpoints ignored (captures/tcp-stray-rst.pcap)', () => {
  it('follows every conversation past them, with the roles of its handshake, as tshark reads it', async () => {
    const tshark = tsharkHttp(['-o', 'tcp.analyze_sequence_numbers:FALSE']);
    const requests = tshark.filter((m) => m.what.includes(' '));
    const responses = tshark.filter((m) => !m.what.includes(' '));
    expect(requests.map((m) => m.what)).toEqual(['GET /index.html', 'GET /index.html', 'GET /missing', 'POST /echo']);

    const { roundtrips, stats } = await runChain(FILE, [{ protocol: 'http', ports: [HTTP_PORT] }]);
    expect(
      roundtrips.map((rt) => ({
        what: `${rt.attributes['http.request.method']} ${rt.attributes['url.path']}`,
        status: String(rt.attributes['http.response.status_code']),
        start: rt.start,
        end: rt.end,
        server: rt.server.port,
      })),
    ).toEqual(
      requests.map((request, i) => ({ what: request.what, status: responses[i].what, start: request.ts, end: responses[i].ts, server: HTTP_PORT })),
    );
    expect(new Set(roundtrips.map((rt) => rt.connId)).size).toBe(3);
    expect(stats.snapshot()).toMatchObject({
      'packetd_connections_opened_total{transport=tcp}': 3,
      'packetd_connections_closed_total{reason=fin}': 3,
      'packetd_tcp_rst_ignored_total{reason=sequence}': 3,
      'packetd_tcp_rst_ignored_total{reason=resumed}': 1,
    });
    expect(stats.snapshot()['packetd_connections_closed_total{reason=rst}']).toBeUndefined();
  });

  it('is read in part by tshark with its sequence analysis on (tshark is wrong there)', () => {
    // After the first connection's RST from the client's side (seq ISN+1+2^30), tshark takes
    // the client's first data (GET /index.html) as a retransmission; after the second
    // connection's RST 2^30 past the server's number, the server's next data (the 404).
    const seen = new Set(tsharkHttp([]).map((m) => m.frame));
    const missed = tsharkHttp(['-o', 'tcp.analyze_sequence_numbers:FALSE']).filter((m) => !seen.has(m.frame));
    expect(missed.map((m) => m.what)).toEqual(['GET /index.html', '404']);
  });
});
