/**
 * Decodes a capture with packetd (readCapture + decodeFrames) and with tshark, into rows that
 * can be compared field by field, keyed by frame number.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { lastValueFrom, map, toArray } from 'rxjs';
import type { Packet } from '../../src/model/packet.js';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { Stats } from '../../src/pipeline/stats.js';
import { readCapture } from '../../src/sources/index.js';

export interface TransportRow {
  frame: number;
  src: string;
  dst: string;
  transport: 'tcp' | 'udp';
  srcPort: number;
  dstPort: number;
  /** Transport payload length the headers claim. */
  payloadLength: number;
  /** Captured payload bytes, hex. */
  payload: string;
}

export async function packetdRows(file: string, stats = new Stats()): Promise<{ rows: TransportRow[]; packets: Packet[] }> {
  const frameNumbers = new Map<object, number>();
  const packets = await lastValueFrom(
    readCapture(file).pipe(
      map((raw) => {
        frameNumbers.set(raw, frameNumbers.size + 1);
        return raw;
      }),
      decodeFrames({ stats }),
      toArray(),
    ),
  );
  const rows = packets.map((p) => ({
    frame: frameNumbers.get(p.raw)!,
    src: p.src,
    dst: p.dst,
    transport: p.proto === 6 ? ('tcp' as const) : ('udp' as const),
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    payloadLength: p.payloadLength,
    payload: p.payload.toString('hex'),
  }));
  return { rows, packets };
}

/**
 * tshark's TCP/UDP frames, read at the innermost IP and transport layers (tunnelled frames show
 * the packet inside, as packetd decodes them). Frames where TCP/UDP sits inside an ICMP error
 * quote are left out, and so are frames tshark dissects as TCP/UDP only after its own IP
 * reassembly shows them (it lists those on the frame that completed the datagram, as packetd does),
 * and tunnelled frames with no TCP/UDP inside.
 */
export async function tsharkRows(file: string): Promise<TransportRow[]> {
  const fields = ['frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.len'];
  fields.push('udp.srcport', 'udp.dstport', 'udp.length', 'tcp.payload', 'udp.payload', 'icmp.type', 'icmpv6.type');
  const rows: TransportRow[] = [];
  for (const cells of await tsharkFields(file, fields, 'tcp || udp')) {
    const [frame, protocols, ipSrc, ipDst, ip6Src, ip6Dst, tcpSrc, tcpDst, tcpLen, udpSrc, udpDst, udpLen, tcpPayload, udpPayload, icmp, icmp6] =
      cells as string[][];
    if (icmp!.length + icmp6!.length > 0 || ipSrc!.length + ip6Src!.length === 0) continue;
    const layers = protocols![0]!.split(':');
    const isTcp = layers.lastIndexOf('tcp') > layers.lastIndexOf('udp');
    // A tunnel whose payload is not TCP/UDP (ARP inside VXLAN): its only transport is the outer one.
    const transportAt = Math.max(layers.lastIndexOf('tcp'), layers.lastIndexOf('udp'));
    if (transportAt < Math.max(layers.lastIndexOf('eth'), layers.lastIndexOf('ip'), layers.lastIndexOf('ipv6'))) continue;
    const isIPv4 = layers.lastIndexOf('ip') > layers.lastIndexOf('ipv6');
    const last = (values: string[] | undefined): string | undefined => values![values!.length - 1];
    rows.push({
      frame: Number(frame![0]),
      src: last(isIPv4 ? ipSrc : ip6Src)!,
      dst: last(isIPv4 ? ipDst : ip6Dst)!,
      transport: isTcp ? 'tcp' : 'udp',
      srcPort: Number(last(isTcp ? tcpSrc : udpSrc)),
      dstPort: Number(last(isTcp ? tcpDst : udpDst)),
      payloadLength: isTcp ? Number(last(tcpLen)) : Number(last(udpLen)) - 8,
      payload: (last(isTcp ? tcpPayload : udpPayload) ?? '').replaceAll(':', ''),
    });
  }
  return rows;
}

/** One row per displayed frame, one list per field (its occurrences, empty when absent). */
async function tsharkFields(file: string, fields: string[], filter: string): Promise<string[][][]> {
  const args = ['-r', file, '-n', '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const field of fields) args.push('-e', field);
  const { stdout } = await promisify(execFile)('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t').map((cell) => (cell === '' ? [] : cell.split(','))));
}
