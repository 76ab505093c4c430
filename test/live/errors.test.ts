import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasBinary } from '../../src/bench/live-servers.js';
import { LiveCaptureUnavailableError } from '../../src/sources/live/index.js';
import { repoRoot, startPacketd } from './cli-process.js';
import { liveSkipReason, skipNote } from './helpers.js';

const AS_NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all'];

function startPacketdAsNobody(...flags: string[]): ReturnType<typeof startPacketd> {
  return startPacketd(['log', '--iface', 'lo', ...flags], { prefix: AS_NOBODY });
}

/** The checkout must be readable by an unprivileged user (a clone under /root is not). */
function nobodyCannotRead(): string | undefined {
  const main = join(repoRoot, 'dist', 'cli', 'main.js');
  const ok = spawnSync(AS_NOBODY[0], [...AS_NOBODY.slice(1), 'test', '-r', main], { stdio: 'ignore' }).status === 0;
  return ok ? undefined : `user nobody cannot read ${main}`;
}

describe('live capture errors', () => {
  it('without the cap addon: one line saying what to install', () => {
    expect(new LiveCaptureUnavailableError('cap is not installed or its addon is missing').message).toMatch(
      /^live capture needs the optional "cap" module, .*install libpcap-dev .*npm rebuild cap.*or use the tcpdump source/,
    );
  });

  const reason = liveSkipReason() ?? (hasBinary('setpriv') ? nobodyCannotRead() : 'needs setpriv (util-linux)');
  it.skipIf(skipNote('live capture errors (run as nobody)', reason))('without CAP_NET_RAW: one line naming the missing capabilities, exit 1', async () => {
    const unprivileged = startPacketdAsNobody();
    expect(await unprivileged.exited).toBe(1);
    expect(unprivileged.stderr()).toBe(
      'error: cannot capture on lo: permission denied (capturing needs CAP_NET_RAW and CAP_NET_ADMIN: run as root, ' +
        'or grant them with setcap or a systemd unit; see README "Run as an agent")\n',
    );
  });

  it.skipIf(skipNote('live capture errors (tcpdump as nobody)', reason ?? (hasBinary('tcpdump') ? undefined : 'needs tcpdump')))(
    'tcpdump without CAP_NET_RAW: the line says tcpdump lacks it and how to grant it',
    async () => {
      const unprivileged = startPacketdAsNobody('--tcpdump');
      expect(await unprivileged.exited).toBe(1);
      expect(unprivileged.stderr()).toMatch(/^error: cannot capture on lo: permission denied \(tcpdump needs CAP_NET_RAW and CAP_NET_ADMIN: .*setcap cap_net_raw,cap_net_admin=eip .*\)\n$/);
    },
  );

  it.skipIf(liveSkipReason() !== undefined)('an unknown interface: the interfaces there are, exit 1', async () => {
    const packetd = startPacketd(['log', '--iface', 'nosuch0']);
    expect(await packetd.exited).toBe(1);
    expect(packetd.stderr()).toMatch(/^error: no interface named "nosuch0" \(interfaces: .*\blo\b.*\)\n$/);
  });
});
