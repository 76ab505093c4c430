import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import type { StreamEvent } from '../../src/model/stream.js';
import { reassemble } from '../../src/operators/reassemble.js';
import { Stats } from '../../src/pipeline/stats.js';
import { endpoint, tcpPacket } from '../helpers/packets.js';

const C = endpoint('10.0.0.1', 40000);
const S = endpoint('10.0.0.2', 80);
const SECOND = 1_000_000;
const T0 = 1_700_000_000 * SECOND;

function describeEvent(e: StreamEvent): string {
  if (e.kind === 'tick') return `tick @${(e.ts - T0) / SECOND}s`;
  if (e.kind === 'close') return `close ${e.reason} @${(e.ts - T0) / SECOND}s`;
  return e.kind;
}

describe('reassemble with a live clock', () => {
  it('expires a quiet conversation on clock ticks, as its doc comment diagram shows', () => {
    new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, hot, expectObservable }) => {
      const packets = cold('S--a------------------|', {
        S: tcpPacket(C, S, { ts: T0, flags: 'S', seq: 1 }),
        a: tcpPacket(C, S, { ts: T0 + 1000, flags: 'PA', seq: 2, ack: 1, payload: 'x' }),
      });
      // Ticks behind packet time (b) are ignored; T is past the 5 s idle timeout.
      const clock = hot('-b-------T-----U------|', { b: T0 - SECOND, T: T0 + 6 * SECOND, U: T0 + 7 * SECOND });
      const out = packets.pipe(reassemble({ stats: new Stats(), tcpIdleTimeoutUs: 5 * SECOND, clock }), map(describeEvent));
      expectObservable(out).toBe('o--a-----(xt)--u------|', {
        o: 'open',
        a: 'data',
        x: 'close idle @6s',
        t: 'tick @6s',
        u: 'tick @7s',
      });
    });
  });

  it('ignores the clock before the first packet (there is nothing to expire)', () => {
    new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, hot, expectObservable }) => {
      const packets = cold<Packet>('-----|');
      const clock = hot('-T-U-|', { T: T0, U: T0 + 10 * SECOND });
      expectObservable(packets.pipe(reassemble({ stats: new Stats(), clock }), map(describeEvent))).toBe('-----|');
    });
  });
});
