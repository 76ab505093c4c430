import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture, readCaptureWithPcapParser } from '../../src/sources/index.js';
import { collect, corpusDir, summarize } from './helpers.js';

describe('cross-check with pcap-parser', () => {
  it.each(['gopacket/pcap/test_loopback.pcap', 'tcpdump/bigtcp-ipv6.pcap', 'tcpdump/resp_1_benchmark.pcap'])(
    'reads %s exactly as pcap-parser does',
    async (name) => {
      const file = join(corpusDir, name);
      const ours = await collect(readCapture(file));
      const theirs = await collect(readCaptureWithPcapParser(file));
      expect(ours.error).toBeUndefined();
      expect(theirs.error).toBeUndefined();
      expect(ours.packets.length).toBeGreaterThan(0);
      expect(summarize(ours.packets)).toEqual(summarize(theirs.packets));
    },
  );
});
