import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Observable } from 'rxjs';
import type { RawPacket } from '../../src/model/index.js';

export const corpusDir = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** One frame as tshark reads it; `ts` is undefined for frames without a timestamp (pcapng SPB). */
export interface TsharkFrame {
  ts: number | undefined;
  capLen: number;
  origLen: number;
  iface: number;
  /** Wiretap encapsulation, not the LINKTYPE value (see linkTypeOfEncap). */
  encap: number;
}

/** tshark's frames (packets only: pcapng custom blocks are listed with no interface) and its error, if any. */
export function tsharkFrames(file: string): { frames: TsharkFrame[]; failed: boolean } {
  let stdout: string;
  let failed = false;
  const args = ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'];
  args.push('-e', 'frame.interface_id', '-e', 'frame.encap_type');
  try {
    stdout = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (error) {
    failed = true;
    stdout = (error as { stdout: string }).stdout;
  }
  const pcapng = file.endsWith('.pcapng');
  const frames: TsharkFrame[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [time, capLen, origLen, iface, encap] = line.split('\t') as [string, string, string, string, string];
    if (pcapng && iface === '') continue;
    frames.push({ ts: micros(time), capLen: Number(capLen), origLen: Number(origLen), iface: Number(iface || 0), encap: Number(encap) });
  }
  return { frames, failed };
}

/** "1340954905.298858123" → 1340954905298858 (truncated, like the reader). */
function micros(time: string): number | undefined {
  if (time === '') return undefined;
  const [seconds, fraction = ''] = time.split('.') as [string, string?];
  return Number(seconds) * 1_000_000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

/** Wiretap encapsulations (what tshark reports) of the link types in the corpus. */
const LINKTYPE_OF_ENCAP: Record<number, number> = { 1: 1, 7: 101, 15: 0, 25: 113 };

export function linkTypeOfEncap(encap: number): number | undefined {
  return LINKTYPE_OF_ENCAP[encap];
}

export async function collect(source: Observable<RawPacket>): Promise<{ packets: RawPacket[]; error: unknown }> {
  const packets: RawPacket[] = [];
  return new Promise((resolve) => {
    source.subscribe({
      next: (packet) => packets.push(packet),
      error: (error: unknown) => resolve({ packets, error }),
      complete: () => resolve({ packets, error: undefined }),
    });
  });
}

/** Packets as comparable plain values (data copied out of the read chunks). */
export function summarize(packets: RawPacket[]): Array<Omit<RawPacket, 'data'> & { data: string }> {
  return packets.map(({ ts, linkType, data, origLen, iface, offset }) => ({ ts, linkType, origLen, iface, offset, data: data.toString('hex') }));
}
