import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError, readCapture } from '../../src/sources/index.js';
import { collect, corpusDir, linkTypeOfEncap, tsharkFrames } from './helpers.js';

const pcapngDirs = ['gopacket/pcapgo/tests/le', 'gopacket/pcapgo/tests/be'];
const pcapngFiles = pcapngDirs.flatMap((dir) =>
  readdirSync(join(corpusDir, dir))
    .filter((name) => name.endsWith('.pcapng'))
    .map((name) => `${dir}/${name}`),
);
const classicFiles = ['gopacket/pcap', 'tcpdump'].flatMap((dir) =>
  readdirSync(join(corpusDir, dir))
    .filter((name) => name.endsWith('.pcap') || name.endsWith('.pcapng'))
    .map((name) => `${dir}/${name}`),
);

/**
 * test901 has a second section with version 2.0, which no reader can interpret: tshark stops
 * there with an error, and so do we, naming the section header's offset.
 */
const UNSUPPORTED_SECTION_OFFSET: Record<string, number> = { 'test901.pcapng': 480 };

describe('readCapture against tshark on the corpus', () => {
  it.each([...pcapngFiles, ...classicFiles])('%s', async (name) => {
    const file = join(corpusDir, name);
    const { frames, failed } = tsharkFrames(file);
    const { packets, error } = await collect(readCapture(file));

    const badOffset = UNSUPPORTED_SECTION_OFFSET[name.split('/').pop()!];
    if (badOffset !== undefined) {
      expect(failed).toBe(true);
      expect(error).toBeInstanceOf(CaptureFormatError);
      expect((error as CaptureFormatError).offset).toBe(badOffset);
      expect((error as Error).message).toMatch(/unsupported pcapng version 2\.0 at byte/);
    } else {
      expect(failed).toBe(false);
      expect(error).toBeUndefined();
    }

    expect(packets).toHaveLength(frames.length);
    let previousTs = 0;
    packets.forEach((packet, i) => {
      const frame = frames[i]!;
      // Simple packet blocks have no timestamp: the reader repeats the previous packet's.
      expect(packet.ts, `ts of packet ${i}`).toBe(frame.ts ?? previousTs);
      expect(packet.data.length, `cap_len of packet ${i}`).toBe(frame.capLen);
      expect(packet.origLen, `len of packet ${i}`).toBe(frame.origLen);
      expect(packet.iface, `interface of packet ${i}`).toBe(frame.iface);
      expect(packet.linkType, `link type of packet ${i}`).toBe(linkTypeOfEncap(frame.encap));
      expect(Number.isInteger(packet.ts)).toBe(true);
      previousTs = packet.ts;
    });
  });
});
