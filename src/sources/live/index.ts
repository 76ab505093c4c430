import type { PipelineConfig } from '../../pipeline/load.js';
import type { Stats } from '../../pipeline/stats.js';
import { captureFilter } from './bpf-filter.js';
import { openCapSource } from './cap-source.js';
import { listInterfaces, selectInterfaces } from './interfaces.js';
import type { PacketSource } from './packet-source.js';
import { openTcpdumpSource } from './tcpdump-source.js';

export { capAvailable, LiveCaptureUnavailableError } from './cap-binding.js';
export { captureFilter } from './bpf-filter.js';
export { listInterfaces, selectInterfaces, type InterfaceInfo } from './interfaces.js';
export { LiveFeed, type RunInput } from './live-feed.js';
export type { PacketSource } from './packet-source.js';

export interface OpenedLiveSource {
  source: PacketSource;
  /** The BPF expression in use (logged at start). */
  filter: string;
  /** Bytes the LiveFeed may queue. */
  queueSize: number;
}

/** Opens the pipeline's live source (`source.live` or `source.tcpdump`); throws one line when it cannot. */
export function openLiveSource(config: PipelineConfig, stats: Stats): OpenedLiveSource {
  const { live, tcpdump } = config.source;
  const filterOf = (spec: { ip: 'both' | 'ipv4' | 'ipv6'; filter: string | undefined }): string =>
    captureFilter({ rules: config.protocols, detect: config.detect, ip: spec.ip, user: spec.filter });
  if (live) {
    const filter = filterOf(live);
    const interfaces = selectInterfaces(live.interfaces, listInterfaces().map((i) => i.name));
    const source = openCapSource({ interfaces, filter, bufferSize: live.bufferSize, snaplen: live.snaplen }, stats);
    return { source, filter, queueSize: live.queueSize };
  }
  if (tcpdump) {
    const filter = tcpdump.command ? '' : filterOf(tcpdump);
    return { source: openTcpdumpSource({ ...tcpdump, filter }, stats), filter, queueSize: tcpdump.queueSize };
  }
  throw new Error(`${config.file}: the source is a capture file, not a live source`);
}

/** True when the pipeline reads a live source (it then runs until stopped). */
export function isLive(config: PipelineConfig): boolean {
  return config.source.live !== undefined || config.source.tcpdump !== undefined;
}
