import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { L7Event } from '../../src/model/message.js';
import type { Conversation, Direction, StreamEvent } from '../../src/model/stream.js';
import { decodeL7 } from '../../src/operators/decodeL7.js';
import { Stats } from '../../src/pipeline/stats.js';
import type { ProtocolRule } from '../../src/protocols/types.js';

function conv(serverPort: number, rolesGuessed = false, clientPort = 40000): Conversation {
  return {
    id: 7,
    transport: 'tcp',
    client: { address: '10.0.0.1', port: clientPort },
    server: { address: '10.0.0.2', port: serverPort },
    rolesGuessed,
    start: 1,
  };
}

const open = (c: Conversation): StreamEvent => ({ kind: 'open', conv: c, ts: 1 });
const data = (c: Conversation, dir: Direction, text: string, ts = 2): StreamEvent => ({
  kind: 'data', conv: c, dir, ts, payload: Buffer.from(text, 'latin1'), packet: undefined,
});
const close = (c: Conversation, ts = 9): StreamEvent => ({ kind: 'close', conv: c, ts, reason: 'fin' });
const tick = (ts: number): StreamEvent => ({ kind: 'tick', ts });

const GET = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n';
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** Events as short strings: "request GET c2s 10.0.0.1:40000", "response 200 s2c …", "close", "tick 5". */
function describeEvent(event: L7Event): string {
  if ('kind' in event) return `${event.kind} ${event.ts}`;
  const msg = event;
  const what = msg.type === 'request' ? msg.attributes['http.request.method'] : msg.attributes['http.response.status_code'];
  return `${msg.type} ${what} ${msg.dir === 0 ? 'c2s' : 's2c'} client ${msg.conv.client.port}`;
}

function run(rules: ProtocolRule[], marbles: string, events: Record<string, StreamEvent>, expected: string, values: Record<string, string>, detect?: boolean): Stats {
  const stats = new Stats();
  new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
    const source = cold<StreamEvent>(marbles, events);
    expectObservable(source.pipe(decodeL7({ stats, rules, detect }), map(describeEvent))).toBe(expected, values);
  });
  return stats;
}

describe('decodeL7', () => {
  it('decodes conversations whose server port a rule names, forwarding close and ticks', () => {
    const c = conv(8080);
    run(
      [{ protocol: 'http', ports: [8080] }],
      'o-q-r-c-t|',
      { o: open(c), q: data(c, 0, GET), r: data(c, 1, OK), c: close(c), t: tick(20) },
      '--q-r-c-t|',
      { q: 'request GET c2s client 40000', r: 'response 200 s2c client 40000', c: 'close 9', t: 'tick 20' },
    );
  });

  it('uses the default ports of every registered protocol when there are no rules', () => {
    const c = conv(80);
    run([], 'q|', { q: data(c, 0, GET) }, 'q(c|)', { q: 'request GET c2s client 40000', c: 'close 2' });
  });

  it('detects HTTP from content on a non-standard port, replaying the held bytes', () => {
    const c = conv(9999);
    const stats = run(
      [{ protocol: 'http', ports: [80] }],
      'o-a-b-r-c|',
      { o: open(c), a: data(c, 0, 'GE'), b: data(c, 0, 'T /a HTTP/1.1\r\nHost: x\r\n\r\n'), r: data(c, 1, OK), c: close(c) },
      '----b-r-c|',
      { b: 'request GET c2s client 40000', r: 'response 200 s2c client 40000', c: 'close 9' },
    );
    expect(stats.snapshot()).toEqual({});
  });

  it('swaps the roles when the guessed client sends the responses', () => {
    const c = conv(40000, true, 9999);
    run(
      [],
      'r-q|',
      { r: data(c, 0, OK), q: data(c, 1, GET) },
      'r-q(c|)',
      { r: 'response 200 s2c client 40000', q: 'request GET c2s client 40000', c: 'close 2' },
    );
    expect(c.server.port).toBe(9999);
  });

  it('swaps the roles when a rule names the port of the guessed client', () => {
    const c = conv(51000, true, 8080);
    run([{ protocol: 'http', ports: [8080] }], 'q|', { q: data(c, 1, GET) }, 'q(c|)', { q: 'request GET c2s client 51000', c: 'close 2' });
    expect(c.server).toEqual({ address: '10.0.0.1', port: 8080 });
  });

  it('stops decoding a conversation released by an Upgrade', () => {
    const c = conv(8080);
    const upgrade = 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n';
    const stats = run(
      [],
      'q-r-w-x-c|',
      { q: data(c, 0, upgrade), r: data(c, 1, 'HTTP/1.1 101 Switching Protocols\r\n\r\n'), w: data(c, 0, '\x81\x85junk'), x: data(c, 1, 'HTTP/1.1 200 OK\r\n\r\n'), c: close(c) },
      'q-r-----c|',
      { q: 'request GET c2s client 40000', r: 'response 101 s2c client 40000', c: 'close 9' },
    );
    expect(stats.snapshot()).toEqual({ 'packetd_l7_released_total{protocol=http,reason=upgrade}': 1 });
  });

  it('ignores conversations no rule names and detection does not recognise', () => {
    // A TLS record on a port no protocol claims: no decoder reads encrypted bytes.
    const c = conv(4433);
    const stats = run(
      [],
      'a-b-t-c|',
      { a: data(c, 0, '\x16\x03\x01\x00\x31\x01\x00\x00\x2d\x03\x03'), b: data(c, 1, '\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03'), t: tick(5), c: close(c) },
      '----t--|',
      { t: 'tick 5' },
    );
    expect(stats.snapshot()).toEqual({ 'packetd_l7_undetected_total': 1 });
  });

  it('gives up detection after a bounded number of bytes', () => {
    const c = conv(5000);
    const stats = run(
      [],
      'a-b-q|',
      // An unknown token needs the whole line: 3000 + 3000 bytes without a line end is too much.
      { a: data(c, 0, 'X'.repeat(3000)), b: data(c, 0, 'X'.repeat(3000)), q: data(c, 0, GET) },
      '-----|',
      {},
    );
    expect(stats.snapshot()).toEqual({ 'packetd_l7_undetected_total': 1 });
  });

  it('does not detect when detection is off', () => {
    const c = conv(9999);
    run([{ protocol: 'http' }], 'q-c|', { q: data(c, 0, GET), c: close(c) }, '---|', {}, false);
  });

  it('counts decode errors per protocol and reason', () => {
    const c = conv(8080);
    const stats = run([], 'g-q|', { g: data(c, 0, 'junk\r\n'), q: data(c, 0, GET) }, '--q(c|)', { q: 'request GET c2s client 40000', c: 'close 2' });
    expect(stats.snapshot()).toEqual({ 'packetd_decode_errors_total{protocol=http,reason=bad_start_line}': 1 });
  });

  it('ends live decoders at the end of input, completing close-delimited responses', () => {
    const c = conv(8080);
    run(
      [],
      'q-r|',
      { q: data(c, 0, 'GET / HTTP/1.0\r\n\r\n', 2), r: data(c, 1, 'HTTP/1.0 200 OK\r\n\r\nbody', 3) },
      'q--(rc|)',
      { q: 'request GET c2s client 40000', r: 'response 200 s2c client 40000', c: 'close 3' },
    );
  });

  it('treats bytes the chosen protocol rejected in one direction as a gap', () => {
    const c = conv(9999);
    const stats = run(
      [],
      'a-r-q|',
      // Joined mid-stream: the client's first bytes are the tail of a body.
      { a: data(c, 0, 'tail of a body'), r: data(c, 1, OK), q: data(c, 0, GET) },
      '--r-q(c|)',
      { r: 'response 200 s2c client 40000', q: 'request GET c2s client 40000', c: 'close 2' },
    );
    expect(stats.snapshot()).toEqual({});
  });

  describe('HTTP/2 prior knowledge on a port an HTTP/1 rule names', () => {
    const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
      const header = Buffer.alloc(9);
      header.writeUIntBE(payload.length, 0, 3);
      header[3] = type;
      header[4] = flags;
      header.writeUInt32BE(stream, 5);
      return Buffer.concat([header, payload]).toString('latin1');
    };
    // Literal header fields without indexing, new names (RFC 7541 §6.2.2).
    const fields = (...pairs: [string, string][]) =>
      Buffer.concat(pairs.map(([n, v]) => Buffer.concat([Buffer.from([0, n.length]), Buffer.from(n), Buffer.from([v.length]), Buffer.from(v)])));
    const END_STREAM_HEADERS = 0x5;
    const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
    const settings = frame(4, 0, 0, Buffer.alloc(0));
    const request = frame(1, END_STREAM_HEADERS, 1, fields([':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']));
    const answer = settings + frame(1, END_STREAM_HEADERS, 1, fields([':status', '200']));

    it('hands the conversation to http2 when the client opens with the preface, even with no http2 rule', () => {
      const c = conv(8080);
      const stats = run(
        [{ protocol: 'http', ports: [8080] }],
        'o-a-b-r-c|',
        // The preface cut in two: the choice waits for its last byte.
        { o: open(c), a: data(c, 0, preface.slice(0, 10)), b: data(c, 0, preface.slice(10) + settings + request), r: data(c, 1, answer), c: close(c) },
        '------r-c|',
        { r: 'response 200 s2c client 40000', c: 'close 9' },
      );
      expect(stats.snapshot()).toEqual({ 'packetd_l7_http2_overrides_total{evidence=preface}': 1 });
    });

    it('joined after the preface: whole HTTP/2 frames the HTTP/1 decoder rejects go to http2', () => {
      const c = conv(8080);
      const stats = run(
        [{ protocol: 'http', ports: [8080] }],
        'q-r|',
        { q: data(c, 0, request), r: data(c, 1, frame(1, END_STREAM_HEADERS, 1, fields([':status', '200']))) },
        '--r(c|)',
        { r: 'response 200 s2c client 40000', c: 'close 2' },
      );
      expect(stats.snapshot()).toEqual({ 'packetd_l7_http2_overrides_total{evidence=frames}': 1 });
    });

    it('keeps HTTP/1 on every other first byte, deciding at once ("P" of POST too)', () => {
      const c = conv(8080);
      const stats = run(
        [{ protocol: 'http', ports: [8080] }],
        'q-r|',
        { q: data(c, 0, 'POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n'), r: data(c, 1, OK) },
        'q-r(c|)',
        { q: 'request POST c2s client 40000', r: 'response 200 s2c client 40000', c: 'close 2' },
      );
      expect(stats.snapshot()).toEqual({});
    });

    it('replays what the server sent before the client spoke, and a gap decides for the rule', () => {
      const c = conv(8080);
      run(
        [{ protocol: 'http', ports: [8080] }],
        's-q-----c|',
        { s: data(c, 1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), q: data(c, 0, GET), c: close(c) },
        '--(sq)--c|',
        { s: 'response 200 s2c client 40000', q: 'request GET c2s client 40000', c: 'close 9' },
      );
      const g = conv(8080);
      const gap: StreamEvent = { kind: 'gap', conv: g, dir: 0, ts: 2, bytes: 10 };
      run(
        [{ protocol: 'http', ports: [8080] }],
        'g-q-c|',
        { g: gap, q: data(g, 0, GET), c: close(g) },
        '--q-c|',
        { q: 'request GET c2s client 40000', c: 'close 9' },
      );
    });
  });

  it('refuses rules naming unknown protocols', () => {
    expect(() => decodeL7({ stats: new Stats(), rules: [{ protocol: 'nope' }] })).toThrow(/unknown protocol "nope"/);
  });
});
