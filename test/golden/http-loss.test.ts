/**
 * Lost bytes, on real traffic: nginx answering `ab -k -n 200 -c 1`, a keep-alive client that
 * waits for each response (4-8 KB responses spanning segments), and a client pipelining 30
 * requests (scripts/record-http-edge.sh). The captures were recorded without loss; capture
 * loss is simulated by removing recorded payload segments (scripts/captures/drop-packets.py,
 * frames named below), so the endpoints' acks and what they did next stay in the file.
 *
 * The truth is the lossless capture (tshark's pairing there; by order for the pipelined one,
 * which tshark cannot pair). On the gapped copy, every roundtrip packetd reports must agree
 * with it: a response never pairs with a request it does not answer; for the clients that
 * wait for each response, every transaction comes out exactly (paired, or unanswered when its
 * response's first segment was lost, or `request_missing` when its request was); for the
 * pipelining client, what the capture cannot tell is reported as such.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { capturePath, decodeErrors, repoRoot, runChain } from './chain.js';
import { epochToMicros, tsharkFields, tsharkHttp, tsharkHttpTransactions, tsharkRuns } from '../helpers/tshark.js';

const PORT = 18101;
const PYTHON = '/usr/bin/python3';
const DROP = resolve(repoRoot, 'scripts/captures/drop-packets.py');
const canRun = tsharkRuns() && spawnSync(PYTHON, ['--version'], { stdio: 'ignore' }).status === 0;

/** Frames left out (1-based numbers of the lossless capture): the seeded picks the record script printed. */
const CASES = [
  { file: 'http-loss-ab.pcap', sequential: true, frames: [10, 55, 58, 95, 130, 162, 199, 216, 296, 308, 330, 349] },
  { file: 'http-loss-sequential.pcap', sequential: true, frames: [12, 16, 21, 31, 43, 51, 64, 68, 83, 84, 87, 89, 99, 107] },
  { file: 'http-loss-pipelined.pcap', sequential: false, frames: [10, 18, 27, 84] },
];

interface Segment {
  frame: number;
  ts: number;
  fromServer: boolean;
}

function payloadSegments(file: string): Segment[] {
  return tsharkFields(file, ['frame.number', 'frame.time_epoch', 'tcp.srcport'], { filter: 'tcp.len > 0' }).map(
    ([[num], [time], [sport]]) => ({ frame: Number(num), ts: epochToMicros(time), fromServer: Number(sport) === PORT }),
  );
}

interface Truth {
  /** Request start and target: pipelined requests share their start. */
  key: string;
  requestStart: number;
  requestEnd: number;
  status: number;
  responseStart: number;
  responseEnd: number;
}

/** Each request with its response in the lossless capture, in order. */
function truthOf(file: string, sequential: boolean): Truth[] {
  const { requests, responses } = tsharkHttp(file, [PORT]);
  expect(requests.length).toBe(responses.length);
  return requests.map((request, i) => {
    // A waiting client's responses pair by tshark's request_in; a pipeline's by order.
    const response = sequential ? responses.find((r) => r.requestIn === request.frame)! : responses[i]!;
    return { key: `${request.firstTs} ${request.uri}`, requestStart: request.firstTs, requestEnd: request.lastTs, status: response.status, responseStart: response.firstTs, responseEnd: response.lastTs };
  });
}

function withoutFrames(file: string, frames: number[]): string {
  const out = join(mkdtempSync(join(tmpdir(), 'packetd-loss-')), 'gaps.pcap');
  execFileSync(PYTHON, [DROP, file, out, '--frames', frames.join(',')], { stdio: 'ignore' });
  return out;
}

const pairing = (rt: RoundTrip) => rt.attributes['packetd.http.pairing'];

describe.runIf(canRun).each(CASES)('$file with recorded segments removed', ({ file, sequential, frames }) => {
  const lossless = capturePath(file);

  it('reads the lossless capture as tshark does', async () => {
    const truth = truthOf(lossless, sequential);
    const { roundtrips, stats } = await runChain(lossless, [{ protocol: 'http', ports: [PORT] }]);
    expect(decodeErrors(stats)).toEqual({});
    expect(roundtrips.map((rt) => [rt.start, rt.end, rt.attributes['http.response.status_code'], rt.partial])).toEqual(
      truth.map((t) => [t.requestStart, t.responseEnd, t.status, undefined]),
    );
  });

  it('never pairs a response with a request it does not answer', async () => {
    const truth = truthOf(lossless, sequential);
    const segments = payloadSegments(lossless);
    const dropped = new Set(frames);
    const lost = (fromServer: boolean, from: number, to: number) =>
      segments.filter((s) => s.fromServer === fromServer && s.ts >= from && s.ts <= to).map((s) => dropped.has(s.frame));
    const gapped = withoutFrames(lossless, frames);
    const { roundtrips } = await runChain(gapped, [{ protocol: 'http', ports: [PORT] }]);

    const byRequest = new Map(truth.map((t) => [t.key, t]));
    const byResponseEnd = new Map(truth.map((t) => [t.responseEnd, t]));
    for (const rt of roundtrips) {
      if (rt.request === undefined) {
        // A response alone: its request lost, or (pipelining) which request it answers unknown.
        if (rt.response!.partial === undefined) expect(byResponseEnd.get(rt.end)?.status).toBe(rt.attributes['http.response.status_code']);
        continue;
      }
      const t = byRequest.get(`${rt.start} ${rt.attributes['url.path']}`)!;
      expect(t, `request at ${rt.start}`).toBeDefined();
      if (rt.response === undefined) continue;
      expect(rt.attributes['http.response.status_code']).toBe(t.status);
      // A response cut by a gap ends at its last byte seen, within the true response.
      if (rt.response.partial === undefined) expect(rt.end).toBe(t.responseEnd);
      else expect(rt.end).toBeGreaterThanOrEqual(t.responseStart);
      expect(rt.end).toBeLessThanOrEqual(t.responseEnd);
    }

    const tshark = tsharkHttp(gapped, [PORT]);
    if (!sequential) {
      // tshark names /f/30.txt (the last request of the one segment carrying all 30) as the
      // request of every response it reads (the first is 197 bytes of body: /f/1.txt), and reads
      // no response past the first lost segment (orig. frame 18): 6 of the 28 status lines left.
      expect(tshark.responses.length).toBe(6);
      expect(tsharkFields(gapped, ['http.response_for.uri'], { filter: 'http.response', httpPorts: [PORT] }).flatMap(([uris]) => uris)).toEqual(
        Array(6).fill('http://localhost/f/30.txt'),
      );
      // Every response whose status line is in the capture is found, also where it begins
      // mid-segment right after body bytes the gap cut (a retransmitted copy counts once).
      const statusLines = tsharkFields(gapped, ['tcp.payload'], { filter: `tcp.srcport==${PORT} && tcp.len > 0 && !tcp.analysis.retransmission` }).reduce(
        (n, [[hex]]) => n + (Buffer.from(hex!, 'hex').toString('latin1').match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0),
        0,
      );
      expect(roundtrips.filter((rt) => rt.response !== undefined).length).toBe(statusLines);
      // Every response after the first lost one: how many responses the gap swallowed in a
      // pipeline is unknown, so none of them is paired by a guess.
      // (A retransmitted copy left out loses nothing: frame 10 repeats frame 9.)
      const copies = new Set(tsharkFields(lossless, ['frame.number'], { filter: 'tcp.analysis.retransmission' }).map(([[n]]) => Number(n)));
      const firstLoss = Math.min(...segments.filter((s) => dropped.has(s.frame) && !copies.has(s.frame) && s.fromServer).map((s) => s.ts));
      const after = roundtrips.filter((rt) => rt.response !== undefined && rt.end > firstLoss && rt.response.partial === undefined);
      expect(after.length).toBeGreaterThan(0);
      for (const rt of after) expect([rt.request, pairing(rt)]).toEqual([undefined, 'ambiguous_after_gap']);
      return;
    }

    // Where tshark pairs on the gapped capture, it agrees (it leaves a response whose request
    // was lost unpaired too); a response missing a segment it does not read at all.
    const paired = new Set(roundtrips.filter((rt) => rt.request !== undefined && rt.response !== undefined).map((rt) => `${rt.start} ${rt.attributes['http.response.status_code']}`));
    const tsharkPaired = tsharkHttpTransactions(gapped, [PORT]).filter((t) => t.response !== undefined);
    expect(tsharkPaired.length).toBeGreaterThan(0);
    for (const t of tsharkPaired) expect(paired.has(`${t.request.firstTs} ${t.response!.status}`)).toBe(true);
    expect(tshark.responses.length).toBeLessThanOrEqual(roundtrips.filter((rt) => rt.response !== undefined).length);

    // A client that waits for each response: every transaction comes out exactly.
    const expected = truth.flatMap((t) => {
      const requestLost = lost(false, t.requestStart, t.requestEnd);
      const responseLost = lost(true, t.responseStart, t.responseEnd);
      if (requestLost[0] && responseLost[0]) return [];
      if (requestLost[0]) return [['request_missing', t.status]];
      if (responseLost[0]) return [['unanswered', t.requestStart]];
      return [['paired', t.requestStart, t.status, responseLost.includes(true) ? 'gap' : undefined]];
    });
    const found = roundtrips
      .sort((a, b) => a.start - b.start)
      .map((rt) =>
        rt.request === undefined
          ? ['request_missing', rt.attributes['http.response.status_code']]
          : rt.response === undefined
            ? ['unanswered', rt.start]
            : ['paired', rt.start, rt.attributes['http.response.status_code'], rt.response.partial],
      );
    expect(found).toEqual(expected);
    expect(roundtrips.filter((rt) => pairing(rt) === 'ambiguous_after_gap')).toEqual([]);
  });
});
