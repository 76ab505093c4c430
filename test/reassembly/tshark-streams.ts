/**
 * Real captures for reassembly tests, read through tshark: the TCP packets as `Packet`s (the
 * input reassembly gets) and tshark's own reassembled streams (`follow,tcp,raw`) to compare
 * the output with.
 */
import { execFileSync } from 'node:child_process';
import type { Packet } from '../../src/model/packet.js';
import { endpoint, tcpPacket } from '../helpers/packets.js';
import { epochToMicros, tsharkFields } from '../helpers/tshark.js';

const FLAG_LETTERS: [number, string][] = [[0x02, 'S'], [0x10, 'A'], [0x01, 'F'], [0x04, 'R'], [0x08, 'P'], [0x20, 'U']];

function flagLetters(hex: string): string {
  const flags = Number(hex);
  return FLAG_LETTERS.filter(([bit]) => (flags & bit) !== 0).map(([, letter]) => letter).join('');
}

/** Every TCP packet of the capture (not those quoted inside ICMP errors), in capture order. */
export function tsharkTcpPackets(file: string): Packet[] {
  const fields = [
    'frame.time_epoch', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport',
    'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.len', 'tcp.payload',
  ];
  return tsharkFields(file, fields, { filter: 'tcp && !icmp && !icmpv6' }).map((row) => {
    const [time, ip4src, ip6src, ip4dst, ip6dst, sport, dport, seq, ack, flags, len, payload] = row.map((cell) => cell[0]);
    const bytes = Buffer.from(payload ?? '', 'hex');
    return tcpPacket(endpoint((ip4src ?? ip6src) as string, Number(sport)), endpoint((ip4dst ?? ip6dst) as string, Number(dport)), {
      ts: epochToMicros(time as string),
      flags: flagLetters(flags as string),
      seq: Number(seq),
      ack: Number(ack),
      payload: bytes,
      payloadLength: Number(len),
    });
  });
}

/** One TCP stream as tshark reassembles it. */
export interface FollowedStream {
  /** "address port" of the stream's first sender (node 0) and of its peer (node 1). */
  nodes: [string, string];
  /** Bytes node 0 sent, and bytes node 1 sent (tshark's "missing" markers taken out). */
  bytes: [Buffer, Buffer];
  /** Bytes tshark marks missing in capture, per node. */
  missing: [number, number];
}

/** tshark writes "[N bytes missing in capture file]" and a NUL into the stream where bytes were lost. */
const MISSING_MARKER = /\[(\d+) bytes missing in capture file\]\0?/g;

function takeOutMissingMarkers(bytes: Buffer): { bytes: Buffer; missing: number } {
  let missing = 0;
  const text = bytes.toString('latin1').replace(MISSING_MARKER, (_, count: string) => {
    missing += Number(count);
    return '';
  });
  return { bytes: Buffer.from(text, 'latin1'), missing };
}

function nodeName(line: string): string {
  const text = line.slice(line.indexOf(':') + 2);
  const colon = text.lastIndexOf(':');
  return `${text.slice(0, colon).replace(/^\[|\]$/g, '')} ${text.slice(colon + 1)}`;
}

/** tshark's reassembly of streams 0..count-1, from one tshark run (it prints them in any order). */
export function tsharkFollowTcp(file: string, count: number): FollowedStream[] {
  if (count === 0) return [];
  const args = ['-r', file, '-n', '-q'];
  for (let stream = 0; stream < count; stream++) args.push('-z', `follow,tcp,raw,${stream}`);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const streams: FollowedStream[] = [];
  for (const section of out.split(/^=+$/m)) {
    const index = /^Filter: tcp\.stream eq (\d+)$/m.exec(section);
    if (index === null) continue;
    const nodes = section.split('\n').filter((line) => line.startsWith('Node ')).map(nodeName);
    const chunks: [Buffer[], Buffer[]] = [[], []];
    for (const line of section.split('\n')) {
      if (/^\t?[0-9a-f]+$/.test(line)) chunks[line.startsWith('\t') ? 1 : 0].push(Buffer.from(line.trim(), 'hex'));
    }
    const [sent0, sent1] = chunks.map((c) => takeOutMissingMarkers(Buffer.concat(c)));
    streams[Number(index[1])] = {
      nodes: [nodes[0], nodes[1]],
      bytes: [sent0.bytes, sent1.bytes],
      missing: [sent0.missing, sent1.missing],
    };
  }
  return streams;
}

export function tsharkTcpStreamCount(file: string): number {
  const streams = tsharkFields(file, ['tcp.stream'], { filter: 'tcp && !icmp && !icmpv6' }).map((row) => Number(row[0][0]));
  return streams.length === 0 ? 0 : Math.max(...streams) + 1;
}
