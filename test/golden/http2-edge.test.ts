/**
 * HTTP/2 where an HTTP/1 rule or a frame-size guess used to lose it (scripts/record-http2-edge.sh):
 * - http2-h1-port.pcap: nginx h2c with prior knowledge on 127.0.0.1:18208, read with the rule
 *   `http:18208` (an HTTP/1 port), and rewritten to port 8080 with no rules at all (HTTP/1's
 *   default ports): the preface hands every conversation to http2;
 * - http2-big-frames.pcap: a python3-h2 server writing HEADERS and a 17 KB DATA frame (above
 *   the default 16 KB limit; its clients allow 1 MiB) in one segment: after an HTTP/1.1 Upgrade
 *   whose settings only travel in HTTP2-Settings, and on a connection the tap joined after the
 *   settings exchange (on a port an http rule claims, the client's whole frames hand it to
 *   http2). Before, packetd found no frame boundary there and lost `:status 200`.
 * Every stream is compared with tshark's reading, field by field.
 */
import { lastValueFrom, map, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { decodeL7 } from '../../src/operators/decodeL7.js';
import { match } from '../../src/operators/match.js';
import { reassemble } from '../../src/operators/reassemble.js';
import { Stats } from '../../src/pipeline/stats.js';
import { readCapture } from '../../src/sources/index.js';
import { epochToMicros, tsharkFields, tsharkRuns } from '../helpers/tshark.js';
import { capturePath, decodeErrors, runChain } from './chain.js';
import { asTshark, order, tsharkHttp2Streams, withoutStreamId } from './http2-tshark.js';

const H1_PORT = 18208;
const BIG_PORT = 18209;

describe.runIf(tsharkRuns())('http2-h1-port.pcap: h2c prior knowledge on a port HTTP/1 claims', () => {
  const path = capturePath('http2-h1-port.pcap');
  const expected = () => tsharkHttp2Streams(path, H1_PORT).map(withoutStreamId).sort(order);

  it('decodes every stream tshark reads (curl, nghttp, h2load with a 20 KB DATA frame) under the rule http:18208', async () => {
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'http', ports: [H1_PORT] }]);
    expect(expected()).toHaveLength(5);
    expect(roundtrips.map(asTshark).map(withoutStreamId).sort(order)).toEqual(expected());
    expect(roundtrips.every((rt) => rt.protocol === 'http2')).toBe(true);
    expect(decodeErrors(stats)).toEqual({});
    // Four connections (two curl, nghttp, h2load), each handed over once.
    expect(stats.snapshot()['packetd_l7_http2_overrides_total{evidence=preface}']).toBe(4);
  });

  it('does the same on port 8080 with no rules (HTTP/1 default ports; http2 is not named)', async () => {
    const stats = new Stats();
    const toPort8080 = (packet: Packet): Packet => {
      if (packet.srcPort === H1_PORT) packet.srcPort = 8080;
      if (packet.dstPort === H1_PORT) packet.dstPort = 8080;
      return packet;
    };
    const roundtrips = await lastValueFrom(
      readCapture(path, { stats }).pipe(decodeFrames({ stats }), map(toPort8080), reassemble({ stats }), decodeL7({ stats, rules: [] }), match({ stats }), toArray()),
    );
    expect(roundtrips.map((rt) => [rt.protocol, rt.server.port])).toEqual(Array(5).fill(['http2', 8080]));
    expect(roundtrips.map(asTshark).map(withoutStreamId).sort(order)).toEqual(expected());
    expect(decodeErrors(stats)).toEqual({});
  });
});

describe.runIf(tsharkRuns())('http2-big-frames.pcap: a DATA frame above 16 KB right behind HEADERS in the first server segment', () => {
  const path = capturePath('http2-big-frames.pcap');

  it('after an Upgrade: the 101, stream 1 and stream 3 with their 17 KB bodies, as tshark reads them', async () => {
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'http', ports: [BIG_PORT] }]);
    const upgraded = roundtrips.filter((rt) => rt.attributes['url.path'] !== '/late');
    expect(upgraded.map((rt) => [rt.protocol, rt.attributes['url.path'], rt.attributes['http.response.status_code'], rt.attributes['http.response.body.size']])).toEqual([
      ['http', '/upgrade', 101, 0],
      ['http2', '/upgrade', 200, 17000],
      ['http2', '/after-upgrade', 200, 17000],
    ]);
    // tshark follows the Upgrade itself. Stream 3 compares whole; stream 1's request was the
    // HTTP/1.1 one, so only its answer does: `:status 200` and a 17000-byte DATA frame, in the
    // segment that also carries the 101 and the server's SETTINGS.
    const client = String(upgraded[0]!.client.port);
    const theirs = tsharkHttp2Streams(path, BIG_PORT, false).filter((s) => s.client === client);
    expect(theirs.map((s) => [s.streamId, s.status])).toEqual([[3, 200]]);
    expect(withoutStreamId(asTshark(upgraded[2]!))).toEqual(withoutStreamId(theirs[0]!));
    const fields = ['frame.time_epoch', 'http2.streamid', 'http2.type', 'http2.length', 'http2.headers.status'];
    const stream1 = tsharkFields(path, fields, { filter: `tcp.srcport==${BIG_PORT} && http2.streamid==1` });
    const frames = stream1.flatMap(([, ids, types, lengths]) => ids.map((id, i) => [Number(id), Number(types[i]), Number(lengths[i])]));
    expect(frames.filter(([id]) => id === 1)).toEqual([[1, 1, 18], [1, 0, 17000]]);
    expect(stream1.flatMap(([, , , , statuses]) => statuses)).toEqual(['200']);
    expect(upgraded[1]!.response!.size).toBe(9 + 18 + 9 + 17000);
    expect(upgraded[1]!.end).toBe(epochToMicros(stream1[stream1.length - 1]![0]![0]!));
    expect(stats.snapshot()['packetd_l7_switched_total{from=http,to=http2}']).toBe(1);
    expect(decodeErrors(stats)).toEqual({});
  });

  it('joined after the settings exchange: the stream is answered as tshark reads it, under an http2 rule and an http one', async () => {
    const byHttp2 = await runChain(path, [{ protocol: 'http2', ports: [BIG_PORT] }]);
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'http', ports: [BIG_PORT] }]);
    // No preface to see: the client's first segment, whole HEADERS the HTTP/1 decoder rejects, decides.
    expect(stats.snapshot()['packetd_l7_http2_overrides_total{evidence=frames}']).toBe(1);
    expect(byHttp2.roundtrips.filter((rt) => rt.attributes['url.path'] === '/late')).toEqual(roundtrips.filter((rt) => rt.attributes['url.path'] === '/late'));
    const late = roundtrips.filter((rt) => rt.attributes['url.path'] === '/late');
    const client = String(late[0]!.client.port);
    const theirs = tsharkHttp2Streams(path, BIG_PORT).filter((s) => s.client === client).map(withoutStreamId);
    expect(theirs).toHaveLength(1);
    expect(late.map(asTshark).map(withoutStreamId)).toEqual(theirs);
    expect(late[0]!.attributes['http.response.body.size']).toBe(17000);
    expect(decodeErrors(stats)).toEqual({});
  });
});
