import { Observable, type OperatorFunction } from 'rxjs';
import { FrameDecoder, type FrameDecoderOptions } from '../frames/frame-decoder.js';
import type { Packet, RawPacket } from '../model/packet.js';
import type { Stats } from '../pipeline/stats.js';
import { Hop } from './hop.js';

export interface DecodeFramesOptions extends FrameDecoderOptions {
  /** Receives `packetd_frames_total{result}`, `packetd_decode_errors_total{layer,reason}` and reassembly counters. */
  stats: Stats;
}

/**
 * Decodes captured frames into TCP/UDP packets: link layer, VLAN tags, IPv4/IPv6 with
 * extension headers, IP fragment reassembly. Frames that are not TCP/UDP over IP, or are
 * malformed, are counted and skipped; the stream never errors because of a frame's bytes.
 * A fragmented datagram comes out once, when its last missing fragment arrives.
 *
 * ```
 * raw:     -a--b--c--d--x--|   (c, d: two fragments of one datagram; x: an ARP frame)
 * decodeFrames({ stats })
 * packets: -A--B-----D-----|   (D: the reassembled datagram; its raw is d)
 * ```
 */
export function decodeFrames(options: DecodeFramesOptions): OperatorFunction<RawPacket, Packet> {
  return (source) =>
    new Observable<Packet>((subscriber) => {
      const decoder = new FrameDecoder(options.stats, options);
      return source.subscribe(
        new Hop<RawPacket>(subscriber, {
          next(raw) {
            const packet = decoder.decode(raw);
            if (packet !== undefined) subscriber.next(packet);
          },
          error(error: unknown) {
            decoder.finish();
            subscriber.error(error);
          },
          complete() {
            decoder.finish();
            subscriber.complete();
          },
        }),
      );
    });
}
