import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { L7Event, L7Message } from '../../src/model/message.js';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import type { Conversation } from '../../src/model/stream.js';
import { match, type MatchOptions } from '../../src/operators/match.js';
import { Stats } from '../../src/pipeline/stats.js';
import { registerProtocol } from '../../src/protocols/registry.js';
import type { ProtocolModule } from '../../src/protocols/types.js';

function conv(id: number): Conversation {
  return { id, transport: 'udp', client: { address: '10.0.0.1', port: 40000 + id }, server: { address: '10.0.0.2', port: 53 }, rolesGuessed: false, start: 0 };
}

/** Test protocols: one per strategy. "ordered-test" marks a roundtrip an error when its request asked for it. */
const testModule = (name: string, strategy: ProtocolModule['match']): ProtocolModule => ({
  name,
  transport: 'udp',
  defaultPorts: [],
  match: strategy,
  detect: () => ({ verdict: 'no' }),
  createDecoder: () => ({ data: () => undefined, gap: () => undefined, end: () => undefined }),
});
registerProtocol(testModule('by-order', 'ordered'));
registerProtocol(testModule('by-id', 'id'));
registerProtocol({
  ...testModule('by-stream', 'stream'),
  combine: (request, response) => ({ attributes: { combined: true }, error: request?.attributes['fail'] === true && response !== undefined }),
});

interface MessageSpec {
  protocol?: string;
  c?: Conversation;
  start: number;
  end?: number;
  name: string;
  id?: number;
  error?: boolean;
  noReply?: boolean;
  request?: L7Message;
  attributes?: L7Message['attributes'];
  partial?: L7Message['partial'];
}

function message(type: 'request' | 'response', spec: MessageSpec): L7Message {
  const msg: L7Message = {
    protocol: spec.protocol ?? 'by-order',
    conv: spec.c ?? conv(1),
    dir: type === 'request' ? 0 : 1,
    type,
    start: spec.start,
    end: spec.end ?? spec.start,
    size: 10,
    attributes: { ...spec.attributes, [type === 'request' ? 'q' : 'r']: spec.name },
  };
  if (spec.id !== undefined) msg.id = spec.id;
  if (spec.error !== undefined) msg.error = spec.error;
  if (spec.noReply !== undefined) msg.noReply = spec.noReply;
  if (spec.request !== undefined) msg.request = spec.request;
  if (spec.partial !== undefined) msg.partial = spec.partial;
  return msg;
}

const q = (spec: MessageSpec): L7Event => message('request', spec);
const r = (spec: MessageSpec): L7Event => message('response', spec);
const close = (c: Conversation, ts: number): L7Event => ({ kind: 'close', conv: c, ts });
const tick = (ts: number): L7Event => ({ kind: 'tick', ts });

/** "q1+r1 ok 0..5 (5us)", "q3 unanswered 7..8 (1us)", or "-+r ok 4..4 (0us) request_missing" (with its partial reason). */
function describeRoundTrip(rt: RoundTrip): string {
  const request = rt.request === undefined ? '-' : `${rt.attributes['q']}`;
  const names = rt.response === undefined ? request : `${request}+${rt.attributes['r']}`;
  return `${names} ${rt.status} ${rt.start}..${rt.end} (${rt.durationUs}us)${rt.partial === undefined ? '' : ` ${rt.partial}`}`;
}

function run(options: Partial<MatchOptions>, marbles: string, events: Record<string, L7Event>, expected: string, values: Record<string, string>): Stats {
  const stats = new Stats();
  new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
    expectObservable(cold<L7Event>(marbles, events).pipe(match({ stats, ...options }), map(describeRoundTrip))).toBe(expected, values);
  });
  return stats;
}

describe('match', () => {
  it('pairs pipelined responses with the oldest pending request of their conversation', () => {
    const a = conv(1);
    const b = conv(2);
    const stats = run(
      {},
      'a-b-c-x-y-z-|',
      { a: q({ c: a, start: 0, end: 1, name: 'q1' }), b: q({ c: a, start: 2, name: 'q2' }), c: q({ c: b, start: 3, name: 'q3' }),
        x: r({ c: b, start: 4, end: 5, name: 'r3' }), y: r({ c: a, start: 6, name: 'r1', error: true }), z: r({ c: a, start: 8, end: 9, name: 'r2' }) },
      '------x-y-z-|',
      { x: 'q3+r3 ok 3..5 (2us)', y: 'q1+r1 error 0..6 (6us)', z: 'q2+r2 ok 2..9 (7us)' },
    );
    expect(stats.snapshot()).toEqual({ 'packetd_roundtrips_total{protocol=by-order,status=ok}': 2, 'packetd_roundtrips_total{protocol=by-order,status=error}': 1 });
  });

  it('pairs by id, whatever the order of responses, and reports a response nobody asked for on its own', () => {
    const stats = run(
      {},
      'a-b-x-y-z|',
      { a: q({ protocol: 'by-id', start: 0, id: 1, name: 'q1' }), b: q({ protocol: 'by-id', start: 1, id: 2, name: 'q2' }),
        x: r({ protocol: 'by-id', start: 2, id: 2, name: 'r2' }), y: r({ protocol: 'by-id', start: 3, id: 1, name: 'r1' }), z: r({ protocol: 'by-id', start: 4, id: 1, name: 'again' }) },
      '----x-y-z|',
      { x: 'q2+r2 ok 1..2 (1us)', y: 'q1+r1 ok 0..3 (3us)', z: '-+again ok 4..4 (0us) request_missing' },
    );
    expect(stats.snapshot()['packetd_match_unmatched_responses_total{protocol=by-id}']).toBe(1);
    expect(stats.snapshot()['packetd_roundtrips_partial_total{partial=request_missing,protocol=by-id}']).toBe(1);
  });

  it('pairs a response with the oldest request of its id: a retry waits behind the first', () => {
    run(
      {},
      'a-b-x-|',
      { a: q({ protocol: 'by-id', start: 0, id: 1, name: 'first' }), b: q({ protocol: 'by-id', start: 5, id: 1, name: 'retry' }), x: r({ protocol: 'by-id', start: 6, id: 1, name: 'r' }) },
      '----x-(y|)',
      { x: 'first+r ok 0..6 (6us)', y: 'retry unanswered 5..5 (0us)' },
    );
  });

  it('emits unanswered requests when they time out in packet time, on ticks', () => {
    run(
      { requestTimeoutUs: 100 },
      'a-b-t-u-x---|',
      { a: q({ start: 0, end: 10, name: 'q1' }), b: q({ start: 50, end: 60, name: 'q2' }), t: tick(109), u: tick(110), x: r({ start: 200, name: 'late' }) },
      // The late response finds q2 timed out too (60 + 100 <= 200): it is reported on its own.
      '------u-(xy)|',
      { u: 'q1 unanswered 0..10 (10us)', x: 'q2 unanswered 50..60 (10us)', y: '-+late ok 200..200 (0us) request_missing' },
    );
  });

  it('checks timeouts on later messages too, even without ticks', () => {
    const other = conv(2);
    run(
      { requestTimeoutUs: 2_000_000 },
      'a-b-x|',
      { a: q({ start: 0, name: 'old' }), b: q({ c: other, start: 3_000_000, name: 'new' }), x: r({ c: other, start: 3_000_001, name: 'r' }) },
      '--b-x|',
      { b: 'old unanswered 0..0 (0us)', x: 'new+r ok 3000000..3000001 (1us)' },
    );
  });

  it('emits pending requests unanswered when their conversation closes and at the end of input', () => {
    const a = conv(1);
    const b = conv(2);
    const stats = run(
      {},
      'a-b-c-d-|',
      { a: q({ c: a, start: 0, end: 2, name: 'q1' }), b: q({ c: b, start: 1, name: 'q2' }), c: close(a, 9), d: q({ c: a, start: 10, name: 'q3' }) },
      '----c---(xy|)',
      { c: 'q1 unanswered 0..2 (2us)', x: 'q2 unanswered 1..1 (0us)', y: 'q3 unanswered 10..10 (0us)' },
    );
    expect(stats.snapshot()['packetd_roundtrips_total{protocol=by-order,status=unanswered}']).toBe(3);
  });

  it('turns requests that get no reply by design into roundtrips right away', () => {
    run(
      {},
      'a-b-x|',
      { a: q({ start: 0, end: 4, name: 'fire', noReply: true }), b: q({ start: 5, name: 'q' }), x: r({ start: 6, name: 'r' }) },
      'a---x|',
      { a: 'fire ok 0..4 (4us)', x: 'q+r ok 5..6 (1us)' },
    );
  });

  it('bounds pending requests per conversation, emitting the oldest unanswered', () => {
    const stats = run(
      { maxPendingPerConversation: 2 },
      'a-b-c-x|',
      { a: q({ start: 0, name: 'q1' }), b: q({ start: 1, name: 'q2' }), c: q({ start: 2, name: 'q3' }), x: r({ start: 3, name: 'r' }) },
      '----c-x(y|)',
      { c: 'q1 unanswered 0..0 (0us)', x: 'q2+r ok 1..3 (2us)', y: 'q3 unanswered 2..2 (0us)' },
    );
    expect(stats.snapshot()['packetd_match_pending_overflow_total{protocol=by-order}']).toBe(1);
  });

  it('takes pairs made by stream decoders as they come, with the protocol combine()', () => {
    const request = message('request', { protocol: 'by-stream', start: 0, name: 'q1', attributes: { fail: true } });
    run(
      {},
      'x-a|',
      { x: r({ protocol: 'by-stream', start: 3, name: 'r1', request }), a: q({ protocol: 'by-stream', start: 5, name: 'lost' }) },
      'x-a|',
      { x: 'q1+r1 error 0..3 (3us)', a: 'lost unanswered 5..5 (0us)' },
    );
  });

  it('reports a response with no pending request on its own, its status from the response', () => {
    const stats = run(
      {},
      'x-a-y|',
      { x: r({ start: 1, end: 2, name: 'early', error: true }), a: q({ start: 3, name: 'q' }), y: r({ start: 4, name: 'r' }) },
      'x---y|',
      { x: '-+early error 1..2 (1us) request_missing', y: 'q+r ok 3..4 (1us)' },
    );
    expect(stats.snapshot()['packetd_roundtrips_partial_total{partial=request_missing,protocol=by-order}']).toBe(1);
    expect(stats.snapshot()['packetd_roundtrips_total{protocol=by-order,status=error}']).toBe(1);
  });

  it('pairs an ordered response that names its request with that one; older pending requests are unanswered', () => {
    const second = message('request', { start: 2, name: 'q2' });
    const gone = message('request', { start: 9, name: 'expired' });
    run(
      {},
      'a-b-c-x-----y|',
      { a: q({ start: 0, name: 'q1' }), b: second, c: q({ start: 4, name: 'q3' }), x: r({ start: 5, name: 'r2', request: second }), y: r({ start: 6, name: 'r?', request: gone }) },
      '------(ux)--y(z|)',
      { u: 'q1 unanswered 0..0 (0us) gap', x: 'q2+r2 ok 2..5 (3us)', y: '-+r? ok 6..6 (0us) request_missing', z: 'q3 unanswered 4..4 (0us)' },
    );
  });

  it('reports a response its decoder marks requestMissing on its own, whatever is pending', () => {
    const lone = message('response', { start: 3, name: 'r?' });
    lone.requestMissing = true;
    run({}, 'a-x-|', { a: q({ start: 0, name: 'q1' }), x: lone }, '--x-(u|)', { x: '-+r? ok 3..3 (0us) request_missing', u: 'q1 unanswered 0..0 (0us)' });
  });

  it('reports a stream response that comes without its request on its own', () => {
    run({}, 'x|', { x: r({ protocol: 'by-stream', start: 3, name: 'r' }) }, 'x|', { x: '-+r ok 3..3 (0us) request_missing' });
  });

  it('carries a partial message into the roundtrip and its summary', () => {
    const stats = run(
      {},
      'a-x-b-y|',
      { a: q({ start: 0, name: 'q1' }), x: r({ start: 1, name: 'cut', partial: 'gap' }), b: q({ start: 2, name: 'q2', partial: 'framing' }), y: r({ start: 3, name: 'r2' }) },
      '--x---y|',
      { x: 'q1+cut ok 0..1 (1us) gap', y: 'q2+r2 ok 2..3 (1us) framing' },
    );
    expect(stats.snapshot()['packetd_roundtrips_partial_total{partial=gap,protocol=by-order}']).toBe(1);
  });

  it('adds the conversation\'s tunnel attributes to its roundtrips', () => {
    const c: Conversation = { ...conv(5), tunnel: { 'network.tunnel.type': 'vxlan', 'network.tunnel.id': 42 } };
    const out: RoundTrip[] = [];
    new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, flush }) => {
      cold<L7Event>('ab|', { a: q({ c, start: 0, name: 'q' }), b: r({ c, start: 1, name: 'r', partial: 'gap' }) })
        .pipe(match({ stats: new Stats() }))
        .subscribe((rt) => out.push(rt));
      flush();
    });
    expect(out[0]!.attributes).toMatchObject({ 'network.tunnel.type': 'vxlan', 'network.tunnel.id': 42 });
    expect(out[0]!.response).toEqual({ size: 10, partial: 'gap' });
    expect(out[0]!.partial).toBe('gap');
  });

  it('builds the roundtrip record from both messages', () => {
    const c = conv(4);
    const request = message('request', { c, start: 10, end: 12, name: 'q', attributes: { a: 1 } });
    request.details = { headers: { host: 'x' } };
    request.trace = { traceId: 't'.repeat(32), spanId: 's'.repeat(16), flags: 1 };
    const response = message('response', { c, start: 20, end: 25, name: 'r', attributes: { b: 2 } });
    const out: RoundTrip[] = [];
    new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, flush }) => {
      cold<L7Event>('ab|', { a: request, b: response })
        .pipe(match({ stats: new Stats() }))
        .subscribe((rt) => out.push(rt));
      flush();
    });
    expect(out).toEqual([
      {
        protocol: 'by-order', transport: 'udp', client: c.client, server: c.server, start: 10, end: 25, durationUs: 15, status: 'ok',
        request: { size: 10, headers: { host: 'x' } }, response: { size: 10 },
        attributes: { a: 1, q: 'q', b: 2, r: 'r' }, trace: request.trace, connId: 4,
      },
    ]);
  });
});
