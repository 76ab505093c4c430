/**
 * Redis and memcached forced on the wrong traffic (`--proto redis:8080` on HTTP): their plain
 * text commands (Redis inline commands, memcached lines) would read every HTTP line as a
 * command, and each conversation is given up instead (`packetd_l7_released_total`, reason
 * `not_redis` / `not_memcached`), with nothing reported of it. Every bundled HTTP/1 capture
 * (captures/http-*.pcap: nginx, recorded by scripts/record-*.sh) is the wrong traffic, forced on
 * its own server ports: request lines (lenient ones too), HTTP/0.9 `GET /index.html` (a valid
 * Redis inline command, held until the server answers `<html>…`, which no RESP reply starts with).
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tsharkFields, tsharkRuns, tsharkServerPorts } from '../helpers/tshark.js';
import { capturePath, repoRoot, runChain } from './chain.js';

const HTTP_CAPTURES = readdirSync(resolve(repoRoot, 'captures')).filter((f) => /^http-.*\.pcap$/.test(f) && !f.startsWith('http2'));

const released = (stats: Awaited<ReturnType<typeof runChain>>['stats'], protocol: string) =>
  stats.allCounters().filter((c) => c.name === 'packetd_l7_released_total' && c.labels['protocol'] === protocol).map((c) => [c.labels['reason'], c.value]);

describe.runIf(tsharkRuns()).each(HTTP_CAPTURES)('%s forced as Redis and memcached on its server ports', (file) => {
  const path = capturePath(file);
  const ports = tsharkServerPorts(path);
  // Every connection that carries data is given up.
  const connections = new Set(tsharkFields(path, ['tcp.stream'], { filter: 'tcp.len>0' }).map(([[stream]]) => stream)).size;

  it.each(['redis', 'memcached'])('%s: no records, every conversation given up', async (protocol) => {
    expect(connections).toBeGreaterThan(0);
    const { roundtrips, stats } = await runChain(path, [{ protocol, ports }]);
    expect(roundtrips).toEqual([]);
    expect(released(stats, protocol)).toEqual([[`not_${protocol}`, connections]]);
  });
});
