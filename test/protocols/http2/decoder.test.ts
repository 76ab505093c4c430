import { describe, expect, it } from 'vitest';
import type { L7Message } from '../../../src/model/message.js';
import { CLIENT_TO_SERVER as C2S, SERVER_TO_CLIENT as S2C, type Direction } from '../../../src/model/stream.js';
import { Http2Decoder } from '../../../src/protocols/http2/decoder.js';
import { detectHttp2 } from '../../../src/protocols/http2/detect.js';
import { CLIENT_PREFACE } from '../../../src/protocols/http2/frame.js';
import { feedParts, harness as decoderHarness, type Part } from '../../helpers/decoder-harness.js';

function frame(type: number, flags: number, stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const header = Buffer.alloc(9);
  header.writeUIntBE(body.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(stream, 5);
  return Buffer.concat([header, body]);
}

/** A literal header field without indexing, new name (RFC 7541 §6.2.2), raw strings. */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

const block = (...fields: [string, string][]) => Buffer.concat(fields.map(([n, v]) => literal(n, v)));
const END_STREAM = 1;
const END_HEADERS = 4;
const GET = block([':method', 'GET'], [':scheme', 'http'], [':path', '/a?b=1'], [':authority', 'example.com:8080']);
const OK = block([':status', '200']);
const SETTINGS = frame(4, 0, 0, '');

const harness = () => decoderHarness((ctx) => new Http2Decoder(ctx), 8080);

function run(parts: Part[], bytewise = false) {
  const h = harness();
  feedParts(h.decoder, parts, bytewise);
  h.decoder.end();
  return h;
}

const summary = (msg: L7Message) => ({
  type: msg.type,
  id: msg.id,
  start: msg.request?.start ?? msg.start,
  end: msg.end,
  method: (msg.request ?? msg).attributes['http.request.method'],
  path: (msg.request ?? msg).attributes['url.path'],
  status: msg.attributes['http.response.status_code'],
  error: msg.attributes['error.type'],
});

describe('Http2Decoder', () => {
  const exchange: [Direction, Buffer][] = [
    [C2S, Buffer.concat([CLIENT_PREFACE, SETTINGS, frame(1, 0, 1, GET.subarray(0, 10))])],
    [C2S, frame(9, END_HEADERS, 1, GET.subarray(10))],
    [S2C, Buffer.concat([SETTINGS, frame(1, END_HEADERS, 1, OK)])],
    [C2S, frame(0, END_STREAM, 1, 'body')],
    [S2C, frame(0, END_STREAM, 1, 'hello')],
  ];

  it('pairs a stream whose headers span HEADERS + CONTINUATION, the same fed byte by byte', () => {
    for (const bytewise of [false, true]) {
      const { messages, errors } = run(exchange, bytewise);
      expect(errors).toEqual([]);
      expect(messages.map(summary)).toEqual([{ type: 'response', id: 1, start: 1, end: 5, method: 'GET', path: '/a', status: 200, error: undefined }]);
      const request = messages[0]!.request!;
      expect(request.attributes['server.address']).toBe('example.com');
      expect(request.attributes['server.port']).toBe(8080);
      expect(request.attributes['url.query']).toBe('b=1');
      expect(request.size).toBe(9 + 10 + 9 + GET.length - 10 + 9 + 4);
      expect(messages[0]!.size).toBe(9 + OK.length + 9 + 5);
    }
  });

  it('a RST_STREAM ends the stream as an error (unless NO_ERROR/CANCEL); GOAWAY leaves later streams unanswered', () => {
    const { messages } = run([
      [C2S, Buffer.concat([CLIENT_PREFACE, frame(1, END_HEADERS | END_STREAM, 1, GET), frame(1, END_HEADERS | END_STREAM, 3, GET), frame(1, END_HEADERS | END_STREAM, 5, GET)])],
      [S2C, Buffer.concat([frame(3, 0, 1, Buffer.from([0, 0, 0, 7])), frame(7, 0, 0, Buffer.from([0, 0, 0, 3, 0, 0, 0, 0])), frame(1, END_HEADERS | END_STREAM, 3, OK)])],
    ]);
    expect(messages.map((m) => [m.type, m.id, m.attributes['error.type'], m.details?.['rst_stream']])).toEqual([
      ['response', 1, 'REFUSED_STREAM', 'REFUSED_STREAM'],
      ['request', 5, undefined, undefined],
      ['response', 3, undefined, undefined],
    ]);
  });

  it('after lost bytes, resyncs on the next frames and reports what it can decode exactly', () => {
    const h = harness();
    h.decoder.data(C2S, Buffer.concat([CLIENT_PREFACE, frame(1, END_HEADERS, 1, GET)]), 1);
    h.decoder.gap(S2C, 500);
    h.decoder.data(S2C, Buffer.concat([frame(1, END_HEADERS, 1, OK), frame(0, END_STREAM, 1, 'x')]), 3);
    expect(h.messages.map(summary)).toEqual([{ type: 'response', id: 1, start: 1, end: 3, method: 'GET', path: '/a', status: 200, error: undefined }]);
  });

  it('never throws on garbage, and detection says no to it and to HTTP/1', () => {
    const h = harness();
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(Array.from({ length: 64 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff));
      h.decoder.data(i % 2 === 0 ? C2S : S2C, bytes, i);
    }
    h.decoder.end();
    expect(detectHttp2(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), C2S).verdict).toBe('no');
    expect(detectHttp2(CLIENT_PREFACE.subarray(0, 10), C2S).verdict).toBe('more');
    expect(detectHttp2(Buffer.concat([SETTINGS, frame(1, END_HEADERS, 1, OK)]), S2C).verdict).toBe('yes');
  });

  describe('a DATA frame longer than the default 16 KB limit right behind HEADERS in the first server segment', () => {
    const big = (n: number) => frame(0, END_STREAM, 1, Buffer.alloc(n, 0x61));
    const responses = (h: ReturnType<typeof harness>) =>
      h.messages.map((m) => [m.type, m.attributes['http.response.status_code'], m.attributes['http.response.body.size']]);

    it('is read frame by frame after a seen client preface: the server preface (SETTINGS) starts at a frame', () => {
      const h = harness();
      h.decoder.data(C2S, Buffer.concat([CLIENT_PREFACE, SETTINGS, frame(1, END_HEADERS | END_STREAM, 1, GET)]), 1);
      h.decoder.data(S2C, Buffer.concat([SETTINGS, frame(1, END_HEADERS, 1, OK), big(40000)]), 2);
      expect(responses(h)).toEqual([['response', 200, 40000]]);
      expect(h.errors).toEqual([]);
    });

    it('after an Upgrade, whose settings came in HTTP2-Settings (not seen as a frame)', () => {
      const upgradeRequest = { protocol: 'http', type: 'request', attributes: { 'http.request.method': 'GET', 'url.path': '/' } } as unknown as L7Message;
      const h = decoderHarness((ctx) => new Http2Decoder({ ...ctx, upgradeRequest }), 8080);
      h.decoder.data(S2C, Buffer.concat([SETTINGS, frame(1, END_HEADERS, 1, OK), big(40000)]), 2);
      expect(responses(h)).toEqual([['response', 200, 40000]]);
    });

    it('joined mid-connection, where the peer may long have raised SETTINGS_MAX_FRAME_SIZE', () => {
      const h = harness();
      h.decoder.data(C2S, frame(1, END_HEADERS | END_STREAM, 1, GET), 1);
      h.decoder.data(S2C, Buffer.concat([frame(1, END_HEADERS, 1, OK), big(40000).subarray(0, 30000)]), 2);
      h.decoder.data(S2C, big(40000).subarray(30000), 3);
      expect(responses(h)).toEqual([['response', 200, 40000]]);
      expect(h.errors).toEqual([]);
    });

    it('a server answering the preface in HTTP/1 is not read as frames', () => {
      const h = harness();
      h.decoder.data(C2S, Buffer.concat([CLIENT_PREFACE, SETTINGS]), 1);
      h.decoder.data(S2C, Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), 2);
      h.decoder.end();
      expect(h.messages).toEqual([]);
    });
  });
});
