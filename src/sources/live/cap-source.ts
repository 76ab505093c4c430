import { FrameInBuffer, type RawPacket } from '../../model/packet.js';
import { Broadcast } from '../../operators/broadcast.js';
import type { Stats } from '../../pipeline/stats.js';
import { loadCap, type CapHandle } from './cap-binding.js';
import { linkTypeOf } from './link-types.js';
import { monotonicMicros } from './live-clock.js';
import { PacketSlab } from './packet-slab.js';
import { PACKETS_READ, type PacketSource } from './packet-source.js';
import { captureError } from './permission.js';

/** cap hands over at most this many bytes per packet: libpcap's snaplen is fixed at 65535 there. */
export const CAP_MAX_SNAPLEN = 65535;

export interface CapSourceOptions {
  /** Interface names, already selected (selectInterfaces). */
  interfaces: string[];
  /** The compiled BPF expression (captureFilter). */
  filter: string;
  bufferSize: number;
  snaplen: number;
}

/**
 * Every cap handle this process made, kept referenced until it exits: the addon's native object
 * must never be collected. Its `close()` stops the libuv poll handle inside the object without
 * closing it, so libuv keeps the handle in its loop; once the object is collected, that entry
 * points into freed memory and the process crashes when the loop walks its handles at exit (a
 * test worker died that way). A failed open has the like problem: the destructor stops a poll
 * handle that was never started. A process opens a handful of handles, so nothing grows.
 */
const keptHandles: CapHandle[] = [];

/**
 * Live capture through the `cap` addon on one or more interfaces, merged into one stream
 * (`iface` is the interface's position in the list). cap delivers each packet into one reused
 * buffer and no timestamp, so each packet is copied into a slab and stamped with the monotonic
 * clock when its callback runs. Opening fails at once, with one line, for a missing addon, a
 * missing permission, an unknown interface, a bad filter or a link type packetd cannot decode.
 */
export function openCapSource(options: CapSourceOptions, stats: Stats): PacketSource {
  const { Cap } = loadCap();
  const packets = new Broadcast<RawPacket>();
  const packetsRead = stats.counter(...PACKETS_READ);
  const slab = new PacketSlab();
  const handles: CapHandle[] = [];
  const snaplen = Math.min(options.snaplen, CAP_MAX_SNAPLEN);
  try {
    for (const [iface, name] of options.interfaces.entries()) {
      const cap = new Cap();
      keptHandles.push(cap);
      const buffer = Buffer.alloc(snaplen);
      let linkTypeName: string;
      try {
        linkTypeName = cap.open(name, options.filter, options.bufferSize, buffer);
      } catch (err) {
        throw captureError(name, (err as Error).message);
      }
      handles.push(cap);
      const linkType = linkTypeOf(linkTypeName);
      if (linkType === undefined) throw new Error(`cannot capture on ${name}: unsupported link type ${linkTypeName}`);
      cap.on('packet', (nbytes) => {
        packetsRead.value++;
        slab.copy(buffer, nbytes);
        // cap reports no wire length; a cut frame shows as a gap from the IP header's lengths.
        packets.next(new FrameInBuffer(monotonicMicros(), linkType, slab.buffer, slab.start, slab.start + nbytes, nbytes, iface, 0));
      });
    }
  } catch (err) {
    for (const cap of handles) cap.close();
    throw err;
  }
  return {
    packets: packets.observable,
    description: options.interfaces.join(', '),
    ready: () => Promise.resolve(),
    stop: () => {
      for (const cap of handles) cap.close();
      packets.complete();
      return Promise.resolve();
    },
  };
}
