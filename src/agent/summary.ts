import type { RoundTripStatus } from '../model/roundtrip.js';
import { countsByProtocol, type RunSummary } from '../pipeline/run.js';
import type { Stats } from '../pipeline/stats.js';

/** What a live run dropped: by the kernel or interface (as libpcap reports, where the source can learn it) and by packetd's queue. */
export interface Drops {
  /** Undefined when the source cannot learn them (cap). */
  kernel: number | undefined;
  interface: number | undefined;
  queue: number;
}

/**
 * The summary of a live run, from its counters: they accumulate across reloads (every run of
 * an agent shares one Stats), where a RunSummary covers one run.
 */
export function summarizeStats(stats: Stats): Omit<RunSummary, 'sourceError' | 'pipelineErrors'> & { drops: Drops } {
  const summary = {
    packets: 0,
    roundtrips: 0,
    roundtripsByProtocol: {} as RunSummary['roundtripsByProtocol'],
    partialByProtocol: countsByProtocol(stats, 'packetd_roundtrips_partial_total', 'partial'),
    decodeErrors: 0,
    stats,
  };
  const drops: Drops = { kernel: undefined, interface: undefined, queue: 0 };
  for (const counter of stats.allCounters()) {
    switch (counter.name) {
      case 'packetd_packets_read_total':
        summary.packets += counter.value;
        break;
      case 'packetd_decode_errors_total':
        summary.decodeErrors += counter.value;
        break;
      case 'packetd_roundtrips_total': {
        if (counter.value === 0) break;
        const { protocol, status } = counter.labels as { protocol: string; status: RoundTripStatus };
        summary.roundtrips += counter.value;
        const byStatus = (summary.roundtripsByProtocol[protocol] ??= {});
        byStatus[status] = (byStatus[status] ?? 0) + counter.value;
        break;
      }
      case 'packetd_capture_dropped_total': {
        const by = counter.labels.by === 'interface' ? 'interface' : 'kernel';
        drops[by] = (drops[by] ?? 0) + counter.value;
        break;
      }
      case 'packetd_queue_dropped_total':
        drops.queue += counter.value;
        break;
    }
  }
  return { ...summary, drops };
}
