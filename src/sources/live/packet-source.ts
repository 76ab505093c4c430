import type { Observable } from 'rxjs';
import type { RawPacket } from '../../model/packet.js';

/** A capture that runs until stopped: what a LiveFeed hands to pipeline runs. */
export interface PacketSource {
  /**
   * Hot: every captured packet, its bytes in memory that is never reused (so a packet may be
   * queued). Completes after `stop()`, errors if the capture fails.
   */
  readonly packets: Observable<RawPacket>;
  /** What it captures on, for messages ("lo, eth0", "tcpdump -i lo"). */
  readonly description: string;
  /** Resolves once packets are being captured. */
  ready(): Promise<void>;
  /** Stops capturing; resolves once `packets` has completed. */
  stop(): Promise<void>;
}

/** Counter of packets sources read; the same series readCapture counts, so run summaries see it. */
export const PACKETS_READ = ['packetd_packets_read_total', 'Packets read from capture sources'] as const;

/** Packets the kernel or the interface dropped before packetd saw them, as libpcap reports. */
export const CAPTURE_DROPPED = ['packetd_capture_dropped_total', 'Packets dropped before packetd read them, as libpcap reports (by: kernel, interface)'] as const;
