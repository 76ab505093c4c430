import { Observable, type OperatorFunction } from 'rxjs';
import type { Packet } from '../model/packet.js';
import type { StreamEvent } from '../model/stream.js';
import type { ReassembleOptions } from '../reassembly/options.js';
import { Reassembler } from '../reassembly/reassembler.js';
import { Hop } from './hop.js';

export type { ReassembleOptions } from '../reassembly/options.js';

export interface ClockInput {
  /**
   * Packet time while no packets come (a live source's clock ticks, µs): idle conversations
   * close and a `tick` goes downstream as if a packet of that time had arrived. Ticks behind
   * the latest packet time are ignored.
   */
  clock?: Observable<number>;
}

/**
 * Rebuilds TCP and UDP conversations from packets: ordered bytes per direction, gaps where
 * bytes were lost, conversation boundaries, and packet-time ticks.
 *
 * ```
 * packets: S--A--a--c--b--F--G-|
 * events:  o-----a-----(bc)--x-|
 * ```
 * The SYN `S` opens conversation `o`; segment c arrives before b and is held until b fills the
 * hole; FINs from both sides (F, G) close it (`x`, reason 'fin'); pure ACKs (A) emit nothing. Each time packet
 * time crosses a multiple of `tickIntervalUs` a `tick` follows that packet's events, after idle
 * conversations are closed ('idle'). At the end of input every open conversation is closed
 * with reason 'end' (buffered data first, holes as gaps); on a source error too, then the error
 * is passed on.
 *
 * Limits (`maxConnections`, `maxBufferedBytesPerConnection`) are counted in
 * `packetd_reassembly_limit_hits_total{limit}` when hit: the least recently active
 * conversation is evicted, or the hole blocking a connection's buffer is given up as a gap.
 * A hole is also given up when the peer acknowledges past it (the capture lost the bytes).
 * Closed TCP tuples are remembered for 60 s of packet time so late packets do not reopen them;
 * a SYN does (port reuse). Idle expiry and eviction follow activity order exact to one tick.
 * Data released from the out-of-order buffer carries `packet: undefined` (its packet's bytes
 * were not kept) and the time its own packet arrived, one event per buffered segment: a
 * message starting in it starts when its first byte was seen, not when the hole filled.
 *
 * A RST counts only when its receiver would act on it (RFC 5961 §3: its sequence number is the
 * one expected next; in SYN-SENT, it acknowledges the SYN); others are ignored and counted in
 * `packetd_tcp_rst_ignored_total{reason="sequence"}`. One that counts holds the conversation
 * for `rstHoldUs` (3 s): data or a FIN continuing its sequence numbers within that time resumes
 * it (`{reason="resumed"}`), else it closes with reason 'rst' at the reset's time.
 * ```
 * packets: S--r--K--a--R--b--|     (r: a RST that does not acknowledge S; K: the SYN-ACK;
 * events:  o--------a-----b--(x|)   R: a RST at the next number; b continues: resumed; x: 'end')
 * ```
 *
 * With `clock` (live sources), packet time also advances while the wire is quiet:
 * ```
 * packets: S--a------------------|
 * clock:   ---------T-----U------|   (T: past a by more than the idle timeout; U: a later second)
 * events:  o--a-----(xt)--t------|   (x: closed 'idle'; t: ticks)
 * ```
 */
export function reassemble(options: ReassembleOptions & ClockInput): OperatorFunction<Packet, StreamEvent> {
  return (source) =>
    new Observable<StreamEvent>((subscriber) => {
      const reassembler = new Reassembler(subscriber, options);
      const clock = options.clock?.subscribe((ts) => reassembler.clock(ts));
      if (clock) subscriber.add(clock);
      return source.subscribe(
        new Hop<Packet>(subscriber, {
          next: (packet) => reassembler.packet(packet),
          error: (err: unknown) => {
            reassembler.end();
            subscriber.error(err);
          },
          complete: () => {
            reassembler.end();
            subscriber.complete();
          },
        }),
      );
    });
}
