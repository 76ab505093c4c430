import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RawPacket } from '../../src/model/index.js';
import { FlowGate } from '../../src/pipeline/flow-gate.js';
import { Stats } from '../../src/pipeline/stats.js';
import { CaptureFormatError, readCapture } from '../../src/sources/index.js';
import { collect, corpusDir, summarize, tsharkFrames } from './helpers.js';

const loopbackPcap = join(corpusDir, 'gopacket/pcap/test_loopback.pcap');
const multiSectionPcapng = join(corpusDir, 'gopacket/pcapgo/tests/be/test202.pcapng');
const scratch = mkdtempSync(join(tmpdir(), 'packetd-sources-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, bytes: Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

/** How many of this process's file descriptors are open on `path` (Linux /proc). */
function openDescriptorsOf(path: string): number {
  // Descriptors name the file by its real path (the corpus may be reached through a link).
  const real = realpathSync(path);
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === real;
    } catch {
      return false; // the descriptor readdir itself used is gone already
    }
  }).length;
}

/** Delivers `bytes` in chunks of `size`, like a pipe would in the worst case. */
function trickle(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks);
}

/** Rewrites a little-endian classic pcap with big-endian headers (packet bytes untouched). */
function toBigEndian(pcap: Buffer): Buffer {
  const out = Buffer.from(pcap);
  out.writeUInt32BE(pcap.readUInt32LE(0), 0);
  out.writeUInt16BE(pcap.readUInt16LE(4), 4);
  out.writeUInt16BE(pcap.readUInt16LE(6), 6);
  for (let at = 8; at < 24; at += 4) out.writeUInt32BE(pcap.readUInt32LE(at), at);
  for (let at = 24; at < pcap.length; at += 16 + pcap.readUInt32LE(at + 8)) {
    for (let field = 0; field < 16; field += 4) out.writeUInt32BE(pcap.readUInt32LE(at + field), at + field);
  }
  return out;
}

describe('classic pcap variants', () => {
  it('reads nanosecond pcap (editcap -F nsecpcap), truncating to microseconds like tshark', async () => {
    const nsec = join(scratch, 'nsec.pcap');
    // Shift by 789 ns so the nanosecond part is not a whole number of microseconds.
    execFileSync('editcap', ['-F', 'nsecpcap', '-t', '0.000000789', loopbackPcap, nsec], { stdio: 'ignore' });
    expect(readFileSync(nsec).readUInt32LE(0)).toBe(0xa1b23c4d);

    const { packets, error } = await collect(readCapture(nsec));
    const { frames } = tsharkFrames(nsec);
    expect(error).toBeUndefined();
    expect(packets.map((p) => p.ts)).toEqual(frames.map((f) => f.ts));
    const original = await collect(readCapture(loopbackPcap));
    expect(packets.map((p) => p.ts)).toEqual(original.packets.map((p) => p.ts));
  });

  it('reads big-endian pcap, microsecond and nanosecond, as its little-endian twin', async () => {
    const nsec = join(scratch, 'nsec-for-be.pcap');
    execFileSync('editcap', ['-F', 'nsecpcap', loopbackPcap, nsec], { stdio: 'ignore' });
    for (const littleEndian of [loopbackPcap, nsec]) {
      const bigEndian = scratchFile('be.pcap', toBigEndian(readFileSync(littleEndian)));
      const expected = await collect(readCapture(littleEndian));
      const actual = await collect(readCapture(bigEndian));
      expect(actual.error).toBeUndefined();
      expect(actual.packets.length).toBeGreaterThan(0);
      expect(summarize(actual.packets)).toEqual(summarize(expected.packets));
      expect(tsharkFrames(bigEndian).frames.map((f) => f.ts)).toEqual(actual.packets.map((p) => p.ts));
    }
  });
});

describe('chunking', () => {
  it.each([loopbackPcap, multiSectionPcapng])('gives the same packets from a stream of 7-byte and 1-byte chunks: %s', async (file) => {
    const bytes = readFileSync(file);
    const expected = summarize((await collect(readCapture(file))).packets);
    for (const size of [7, 1]) {
      const { packets, error } = await collect(readCapture(trickle(bytes, size)));
      expect(error).toBeUndefined();
      expect(summarize(packets)).toEqual(expected);
    }
  });

  it('gives the same packets whatever the file chunk size', async () => {
    const expected = summarize((await collect(readCapture(loopbackPcap))).packets);
    for (const chunkSize of [13, 100, 4096]) {
      expect(summarize((await collect(readCapture(loopbackPcap, { chunkSize }))).packets)).toEqual(expected);
    }
  });

  it("reads stdin for '-'", async () => {
    const stdin = trickle(readFileSync(loopbackPcap), 1000);
    vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
    try {
      const expected = summarize((await collect(readCapture(loopbackPcap))).packets);
      expect(summarize((await collect(readCapture('-'))).packets)).toEqual(expected);
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe('malformed input', () => {
  it.each([
    ['file', undefined],
    ['file in small chunks', 100],
  ])('a truncated pcap (%s) emits every complete packet, then names the cut record', async (_, chunkSize) => {
    const all = (await collect(readCapture(loopbackPcap))).packets;
    const cutRecord = all[20]!;
    const truncated = scratchFile('truncated.pcap', readFileSync(loopbackPcap).subarray(0, cutRecord.offset + 16 + 5));
    const { packets, error } = await collect(readCapture(truncated, { chunkSize }));
    expect(summarize(packets)).toEqual(summarize(all.slice(0, 20)));
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as CaptureFormatError).offset).toBe(cutRecord.offset);
    expect((error as Error).message).toBe(`capture ends inside a packet record at byte ${cutRecord.offset}`);
  });

  it('a pcapng cut inside a block reports that block', async () => {
    const all = (await collect(readCapture(multiSectionPcapng))).packets;
    const last = all[all.length - 1]!;
    const truncated = scratchFile('truncated.pcapng', readFileSync(multiSectionPcapng).subarray(0, last.offset + 30));
    const { packets, error } = await collect(readCapture(trickle(readFileSync(truncated), 7)));
    expect(summarize(packets)).toEqual(summarize(all.slice(0, -1)));
    expect(error).toEqual(new CaptureFormatError('capture ends inside a block', last.offset));
  });

  it('a corrupt record length stops the read at that record', async () => {
    const all = (await collect(readCapture(loopbackPcap))).packets;
    const bytes = Buffer.from(readFileSync(loopbackPcap));
    bytes.writeUInt32LE(0xfffffff0, all[5]!.offset + 8);
    const { packets, error } = await collect(readCapture(scratchFile('corrupt.pcap', bytes)));
    expect(packets).toHaveLength(5);
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as CaptureFormatError).offset).toBe(all[5]!.offset);
  });

  it('a pcapng block whose trailing length disagrees is an error at that block', async () => {
    const all = (await collect(readCapture(multiSectionPcapng))).packets;
    const bytes = Buffer.from(readFileSync(multiSectionPcapng));
    const bad = all[2]!.offset;
    bytes.writeUInt32BE(bytes.readUInt32BE(bad + 4) + 4, bad + 4);
    const { packets, error } = await collect(readCapture(scratchFile('corrupt.pcapng', bytes)));
    expect(packets).toHaveLength(2);
    expect((error as CaptureFormatError).offset).toBe(bad);
  });

  it('rejects input that is not a capture', async () => {
    const { packets, error } = await collect(readCapture(scratchFile('text.pcap', Buffer.from('GET / HTTP/1.1\r\n\r\n'))));
    expect(packets).toHaveLength(0);
    expect(error).toEqual(new CaptureFormatError('not a pcap or pcapng file (unknown magic number)', 0));
    const empty = await collect(readCapture(scratchFile('empty.pcap', Buffer.alloc(0))));
    expect(empty.error).toBeInstanceOf(CaptureFormatError);
  });

  it('names a missing file in one line', async () => {
    const { error } = await collect(readCapture('/nonexistent/capture.pcap'));
    expect(error).not.toBeInstanceOf(CaptureFormatError);
    expect((error as Error).message).toBe('cannot open capture /nonexistent/capture.pcap: no such file');
  });
});

describe('flow control and resources', () => {
  it('waits for the gate after each chunk and resumes when released', async () => {
    const gate = new FlowGate();
    let release!: () => void;
    gate.hold(new Promise<void>((resolve) => (release = resolve)));
    const chunkSize = 4096;
    const received: RawPacket[] = [];
    const done = new Promise<void>((resolve, reject) =>
      readCapture(loopbackPcap, { gate, chunkSize }).subscribe({ next: (p) => received.push(p), error: reject, complete: resolve }),
    );
    await sleep(50);
    const all = (await collect(readCapture(loopbackPcap))).packets;
    const inFirstChunk = all.filter((p) => p.offset + 16 + p.data.length <= chunkSize).length;
    expect(received).toHaveLength(inFirstChunk);
    release();
    await done;
    expect(received).toHaveLength(all.length);
  });

  it('counts packets and bytes read', async () => {
    const stats = new Stats();
    const { packets } = await collect(readCapture(loopbackPcap, { stats, chunkSize: 1000 }));
    expect(stats.counter('packetd_packets_read_total', '').value).toBe(packets.length);
    expect(stats.counter('packetd_bytes_read_total', '').value).toBe(readFileSync(loopbackPcap).length);
  });

  it('closes the file when unsubscribed, even while the gate is held', async () => {
    const gate = new FlowGate();
    gate.hold(new Promise(() => {}));
    const received: RawPacket[] = [];
    const subscription = readCapture(loopbackPcap, { gate, chunkSize: 4096 }).subscribe((p) => received.push(p));
    await sleep(20);
    expect(received.length).toBeGreaterThan(0);
    expect(openDescriptorsOf(loopbackPcap)).toBe(1);
    subscription.unsubscribe();
    await sleep(20);
    expect(openDescriptorsOf(loopbackPcap)).toBe(0);
  });

  it('closes the file when a downstream operator stops early', async () => {
    const firstThree = await firstValueFrom(readCapture(loopbackPcap, { chunkSize: 1000 }).pipe(take(3), toArray()));
    expect(firstThree).toHaveLength(3);
    await sleep(20);
    expect(openDescriptorsOf(loopbackPcap)).toBe(0);
  });
});

describe('pcapng interface options', () => {
  /** A one-packet little-endian pcapng whose interface has if_tsresol = 9 (ns) and if_tsoffset. */
  function pcapngWithOffset(offsetSeconds: number, nanoseconds: bigint): Buffer {
    const block = (type: number, body: Buffer): Buffer => {
      const length = 12 + body.length;
      const out = Buffer.alloc(length);
      out.writeUInt32LE(type, 0);
      out.writeUInt32LE(length, 4);
      body.copy(out, 8);
      out.writeUInt32LE(length, length - 4);
      return out;
    };
    const section = Buffer.alloc(16);
    section.writeUInt32LE(0x1a2b3c4d, 0);
    section.writeUInt16LE(1, 4);
    section.writeBigInt64LE(-1n, 8);
    const iface = Buffer.alloc(8 + 8 + 12 + 4);
    iface.writeUInt16LE(1, 0); // Ethernet
    iface.writeUInt32LE(0, 4);
    iface.writeUInt16LE(9, 8); // if_tsresol
    iface.writeUInt16LE(1, 10);
    iface.writeUInt8(9, 12);
    iface.writeUInt16LE(14, 16); // if_tsoffset
    iface.writeUInt16LE(8, 18);
    iface.writeBigInt64LE(BigInt(offsetSeconds), 20);
    const frame = Buffer.alloc(60, 0xab);
    const packet = Buffer.alloc(20 + frame.length);
    packet.writeUInt32LE(Number(nanoseconds >> 32n), 4);
    packet.writeUInt32LE(Number(nanoseconds & 0xffffffffn), 8);
    packet.writeUInt32LE(frame.length, 12);
    packet.writeUInt32LE(frame.length, 16);
    frame.copy(packet, 20);
    return Buffer.concat([block(0x0a0d0d0a, section), block(1, iface), block(6, packet)]);
  }

  it('applies nanosecond resolution without float rounding, and if_tsoffset', async () => {
    const file = scratchFile('offset.pcapng', pcapngWithOffset(1000, 1_700_000_000_123_456_789n));
    const { packets, error } = await collect(readCapture(file));
    expect(error).toBeUndefined();
    expect(packets.map((p) => p.ts)).toEqual([1_700_001_000_123_456]);
    expect(tsharkFrames(file).frames.map((f) => f.ts)).toEqual([1_700_001_000_123_456]);
  });
});
