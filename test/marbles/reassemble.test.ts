import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import type { StreamEvent } from '../../src/model/stream.js';
import { reassemble, type ReassembleOptions } from '../../src/operators/reassemble.js';
import { Stats } from '../../src/pipeline/stats.js';
import { endpoint, tcpPacket, udpPacket, type Endpoint, type TcpSpec } from '../helpers/packets.js';

const C = endpoint('10.0.0.1', 40000);
const S = endpoint('10.0.0.2', 80);
const SECOND = 1_000_000;
const T0 = 1_700_000_000 * SECOND;

/** Packet from `from` to `to` at T0 + `at` µs. */
function tcp(from: Endpoint, to: Endpoint, at: number, flags: string, seq: number, ack = 0, payload?: string, extra: Partial<TcpSpec> = {}): Packet {
  return tcpPacket(from, to, { ts: T0 + at, flags, seq, ack, payload, ...extra });
}

/** Events as short strings, so marble expectations stay readable; `timed` adds data events' times. */
function describeEvent(e: StreamEvent, timed = false): string {
  const dir = (d: number) => (d === 0 ? 'c>s' : 's>c');
  switch (e.kind) {
    case 'open': {
      const { id, transport, client, server, rolesGuessed } = e.conv;
      return `open#${id} ${transport} ${client.address}:${client.port}>${server.address}:${server.port}${rolesGuessed ? ' guessed' : ''}`;
    }
    case 'data':
      return `data#${e.conv.id} ${dir(e.dir)} ${e.payload.toString()}${e.packet === undefined ? ' (buffered)' : ''}${timed ? ` @${e.ts - T0}` : ''}`;
    case 'gap':
      return `gap#${e.conv.id} ${dir(e.dir)} ${e.bytes}`;
    case 'close':
      return `close#${e.conv.id} ${e.reason} @${e.ts - T0}`;
    case 'tick':
      return `tick @${e.ts - T0}`;
  }
}

interface Case {
  packets: string;
  values: Record<string, Packet>;
  events: string;
  expected: Record<string, string>;
  options?: Omit<ReassembleOptions, 'stats'>;
  /** Show the time of each data event. */
  timed?: boolean;
}

/** Runs a marble case and returns the stats it counted. */
function runMarbles({ packets, values, events, expected, options, timed }: Case): Record<string, number> {
  const stats = new Stats();
  new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
    const out = cold(packets, values).pipe(reassemble({ stats, ...options }), map((e) => describeEvent(e, timed)));
    expectObservable(out).toBe(events, expected);
  });
  return stats.snapshot();
}

describe('reassemble', () => {
  it('behaves as its doc comment diagram shows', () => {
    runMarbles({
      packets: 'S--A--a--c--b--F--G-|',
      events:  'o-----a-----(bc)--x-|',
      values: {
        S: tcp(C, S, 0, 'S', 100),
        A: tcp(S, C, 10, 'A', 500, 101),
        a: tcp(C, S, 20, 'PA', 101, 0, 'a'),
        c: tcp(C, S, 30, 'PA', 103, 0, 'c'),
        b: tcp(C, S, 40, 'PA', 102, 0, 'b'),
        F: tcp(C, S, 50, 'FA', 104, 0),
        G: tcp(S, C, 60, 'FA', 500, 105),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        a: 'data#1 c>s a',
        b: 'data#1 c>s b',
        c: 'data#1 c>s c (buffered)',
        x: 'close#1 fin @60',
      },
    });
  });

  it('behaves as its doc comment diagram for resets shows', () => {
    runMarbles({
      packets: 'S--r--K--a--R--b--|',
      events:  'o--------a-----b--(x|)',
      values: {
        S: tcp(C, S, 0, 'S', 100),
        r: tcp(S, C, 10, 'R', 7),
        K: tcp(S, C, 20, 'SA', 500, 101),
        a: tcp(C, S, 30, 'PA', 101, 501, 'a'),
        R: tcp(S, C, 40, 'R', 501),
        b: tcp(C, S, 50, 'PA', 102, 501, 'b'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        a: 'data#1 c>s a',
        b: 'data#1 c>s b',
        x: 'close#1 end @50',
      },
    });
  });

  it('follows the handshake, delivers both directions in order and closes on FIN from both sides', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------e-------f-------g-------h-------|',
      events:  'o-----------------------x-------y---------------(zc)------------|',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        b: tcp(S, C, 10, 'SA', 500, 101),
        c: tcp(C, S, 20, 'A', 101, 501),
        d: tcp(C, S, 30, 'PA', 101, 501, 'GET /'),
        e: tcp(S, C, 40, 'PA', 501, 106, 'HTTP/1.1 200'),
        f: tcp(C, S, 50, 'FA', 106, 513),
        g: tcp(S, C, 60, 'FPA', 513, 107, ' OK'),
        h: tcp(C, S, 70, 'A', 107, 517),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 c>s GET /',
        y: 'data#1 s>c HTTP/1.1 200',
        z: 'data#1 s>c  OK',
        c: 'close#1 fin @60',
      },
    });
    expect(stats).toMatchObject({
      'packetd_connections_opened_total{transport=tcp}': 1,
      'packetd_connections_closed_total{reason=fin}': 1,
      'packetd_tcp_packets_after_close_total': 1,
      packetd_connections_tracked: 0,
    });
  });

  it('takes the roles from a SYN-ACK when the SYN was not captured', () => {
    runMarbles({
      packets: 'a-------b-------|',
      events:  'o-------x-------(c|)',
      values: { a: tcp(S, C, 0, 'SA', 500, 101), b: tcp(C, S, 10, 'PA', 101, 501, 'hi') },
      expected: { o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80', x: 'data#1 c>s hi', c: 'close#1 end @10' },
    });
  });

  it('keeps one conversation when the capture shows the SYN-ACK before the SYN', () => {
    runMarbles({
      packets: 'a-------b-------c-------|',
      events:  'o---------------x-------(c|)',
      values: { a: tcp(S, C, 0, 'SA', 500, 101), b: tcp(C, S, 10, 'S', 100), c: tcp(C, S, 20, 'PA', 101, 501, 'hi') },
      expected: { o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80', x: 'data#1 c>s hi', c: 'close#1 end @20' },
    });
  });

  it('joins mid-stream and guesses the lower port is the server', () => {
    runMarbles({
      packets: 'a-------b-------|',
      events:  '(ox)----y-------(c|)',
      values: { a: tcp(S, C, 0, 'PA', 9000, 5000, 'late response'), b: tcp(C, S, 10, 'PA', 5000, 9013, 'next') },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 s>c late response',
        y: 'data#1 c>s next',
        c: 'close#1 end @10',
      },
    });
  });

  it('makes the destination of the first packet the server when the ports tie', () => {
    const A = endpoint('10.0.0.1', 7000);
    const B = endpoint('10.0.0.2', 7000);
    runMarbles({
      packets: 'a-------|',
      events:  '(ox)----(c|)',
      values: { a: tcp(B, A, 0, 'PA', 1, 1, 'x') },
      expected: { o: 'open#1 tcp 10.0.0.2:7000>10.0.0.1:7000 guessed', x: 'data#1 c>s x', c: 'close#1 end @0' },
    });
  });

  it('holds out-of-order segments until the hole fills', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------|',
      events:  'o-----------------------(xyz)---(c|)',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        b: tcp(C, S, 10, 'PA', 107, 0, 'second'),
        c: tcp(C, S, 20, 'PA', 113, 0, 'third'),
        d: tcp(C, S, 30, 'PA', 101, 0, 'first.'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 c>s first.',
        y: 'data#1 c>s second (buffered)',
        z: 'data#1 c>s third (buffered)',
        c: 'close#1 end @30',
      },
    });
    expect(stats['packetd_tcp_out_of_order_segments_total']).toBe(2);
  });

  it('drops retransmissions, inline and buffered', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------e-------|',
      events:  '(ox)----------------------------(yj)----(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'abc'),
        b: tcp(C, S, 10, 'PA', 1, 0, 'abc'),
        c: tcp(C, S, 20, 'PA', 10, 0, 'jkl'),
        d: tcp(C, S, 30, 'PA', 10, 0, 'jkl'),
        e: tcp(C, S, 40, 'PA', 4, 0, 'defghi'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s abc',
        y: 'data#1 c>s defghi',
        j: 'data#1 c>s jkl (buffered)',
        c: 'close#1 end @40',
      },
    });
    expect(stats['packetd_tcp_retransmitted_bytes_total']).toBe(6);
    expect(stats['packetd_tcp_out_of_order_segments_total']).toBe(1);
  });

  it('trims partial overlaps, inline and between buffered segments', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------e-------|',
      events:  '(ox)----y-----------------------(zwq)---(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'abcdef'),
        b: tcp(C, S, 10, 'PA', 4, 0, 'defghi'),
        c: tcp(C, S, 20, 'PA', 13, 0, 'mnop'),
        d: tcp(C, S, 30, 'PA', 14, 0, 'nopq'),
        e: tcp(C, S, 40, 'PA', 10, 0, 'jklm'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s abcdef',
        y: 'data#1 c>s ghi',
        z: 'data#1 c>s jklm',
        w: 'data#1 c>s nop (buffered)',
        q: 'data#1 c>s q (buffered)',
        c: 'close#1 end @40',
      },
    });
    expect(stats['packetd_tcp_retransmitted_bytes_total']).toBe(3 + 1 + 3);
  });

  it('closes on a RST its receiver takes, at its time once the hold is over, flushing what is buffered', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)--------------------(gyct)--|',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 50, 'one'),
        b: tcp(C, S, 10, 'PA', 8, 50, 'three'),
        // the sequence number C acknowledged: S's stack would send that one
        c: tcp(S, C, 20, 'R', 50),
        // continues C's bytes, but after the hold (3 s): too late to resume
        d: tcp(C, S, 4 * SECOND, 'PA', 13, 50, 'late'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s one',
        g: 'gap#1 c>s 4',
        y: 'data#1 c>s three (buffered)',
        c: 'close#1 rst @20',
        t: 'tick @4000000',
      },
    });
    expect(stats).toMatchObject({
      'packetd_connections_closed_total{reason=rst}': 1,
      packetd_tcp_gaps_total: 1,
      packetd_tcp_gap_bytes_total: 4,
      packetd_tcp_packets_after_close_total: 1,
    });
  });

  it('ignores a RST whose sequence number is out of window, and counts it', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------e-------f-------|',
      events:  'o-------x-------y---------------z-------c-------|',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        b: tcp(C, S, 10, 'PA', 101, 501, 'GET /'),
        c: tcp(S, C, 20, 'PA', 501, 106, 'HTTP/1.1 200'),
        // S is at 513: the receiver drops this one (RFC 5961 §3)
        d: tcp(S, C, 30, 'RA', 900_513, 106),
        e: tcp(S, C, 40, 'FPA', 513, 106, ' OK'),
        f: tcp(C, S, 50, 'FA', 106, 517),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 c>s GET /',
        y: 'data#1 s>c HTTP/1.1 200',
        z: 'data#1 s>c  OK',
        c: 'close#1 fin @50',
      },
    });
    expect(stats['packetd_tcp_rst_ignored_total{reason=sequence}']).toBe(1);
    expect(stats['packetd_connections_closed_total{reason=fin}']).toBe(1);
    expect(stats['packetd_connections_closed_total{reason=rst}']).toBeUndefined();
  });

  it('ignores a RST in the window but not at the expected number (the receiver answers it with a challenge ACK)', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)------------y---------------(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 1, 'ping'),
        b: tcp(S, C, 10, 'R', 2),
        c: tcp(S, C, 20, 'PA', 1, 5, 'pong'),
        d: tcp(C, S, 30, 'A', 5, 5),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s ping',
        y: 'data#1 s>c pong',
        c: 'close#1 end @30',
      },
    });
    expect(stats['packetd_tcp_rst_ignored_total{reason=sequence}']).toBe(1);
  });

  it('ignores a stray RST before the handshake completes, and follows the handshake after it', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------e-------f-------|',
      events:  'o-------------------------------x-------y-------(c|)',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        // C is in SYN-SENT: a RST counts only with an ACK of the SYN (RFC 793 §3.9)
        b: tcp(S, C, 10, 'R', 7777),
        c: tcp(S, C, 20, 'RA', 7777, 4242),
        d: tcp(S, C, 30, 'SA', 500, 101),
        e: tcp(C, S, 40, 'PA', 101, 501, 'GET /'),
        f: tcp(S, C, 50, 'PA', 501, 106, 'HTTP/1.1 200 OK'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 c>s GET /',
        y: 'data#1 s>c HTTP/1.1 200 OK',
        c: 'close#1 end @50',
      },
    });
    expect(stats).toMatchObject({
      'packetd_tcp_rst_ignored_total{reason=sequence}': 2,
      'packetd_connections_opened_total{transport=tcp}': 1,
    });
  });

  it('takes the RST that refuses a SYN (it acknowledges the SYN)', () => {
    runMarbles({
      packets: 'a-------b-------|',
      events:  'o---------------(c|)',
      values: { a: tcp(C, S, 0, 'S', 100), b: tcp(S, C, 10, 'RA', 0, 101) },
      expected: { o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80', c: 'close#1 rst @10' },
    });
  });

  it('takes a RST at the number its receiver acknowledged, or at its sender\'s FIN', () => {
    const D = endpoint('10.0.0.3', 40001);
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------e-------f-------|',
      events:  '(ox)----(py)------------------------------------(cd|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 1, 'one'),
        // S got bytes 4..9 the capture never showed, and says so; the RST comes at 10
        b: tcp(D, S, 10, 'FPA', 1, 1, 'bye'),
        c: tcp(S, C, 20, 'A', 1, 10),
        d: tcp(C, S, 30, 'R', 10),
        // Linux takes a RST at the FIN's own number in CLOSE-WAIT
        e: tcp(S, D, 40, 'A', 1, 5),
        f: tcp(D, S, 50, 'R', 4),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s one',
        p: 'open#2 tcp 10.0.0.3:40001>10.0.0.2:80 guessed',
        y: 'data#2 c>s bye',
        c: 'close#1 rst @30',
        d: 'close#2 rst @50',
      },
    });
    expect(stats['packetd_connections_closed_total{reason=rst}']).toBe(2);
    expect(stats['packetd_tcp_rst_ignored_total{reason=sequence}']).toBeUndefined();
  });

  it('resumes a conversation whose endpoints went on after a RST at the expected number', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------e-------f-------|',
      events:  'o-------x-----------------------y-------z-------(c|)',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        b: tcp(C, S, 10, 'PA', 101, 0, 'GET /'),
        // exact, yet the endpoints act as if it never came (injected, lost before C)
        c: tcp(S, C, 20, 'SA', 500, 101),
        d: tcp(C, S, 30, 'R', 106),
        e: tcp(S, C, 40, 'PA', 501, 106, 'HTTP/1.1 200 OK'),
        f: tcp(C, S, 50, 'PA', 106, 516, 'GET /2'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 c>s GET /',
        y: 'data#1 s>c HTTP/1.1 200 OK',
        z: 'data#1 c>s GET /2',
        c: 'close#1 end @50',
      },
    });
    expect(stats['packetd_tcp_rst_ignored_total{reason=resumed}']).toBe(1);
    expect(stats['packetd_connections_closed_total{reason=rst}']).toBeUndefined();
  });

  it('holds a reset conversation through crossing ACKs and a second RST, then closes it at the first', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)----------------------------(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 1, 'bye'),
        b: tcp(S, C, 10, 'RA', 1, 4),
        c: tcp(C, S, 20, 'A', 4, 1),
        d: tcp(S, C, 30, 'R', 1),
      },
      expected: { o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed', x: 'data#1 c>s bye', c: 'close#1 rst @10' },
    });
    expect(stats).toMatchObject({
      'packetd_connections_closed_total{reason=rst}': 1,
      packetd_tcp_packets_after_close_total: 2,
    });
  });

  it('closes a reset conversation when a SYN opens the tuple again', () => {
    runMarbles({
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)------------(cp)----y-------(d|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 1, 'old'),
        b: tcp(S, C, 10, 'R', 1),
        c: tcp(C, S, 20, 'S', 9000),
        d: tcp(C, S, 30, 'PA', 9001, 0, 'new'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s old',
        c: 'close#1 rst @10',
        p: 'open#2 tcp 10.0.0.1:40000>10.0.0.2:80',
        y: 'data#2 c>s new',
        d: 'close#2 end @30',
      },
    });
  });

  it('stamps data released from the out-of-order buffer with the time its own packet came', () => {
    runMarbles({
      timed: true,
      packets: 'a-------b-------c-------d-------e-------|',
      events:  '(ox)--------------------(yz)----(gw)----(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'one;'),
        // two;three; arrive ahead of a hole at 5..8 and the capture never shows it; the
        // peer's ACK past it gives it up
        b: tcp(C, S, 10, 'PA', 9, 0, 'three;'),
        c: tcp(C, S, 20, 'PA', 21, 0, 'five;'),
        d: tcp(C, S, 30, 'PA', 5, 0, 'two;'),
        e: tcp(S, C, 40, 'A', 1, 26),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s one; @0',
        y: 'data#1 c>s two; @30',
        z: 'data#1 c>s three; (buffered) @10',
        g: 'gap#1 c>s 6',
        w: 'data#1 c>s five; (buffered) @20',
        c: 'close#1 end @40',
      },
    });
  });

  it('gives up a hole when the buffer limit is hit, and counts it', () => {
    const stats = runMarbles({
      options: { maxBufferedBytesPerConnection: 10 },
      packets: 'a-------b-------c-------|',
      events:  '(ox)------------(gyz)---(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'start'),
        b: tcp(C, S, 10, 'PA', 10, 0, 'buffered'),
        c: tcp(C, S, 20, 'PA', 18, 0, 'overflow'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s start',
        g: 'gap#1 c>s 4',
        y: 'data#1 c>s buffered (buffered)',
        z: 'data#1 c>s overflow',
        c: 'close#1 end @20',
      },
    });
    expect(stats).toMatchObject({
      'packetd_reassembly_limit_hits_total{limit=buffered_bytes}': 1,
      packetd_tcp_gap_bytes_total: 4,
    });
  });

  it('reports a hole as a gap once the peer acknowledges past it', () => {
    runMarbles({
      packets: 'a-------b-------c-------d-------e-------|',
      events:  'o-------x-------y---------------(gz)----(c|)',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        b: tcp(S, C, 10, 'SPA', 500, 101, 'banner'),
        c: tcp(C, S, 20, 'PA', 101, 507, 'req1;'),
        // req2 (106..110) lost by the capture; req3 arrives and waits
        d: tcp(C, S, 30, 'PA', 111, 507, 'req3;'),
        e: tcp(S, C, 40, 'A', 507, 116),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 s>c banner',
        y: 'data#1 c>s req1;',
        g: 'gap#1 c>s 5',
        z: 'data#1 c>s req3; (buffered)',
        c: 'close#1 end @40',
      },
    });
  });

  it('only gives up the part of a hole the peer acknowledged', () => {
    runMarbles({
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)------------g-------(yz)----(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'aaaa'),
        b: tcp(C, S, 10, 'PA', 13, 0, 'dddd'),
        c: tcp(S, C, 20, 'A', 1, 7),
        d: tcp(C, S, 30, 'PA', 7, 0, 'cccccc'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s aaaa',
        g: 'gap#1 c>s 2',
        y: 'data#1 c>s cccccc',
        z: 'data#1 c>s dddd (buffered)',
        c: 'close#1 end @30',
      },
    });
  });

  it('reports the tail snaplen cut off as a gap', () => {
    const stats = runMarbles({
      packets: 'a-------b-------c-------|',
      events:  '(oxg)-----------(yhz)---(c|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'head', { payloadLength: 10 }),
        b: tcp(C, S, 10, 'PA', 21, 0, 'after', { payloadLength: 5 }),
        c: tcp(C, S, 20, 'PA', 11, 0, 'cut', { payloadLength: 10 }),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s head',
        g: 'gap#1 c>s 6',
        y: 'data#1 c>s cut',
        h: 'gap#1 c>s 7',
        z: 'data#1 c>s after (buffered)',
        c: 'close#1 end @20',
      },
    });
    expect(stats['packetd_tcp_gap_bytes_total']).toBe(13);
  });

  it('keeps order across the 32-bit sequence wrap-around', () => {
    const isn = 0xfffffff8;
    runMarbles({
      packets: 'a-------b-------c-------d-------|',
      events:  'o-------x---------------(yz)----(c|)',
      values: {
        a: tcp(C, S, 0, 'S', isn),
        b: tcp(C, S, 10, 'PA', isn + 1, 0, 'before'),
        c: tcp(C, S, 20, 'PA', (isn + 11) >>> 0, 0, 'after'),
        d: tcp(C, S, 30, 'PA', isn + 7, 0, 'wrap'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 c>s before',
        y: 'data#1 c>s wrap',
        z: 'data#1 c>s after (buffered)',
        c: 'close#1 end @30',
      },
    });
  });

  it('starts a new conversation when a SYN reuses a closed tuple, and ignores late packets before it', () => {
    runMarbles({
      packets: 'a-------b-------c-------d-------e-------|',
      events:  '(ox)----y-------c-------p-------z-------(d|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 1, 'old'),
        b: tcp(S, C, 10, 'FPA', 1, 4, 'bye'),
        c: tcp(C, S, 20, 'FA', 4, 5),
        d: tcp(C, S, 30, 'S', 7000),
        e: tcp(C, S, 40, 'PA', 7001, 0, 'new'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s old',
        y: 'data#1 s>c bye',
        c: 'close#1 fin @20',
        p: 'open#2 tcp 10.0.0.1:40000>10.0.0.2:80',
        z: 'data#2 c>s new',
        d: 'close#2 end @40',
      },
    });
  });

  it('ends the old conversation when a SYN with a new ISN arrives on an open tuple', () => {
    runMarbles({
      packets: 'a-------b-------c-------|',
      events:  'o-------x-------(cp)----(d|)',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        b: tcp(C, S, 10, 'PA', 101, 0, 'x'),
        c: tcp(C, S, 20, 'S', 9000),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        x: 'data#1 c>s x',
        c: 'close#1 end @20',
        p: 'open#2 tcp 10.0.0.1:40000>10.0.0.2:80',
        d: 'close#2 end @20',
      },
    });
  });

  it('ignores a retransmitted SYN', () => {
    runMarbles({
      packets: 'a-------b-------|',
      events:  'o---------------(c|)',
      values: { a: tcp(C, S, 0, 'S', 100), b: tcp(C, S, 10, 'S', 100) },
      expected: { o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80', c: 'close#1 end @10' },
    });
  });

  it('closes idle conversations by packet time on ticks', () => {
    const D = endpoint('10.0.0.3', 40001);
    const stats = runMarbles({
      options: { tcpIdleTimeoutUs: 10 * SECOND },
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)----(pyt)---z-------(Cu)----(d|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'a'),
        b: tcp(D, S, 2 * SECOND, 'PA', 1, 0, 'b'),
        c: tcp(C, S, 2.5 * SECOND, 'PA', 2, 0, 'c'),
        // a stray ACK that opens nothing only moves packet time on: 12.2 s is more than 10 s
        // after D's last packet (2 s), less after C's (2.5 s)
        d: tcp(endpoint('10.9.9.9', 1), S, 12.2 * SECOND, 'A', 1, 1),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s a',
        p: 'open#2 tcp 10.0.0.3:40001>10.0.0.2:80 guessed',
        y: 'data#2 c>s b',
        t: 'tick @2000000',
        z: 'data#1 c>s c',
        u: 'tick @12200000',
        C: 'close#2 idle @12200000',
        d: 'close#1 end @12200000',
      },
    });
    expect(stats['packetd_connections_closed_total{reason=idle}']).toBe(1);
  });

  it('evicts the least recently active conversation when the table is full', () => {
    const A = endpoint('10.0.0.3', 1111);
    const B = endpoint('10.0.0.4', 2222);
    const stats = runMarbles({
      // LRU order is kept per tick interval: a short one makes every packet a new tick
      options: { maxConnections: 2, tickIntervalUs: 10 },
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)----(pyt)---(zu)----(eqwv)--(cd|)',
      values: {
        a: tcp(C, S, 0, 'PA', 1, 0, 'first'),
        b: tcp(A, S, 10, 'PA', 1, 0, 'second'),
        c: tcp(C, S, 20, 'PA', 6, 0, 'again'),
        d: tcp(B, S, 30, 'PA', 1, 0, 'third'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
        x: 'data#1 c>s first',
        p: 'open#2 tcp 10.0.0.3:1111>10.0.0.2:80 guessed',
        y: 'data#2 c>s second',
        z: 'data#1 c>s again',
        e: 'close#2 evicted @30',
        q: 'open#3 tcp 10.0.0.4:2222>10.0.0.2:80 guessed',
        w: 'data#3 c>s third',
        t: 'tick @10',
        u: 'tick @20',
        v: 'tick @30',
        c: 'close#1 end @30',
        d: 'close#3 end @30',
      },
    });
    expect(stats['packetd_reassembly_limit_hits_total{limit=connections}']).toBe(1);
  });

  it('tracks UDP conversations, guesses roles from ports and closes them when idle', () => {
    const client = endpoint('10.0.0.9', 53000);
    const dns = endpoint('10.0.0.53', 53);
    const stats = runMarbles({
      options: { udpIdleTimeoutUs: 5 * SECOND },
      packets: 'a-------b-------c-------d-------|',
      events:  '(ox)----(yg)----(pzt)---(Cu)----(d|)',
      values: {
        a: udpPacket(client, dns, T0, 'query'),
        b: udpPacket(dns, client, T0 + 10, 'answer', 100),
        // the first datagram of this one comes from the well-known port
        c: udpPacket(dns, endpoint('10.0.0.10', 53001), T0 + SECOND, 'reply first'),
        d: udpPacket(client, dns, T0 + 6.5 * SECOND, ''),
      },
      expected: {
        o: 'open#1 udp 10.0.0.9:53000>10.0.0.53:53 guessed',
        x: 'data#1 c>s query',
        y: 'data#1 s>c answer',
        g: 'gap#1 s>c 94',
        p: 'open#2 udp 10.0.0.10:53001>10.0.0.53:53 guessed',
        z: 'data#2 s>c reply first',
        C: 'close#2 idle @6500000',
        t: 'tick @1000000',
        u: 'tick @6500000',
        d: 'close#1 end @6500000',
      },
    });
    expect(stats).toMatchObject({
      'packetd_connections_opened_total{transport=udp}': 2,
      'packetd_udp_truncated_datagrams_total': 1,
    });
  });

  it('closes everything at the end of input, flushing holes as gaps', () => {
    const D = endpoint('10.0.0.3', 40001);
    runMarbles({
      packets: 'a-------b-------c-------|',
      events:  'o-------(px)------------(gzcd|)',
      values: {
        a: tcp(C, S, 0, 'S', 100),
        b: udpPacket(D, S, T0 + 10, 'dgram'),
        c: tcp(C, S, 20, 'PA', 111, 0, 'later'),
      },
      expected: {
        o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80',
        p: 'open#2 udp 10.0.0.3:40001>10.0.0.2:80 guessed',
        x: 'data#2 c>s dgram',
        g: 'gap#1 c>s 10',
        z: 'data#1 c>s later (buffered)',
        c: 'close#1 end @20',
        d: 'close#2 end @20',
      },
    });
  });

  it('closes everything before passing a source error on', () => {
    const stats = new Stats();
    new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
      const packets = cold('a---#', { a: tcp(C, S, 0, 'PA', 1, 0, 'x') }, new Error('truncated'));
      const out = packets.pipe(reassemble({ stats }), map((e) => describeEvent(e)));
      expectObservable(out).toBe(
        '(ox)(c#)',
        {
          o: 'open#1 tcp 10.0.0.1:40000>10.0.0.2:80 guessed',
          x: 'data#1 c>s x',
          c: 'close#1 end @0',
        },
        new Error('truncated'),
      );
    });
  });
});
