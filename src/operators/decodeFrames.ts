import { Observable, type OperatorFunction } from 'rxjs';
import { FrameDecoder, type FrameDecoderOptions } from '../frames/frame-decoder.js';
import type { Packet, RawPacket } from '../model/packet.js';
import type { Stats } from '../pipeline/stats.js';
import { Hop } from './hop.js';

export interface DecodeFramesOptions extends FrameDecoderOptions {
  /**
   * Receives `packetd_frames_total{result}`, `packetd_decode_errors_total{layer,reason}`,
   * `packetd_tunnel_packets_total{type}` and reassembly counters.
   */
  stats: Stats;
}

/**
 * Decodes captured frames into TCP/UDP packets: link layer, VLAN tags, IPv4/IPv6 with
 * extension headers, IP fragment reassembly, tunnels (VXLAN, Geneve, GRE, ERSPAN, IP in IP,
 * MPLS, PPPoE: the packet inside comes out, with the outer facts in `packet.tunnel`). Frames
 * that are not TCP/UDP over IP, or are malformed, are counted and skipped; the stream never
 * errors because of a frame's bytes. A fragmented datagram comes out once, when its last
 * missing fragment arrives.
 *
 * ```
 * raw:     -a--b--c--d--x--v--|   (c, d: two fragments of one datagram; x: an ARP frame; v: VXLAN)
 * decodeFrames({ stats })
 * packets: -A--B-----D-----V--|   (D: the reassembled datagram, its raw is d; V: the packet inside v)
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
