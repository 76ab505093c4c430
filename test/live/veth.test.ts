import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, startNginx, type TestServer } from '../../src/bench/live-servers.js';
import { startPacketd } from './cli-process.js';
import { liveSkipReason, skipNote, sleep } from './helpers.js';

const missing = ['nginx', 'ip', 'ss'].filter((b) => !hasBinary(b));
const skip = skipNote(
  'live capture on a veth pair',
  liveSkipReason() ?? (missing.length > 0 ? `needs ${missing.join(', ')}` : undefined) ?? namespacesUnavailable(),
);

/** Creating a network namespace needs CAP_SYS_ADMIN, which some containers lack even as root. */
function namespacesUnavailable(): string | undefined {
  const probe = `pd-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' }).status !== 0) return 'cannot create network namespaces here (ip netns add failed)';
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  return undefined;
}

// Private addresses that exist only inside the two namespaces; unique per run so parallel runs do not meet.
const tag = process.pid % 10_000;
const subnet = 200 + (process.pid % 50);
const server = `10.${subnet}.${tag % 250}.1`;
const client = `10.${subnet}.${tag % 250}.2`;
const nsServer = `pd-srv-${tag}`;
const nsClient = `pd-cli-${tag}`;
const vethServer = `pdvs${tag}`;
const vethClient = `pdvc${tag}`;
const PORT = 8080;

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });

/** `count` keep-alive GETs from inside the client namespace; resolves to the responses received. */
function httpGetsFromClientNamespace(count: number): number {
  const script = `
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    let ok = 0, sent = 0;
    const next = () => {
      if (sent === ${count}) return;
      sent++;
      http.get({ host: '${server}', port: ${PORT}, path: '/', agent }, (res) => res.resume().on('end', () => {
        ok++;
        if (ok === ${count}) { console.log(ok); agent.destroy(); } else next();
      }));
    };
    next(); next();`;
  return Number(execFileSync('ip', ['netns', 'exec', nsClient, process.execPath, '-e', script], { encoding: 'utf8' }).trim());
}

describe.skipIf(skip)('live capture on a veth pair between two network namespaces', () => {
  let nginx: TestServer | undefined;

  beforeAll(async () => {
    ip('netns', 'add', nsServer);
    ip('netns', 'add', nsClient);
    ip('link', 'add', vethServer, 'type', 'veth', 'peer', 'name', vethClient);
    ip('link', 'set', vethServer, 'netns', nsServer);
    ip('link', 'set', vethClient, 'netns', nsClient);
    ip('-n', nsServer, 'addr', 'add', `${server}/30`, 'dev', vethServer);
    ip('-n', nsClient, 'addr', 'add', `${client}/30`, 'dev', vethClient);
    for (const [ns, dev] of [[nsServer, vethServer], [nsClient, vethClient], [nsServer, 'lo'], [nsClient, 'lo']]) ip('-n', ns, 'link', 'set', dev, 'up');
    nginx = await startNginx({ host: server, port: PORT, netns: nsServer });
  });

  afterAll(async () => {
    await nginx?.stop();
    // Deleting a namespace deletes the veth end inside it, and with it the pair.
    for (const ns of [nsServer, nsClient]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  for (const flags of [[], ['--tcpdump']]) {
    it(`packetd log --iface ${vethClient} ${flags.join(' ')}: Ethernet frames, every request a roundtrip`, async () => {
      const packetd = startPacketd(['log', '--iface', vethClient, ...flags, '--proto', `http:${PORT}`, '--format', 'jsonl'], { netns: nsClient });
      await packetd.waitFor('capturing on');
      await sleep(flags.length > 0 ? 300 : 0);
      const answered = httpGetsFromClientNamespace(120);
      await sleep(1500);
      packetd.child.kill('SIGINT');
      expect(await packetd.exited).toBe(0);

      const records = packetd.stdout().trim().split('\n').map((line) => JSON.parse(line) as { protocol: string; status: string; server: { address: string; port: number } });
      expect(answered).toBe(120);
      expect(records.filter((r) => r.protocol === 'http' && r.status === 'ok' && r.server.address === server).length).toBe(120);
      expect(packetd.stderr()).toMatch(/packets, 120 roundtrips \(http: 120 ok\)/);
    });
  }
});
