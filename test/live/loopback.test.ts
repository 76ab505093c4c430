import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { hasBinary, startNginx, startRedis, type TestServer } from '../../src/bench/live-servers.js';
import type { Logger } from '../../src/pipeline/component.js';
import { resolvePipeline } from '../../src/pipeline/load.js';
import { freePort, httpGets, liveSkipReason, redisCommands, skipNote, sleep } from './helpers.js';

const missing = ['nginx', 'redis-server', 'ss'].filter((b) => !hasBinary(b));
const skip = skipNote('live capture on lo', liveSkipReason() ?? (missing.length > 0 ? `needs ${missing.join(', ')}` : undefined));

const logged: string[] = [];
const log: Logger = { info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(`error: ${m}`) };

interface Record {
  protocol: string;
  status: string;
  server: { port: number };
}

describe.skipIf(skip)('live capture on lo', () => {
  let dir: string;
  let nginx: TestServer;
  let redis: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'packetd-live-'));
    nginx = await startNginx({ port: await freePort() });
    redis = await startRedis({ port: await freePort() });
  });
  afterAll(async () => {
    await nginx?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const source of ['live', 'tcpdump'] as const) {
    it(`${source}: roundtrips captured equal the clients' requests (nginx and redis-server)`, async () => {
      const out = join(dir, `${source}.jsonl`);
      // Other tests may use lo at the same time: capture our two ports only.
      const filter = `port ${nginx.port} or port ${redis.port}`;
      const config = await resolvePipeline({
        source: source === 'live' ? { live: { interfaces: ['lo'], filter } } : { tcpdump: { interface: 'lo', filter } },
        protocols: [
          { protocol: 'http', ports: [nginx.port] },
          { protocol: 'redis', ports: [redis.port] },
        ],
        admin: { enabled: false },
        pipelines: { log: { sinks: [{ use: 'jsonl', path: out }] } },
      });
      const agent = await Agent.start(config, { log });
      const http = await httpGets(nginx.port, 300);
      const redisReplies = await redisCommands(redis.port, 150);
      await sleep(1500); // tcpdump hands packets over in batches
      await agent.stop();

      const records = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record);
      const count = (protocol: string, port: number): number => records.filter((r) => r.protocol === protocol && r.server.port === port && r.status === 'ok').length;
      expect(http).toBe(300);
      expect(redisReplies).toBe(150);
      expect(count('http', nginx.port)).toBe(300);
      expect(count('redis', redis.port)).toBe(150);
      expect(agent.stats.snapshot()['packetd_queue_dropped_total'] ?? 0).toBe(0);
    });
  }
});
