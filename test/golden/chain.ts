/**
 * The packetd chain as the golden tests run it (operators composed directly, no YAML), and the
 * comparable shape of an HTTP exchange that both packetd's roundtrips and tshark's reading map to.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { decodeL7 } from '../../src/operators/decodeL7.js';
import { match } from '../../src/operators/match.js';
import { reassemble } from '../../src/operators/reassemble.js';
import { Stats } from '../../src/pipeline/stats.js';
import type { ProtocolRule } from '../../src/protocols/types.js';
import { readCapture } from '../../src/sources/index.js';
import type { TsharkHttpTransaction } from '../helpers/tshark.js';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const capturePath = (name: string): string => resolve(repoRoot, 'captures', name);
export const corpusRoot = resolve(repoRoot, '..', 'shared', 'corpus');
export const corpusPath = (relative: string): string => resolve(corpusRoot, relative);

export interface ChainResult {
  roundtrips: RoundTrip[];
  stats: Stats;
}

/** readCapture → decodeFrames → reassemble → decodeL7 → match, collected. */
export async function runChain(file: string, rules: ProtocolRule[], detect = false): Promise<ChainResult> {
  const stats = new Stats();
  const roundtrips = await lastValueFrom(
    readCapture(file, { stats }).pipe(
      decodeFrames({ stats }),
      reassemble({ stats }),
      decodeL7({ stats, rules, detect }),
      match({ stats }),
      toArray(),
    ),
  );
  return { roundtrips, stats };
}

/** Non-zero `packetd_decode_errors_total` series, as `{labels} → count`. */
export function decodeErrors(stats: Stats): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const counter of stats.allCounters()) {
    if (counter.name === 'packetd_decode_errors_total' && counter.value > 0) {
      errors[JSON.stringify(counter.labels)] = counter.value;
    }
  }
  return errors;
}

/** What an HTTP transaction looks like to both readers. Times in µs since the epoch. */
export interface HttpExchange {
  client: string;
  server: string;
  method: string;
  path: string;
  query: string | undefined;
  serverAddress: string;
  statusCode: number | undefined;
  start: number;
  end: number;
  durationUs: number;
  /** Undefined for a response whose request was not seen. */
  requestSize: number | undefined;
  responseSize: number | undefined;
}

const endpoint = (e: { address: string; port: number }): string => `${e.address} ${e.port}`;

export function exchangeOfRoundTrip(rt: RoundTrip): HttpExchange {
  const a = rt.attributes;
  return {
    client: endpoint(rt.client),
    server: endpoint(rt.server),
    method: String(a['http.request.method_original'] ?? a['http.request.method']),
    path: String(a['url.path']),
    query: a['url.query'] === undefined ? undefined : String(a['url.query']),
    serverAddress: String(a['server.address']),
    statusCode: a['http.response.status_code'] === undefined ? undefined : Number(a['http.response.status_code']),
    start: rt.start,
    end: rt.end,
    durationUs: rt.durationUs,
    requestSize: rt.request?.size,
    responseSize: rt.response?.size,
  };
}

const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/i;

/** A host header or URL authority without its port ("[::1]:8080" → "::1"). */
function hostOf(authority: string): string {
  const bracketed = /^\[([^\]]*)\]/.exec(authority);
  return bracketed ? bracketed[1] : authority.split(':')[0];
}

/**
 * tshark's reading of a transaction in the same shape. Durations follow packetd's definition
 * (first request byte's frame to last response byte's frame); tshark's own `http.time` runs
 * from the frame completing the request to the frame completing the response, which is the
 * same number when the request fits one frame and no bare FIN completes the response.
 */
export function exchangeOfTshark({ request, response }: TsharkHttpTransaction): HttpExchange {
  const absolute = ABSOLUTE_URI.exec(request.uri);
  const target = absolute ? absolute[2] : request.uri;
  const question = target.indexOf('?');
  const end = response ? response.lastTs : request.lastTs;
  return {
    client: endpoint(request.src),
    server: endpoint(request.dst),
    method: request.method,
    path: (question < 0 ? target : target.slice(0, question)) || '/',
    query: question < 0 ? undefined : target.slice(question + 1),
    serverAddress: hostOf(absolute ? absolute[1] : (request.host ?? request.dst.address)),
    statusCode: response?.status,
    start: request.firstTs,
    end,
    durationUs: end - request.firstTs,
    requestSize: request.size,
    responseSize: response?.size,
  };
}

/** Packet-time order, then by client; ties within a connection (pipelining) keep their order. */
export function byStart(a: HttpExchange, b: HttpExchange): number {
  return a.start - b.start || (a.client < b.client ? -1 : a.client > b.client ? 1 : 0);
}
