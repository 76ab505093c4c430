/**
 * The bench capture (`../shared/bench/make-bench-pcap.sh`: redis-benchmark against Redis on port
 * 16379, with and without -P 16, next to HTTP on 18080): every Redis command is found and
 * answered, as many as tshark reads. Read from $PACKETD_BENCH_PCAP, else bench.pcap beside the
 * checkout; skipped where it is absent (it is too large for the repository).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, reduce } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { decodeL7 } from '../../src/operators/decodeL7.js';
import { match } from '../../src/operators/match.js';
import { reassemble } from '../../src/operators/reassemble.js';
import { Stats } from '../../src/pipeline/stats.js';
import { readCapture } from '../../src/sources/index.js';

const BENCH = process.env['PACKETD_BENCH_PCAP'] ?? fileURLToPath(new URL('../../../bench.pcap', import.meta.url));
const PORT = 16379;
const present = existsSync(BENCH);
if (!present) console.log(`redis-bench: ${BENCH} is absent, skipping`);

describe.runIf(present)('Redis on the bench capture', () => {
  it('finds all 480,004 commands (480,000 by redis-benchmark, 4 CONFIG GET), every one answered; tshark agrees', async () => {
    const stats = new Stats();
    const byStatus = await lastValueFrom(
      readCapture(BENCH, { stats }).pipe(
        decodeFrames({ stats }),
        reassemble({ stats }),
        decodeL7({ stats, rules: [{ protocol: 'redis', ports: [PORT] }], detect: false }),
        match({ stats }),
        reduce((counts, rt) => {
          counts[rt.status] = (counts[rt.status] ?? 0) + 1;
          return counts;
        }, {} as Record<string, number>),
      ),
    );
    expect(byStatus).toEqual({ ok: 480_004 });

    // tshark: every command is an array of bulk strings; count the arrays the clients sent.
    const out = execFileSync(
      'tshark',
      ['-r', BENCH, '-n', '-d', `tcp.port==${PORT},resp`, '-Y', `resp && tcp.dstport==${PORT}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'resp.array.length'],
      { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const commands = out.split('\n').reduce((n, line) => n + (line === '' ? 0 : line.split(',').length), 0);
    expect(commands).toBe(480_004);
  }, 180_000);
});
