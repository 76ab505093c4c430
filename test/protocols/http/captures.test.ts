import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../../src/model/roundtrip.js';
import { decodeFrames } from '../../../src/operators/decodeFrames.js';
import { decodeL7 } from '../../../src/operators/decodeL7.js';
import { match } from '../../../src/operators/match.js';
import { reassemble } from '../../../src/operators/reassemble.js';
import { Stats } from '../../../src/pipeline/stats.js';
import { readCapture } from '../../../src/sources/index.js';
import { tsharkRuns } from '../../helpers/tshark.js';

const corpus = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));
const project = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Captures and the responses tshark misses. In http-pipelined.pcap the answer to a pipelined
 * HEAD (Content-Length, no body) shares a segment with the next response; tshark, not pairing
 * it with HEAD, reads the next response as its body (`tshark -r … -z follow,tcp,ascii,0` shows
 * six status lines, its HTTP filter five).
 */
const captures: [file: string, missedByTshark: number[]][] = [
  [`${corpus}deepflow/http/httpv1.pcap`, []],
  [`${corpus}tcpdump/ipv4_tcp_http_xml.pcap`, []],
  [`${project}captures/http-nginx.pcap`, []],
  [`${project}captures/http-pipelined.pcap`, [200]],
  [`${project}captures/http-ipv6.pcap`, []],
  [`${project}captures/http-ab-keepalive.pcap`, []],
];

/** tshark's reading: request methods and URIs, and response codes, in capture order. */
function tsharkHttp(file: string): { requests: string[]; responses: number[] } {
  const out = execFileSync('tshark', ['-r', file, '-Y', 'http', '-T', 'fields', '-e', 'http.request.method', '-e', 'http.request.uri', '-e', 'http.response.code'], {
    encoding: 'utf8',
  });
  const requests: string[] = [];
  const responses: number[] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const [methods = '', uris = '', codes = ''] = line.split('\t');
    // A pipelined packet carries several messages: tshark lists them comma-separated.
    const uriList = uris.split(',');
    methods.split(',').forEach((m, i) => m && requests.push(`${m} ${uriList[i]}`));
    for (const code of codes.split(',')) if (code) responses.push(Number(code));
  }
  return { requests, responses };
}

async function roundTrips(file: string): Promise<{ roundTrips: RoundTrip[]; stats: Stats }> {
  const stats = new Stats();
  const roundTrips = await lastValueFrom(
    readCapture(file, { stats }).pipe(
      decodeFrames({ stats }),
      reassemble({ stats }),
      decodeL7({ stats, rules: [] }),
      match({ stats }),
      toArray(),
    ),
  );
  return { roundTrips, stats };
}

function target(rt: RoundTrip): string {
  const a = rt.attributes;
  const method = a['http.request.method'] === '_OTHER' ? a['http.request.method_original'] : a['http.request.method'];
  const query = a['url.query'] === undefined ? '' : `?${a['url.query']}`;
  return `${method} ${a['url.path']}${query}`;
}

describe.runIf(tsharkRuns())('HTTP/1 on real captures, against tshark', () => {
  for (const [file, missedByTshark] of captures) {
    it.runIf(existsSync(file))(file.slice(file.lastIndexOf('/', file.lastIndexOf('/') - 1) + 1), async () => {
      const expected = tsharkHttp(file);
      const { roundTrips: found, stats } = await roundTrips(file);
      const counters = stats.snapshot();
      const requests = found.filter((rt) => rt.attributes['http.request.method'] !== undefined);
      expect(requests.map(target).sort()).toEqual([...expected.requests].sort());
      // A response whose request is not in the capture (ipv4_tcp_http_xml starts mid-stream) is
      // reported on its own, marked so.
      const lone = found.filter((rt) => rt.request === undefined);
      expect(lone.length).toBe(counters['packetd_match_unmatched_responses_total{protocol=http}'] ?? 0);
      for (const rt of lone) expect(rt.partial).toBe('request_missing');
      const codes = found.filter((rt) => rt.response !== undefined).map((rt) => rt.attributes['http.response.status_code']);
      expect(codes.sort()).toEqual([...expected.responses, ...missedByTshark].sort());
      for (const rt of found) {
        expect(rt.durationUs).toBe(rt.end - rt.start);
        expect(rt.status).toBe(rt.response === undefined ? 'unanswered' : (rt.attributes['http.response.status_code'] as number) >= 500 ? 'error' : 'ok');
      }
      expect(Object.keys(counters).filter((k) => k.startsWith('packetd_decode_errors_total{protocol=http'))).toEqual([]);
    });
  }
});
