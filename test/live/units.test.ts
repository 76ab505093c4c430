import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RawPacket } from '../../src/model/packet.js';
import { FlowGate } from '../../src/pipeline/flow-gate.js';
import { resolvePipeline, parsePipeline } from '../../src/pipeline/load.js';
import { PipelineConfigError } from '../../src/pipeline/config-error.js';
import { Stats } from '../../src/pipeline/stats.js';
import { captureFilter, LiveFeed, selectInterfaces, type PacketSource } from '../../src/sources/live/index.js';
import { tcpdumpArgs } from '../../src/sources/live/tcpdump-source.js';

function fakeSource(): PacketSource & { subject: Subject<RawPacket> } {
  const subject = new Subject<RawPacket>();
  return { subject, packets: subject, description: 'fake', ready: () => Promise.resolve(), stop: () => Promise.resolve(subject.complete()) };
}

function packet(ts: number, bytes = 100): RawPacket {
  return { ts, linkType: 1, data: Buffer.alloc(bytes), origLen: bytes, iface: 0, offset: 0 };
}

describe('captureFilter', () => {
  it('narrows to the rules’ ports only when detection is off', () => {
    const rules = [{ protocol: 'http', ports: [8080] }, { protocol: 'redis' }];
    expect(captureFilter({ rules, detect: true, ip: 'both', user: undefined })).toBe('(tcp or udp)');
    expect(captureFilter({ rules, detect: false, ip: 'ipv4', user: 'host 10.0.0.1' })).toBe(
      'ip and (((tcp or udp) and (port 6379 or port 8080)) or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)) and (host 10.0.0.1)',
    );
    expect(captureFilter({ rules: [], detect: false, ip: 'ipv6', user: ' ' })).toBe('ip6 and (tcp or udp)');
  });
});

describe('selectInterfaces', () => {
  const available = ['lo', 'eth0', 'eth1', 'any', 'nflog'];
  it('takes names, regexes and "any"', () => {
    expect(selectInterfaces(['lo', 'eth0', 'lo'], available)).toEqual(['lo', 'eth0']);
    expect(selectInterfaces({ regex: '^eth' }, available)).toEqual(['eth0', 'eth1']);
    expect(selectInterfaces('any', available)).toEqual(['any']);
  });
  it('names what exists when a name or regex finds nothing', () => {
    expect(() => selectInterfaces(['wlan0'], available)).toThrow('no interface named "wlan0" (interfaces: lo, eth0, eth1, any, nflog)');
    expect(() => selectInterfaces({ regex: '^wl' }, available)).toThrow('no interface matches /^wl/');
  });
});

describe('tcpdumpArgs', () => {
  it('asks for a packet-buffered pcap stream on stdout', () => {
    const args = tcpdumpArgs({ interface: 'lo', filter: 'tcp', path: 'tcpdump', command: undefined, promiscuous: false, bufferSize: 4 << 20, snaplen: 65535 });
    expect(args).toEqual(['-i', 'lo', '-U', '-w', '-', '-n', '-s', '65535', '-B', '4096', '-p', 'tcp']);
  });
});

describe('LiveFeed', () => {
  it('passes packets through, queues them while the gate is held or no run is attached, and drops beyond the queue, counted', async () => {
    const source = fakeSource();
    const stats = new Stats();
    const feed = new LiveFeed(source, { queueSize: 250 }, stats);
    const gate = new FlowGate();
    const seen: number[] = [];
    const input = feed.attach(gate);
    const done = new Promise<void>((resolve) => input.packets.subscribe({ next: (p) => seen.push(p.ts), complete: resolve }));
    source.subject.next(packet(1));
    let release: () => void = () => undefined;
    gate.hold(new Promise<void>((resolve) => (release = resolve)));
    source.subject.next(packet(2));
    source.subject.next(packet(3));
    source.subject.next(packet(4)); // 300 bytes queued would pass 250: dropped
    expect(seen).toEqual([1]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([1, 2, 3]);

    feed.detach();
    await done;
    source.subject.next(packet(5)); // between runs: queued for the next one
    const next: number[] = [];
    const second = feed.attach(new FlowGate());
    const ended = new Promise<void>((resolve) => second.packets.subscribe({ next: (p) => next.push(p.ts), complete: resolve }));
    source.subject.next(packet(6));
    await source.stop();
    await ended;
    expect(next).toEqual([5, 6]);
    expect(stats.snapshot()['packetd_queue_dropped_total']).toBe(1);
  });

  it('ticks packet time forward while the wire is quiet', async () => {
    const source = fakeSource();
    const feed = new LiveFeed(source, { queueSize: 1 << 20, tickIntervalMs: 20 }, new Stats());
    const input = feed.attach(new FlowGate());
    const ticks: number[] = [];
    input.clock.subscribe((ts) => ticks.push(ts));
    input.packets.subscribe();
    const t0 = 1_700_000_000_000_000;
    source.subject.next(packet(t0));
    await new Promise((resolve) => setTimeout(resolve, 120));
    await source.stop();
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toBeGreaterThanOrEqual(t0 + 20_000);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
  });
});

describe('live sources in the pipeline file', () => {
  const pipelines = { log: { sinks: [{ use: 'null' }] } };
  it('reads live, tcpdump and admin with their defaults', async () => {
    const live = await resolvePipeline({ source: { live: { interfaces: 'lo', filter: 'port 80' } }, pipelines });
    expect(live.source.live).toEqual({
      interfaces: ['lo'],
      filter: 'port 80',
      promiscuous: true,
      bufferSize: 64 << 20,
      snaplen: 65535,
      ip: 'both',
      queueSize: 64 << 20,
    });
    expect(live.admin).toEqual({ enabled: true, host: '127.0.0.1', port: 6061 });
    const tcpdump = await resolvePipeline({ source: { tcpdump: { interface: 'eth0' } }, admin: { listen: '[::1]:7000' }, pipelines });
    expect(tcpdump.source.tcpdump).toMatchObject({ interface: 'eth0', path: 'tcpdump', snaplen: 262144, promiscuous: true });
    expect(tcpdump.admin).toEqual({ enabled: true, host: '::1', port: 7000 });
    const regex = await resolvePipeline({ source: { live: { interfaces: { regex: '^eth' }, buffer_size: '1MiB' } }, pipelines });
    expect(regex.source.live).toMatchObject({ interfaces: { regex: '^eth' }, bufferSize: 1 << 20 });
  });

  it('reports bad live settings with their lines', async () => {
    const text = `source:
  live:
    interfaces: { regex: "(" }
    promiscuous: false
admin: { listen: "localhost" }
pipelines: { log: { sinks: [ { use: "null" } ] } }
`;
    const err = await parsePipeline(text, { file: 'p.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineConfigError);
    const message = (err as Error).message;
    expect(message).toContain('p.yaml:3: source.live.interfaces');
    expect(message).toContain('p.yaml:4: source.live.promiscuous: the cap binding always captures promiscuously; use source.tcpdump');
    expect(message).toContain('p.yaml:5: admin.listen: expected HOST:PORT');
    const two = await resolvePipeline({ source: { pcap: { path: 'x' }, live: { interfaces: 'any' } }, pipelines }).catch((e: Error) => e.message);
    expect(two).toContain('source: give exactly one of pcap, live, tcpdump');
  });
});
