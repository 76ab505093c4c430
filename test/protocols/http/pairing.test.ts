/**
 * How the HTTP/1 decoder pairs: by where messages start, holding early responses, and after
 * lost bytes only where the bytes tell. Messages go through the real matcher.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { L7Message } from '../../../src/model/message.js';
import type { RoundTrip } from '../../../src/model/roundtrip.js';
import { match } from '../../../src/operators/match.js';
import { Stats } from '../../../src/pipeline/stats.js';
import { C2S, S2C, feed, harness } from './harness.js';

async function roundtrips(messages: L7Message[]): Promise<RoundTrip[]> {
  return lastValueFrom(from(messages).pipe(match({ stats: new Stats() }), toArray()));
}

/** method path → status (partial), or "- → status" for a response alone. */
function brief(rt: RoundTrip): string {
  const a = rt.attributes;
  const request = rt.request === undefined ? '-' : `${a['http.request.method']} ${a['url.path']}`;
  const response = rt.response === undefined ? 'unanswered' : String(a['http.response.status_code']);
  const notes = [rt.partial, a['packetd.http.pairing'], a['http.response.interim_count'] && `interim ${a['http.response.interim_count']}`].filter(Boolean);
  return `${request} → ${response}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe('HTTP/1 pairing', () => {
  it('holds a response that completes before its request, and emits it right after the request', async () => {
    const h = feed([
      [C2S, 'POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n'],
      [S2C, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n'],
      [C2S, '0123456789'],
      [C2S, get('/next')],
      [S2C, ok('hi')],
    ]);
    expect(h.messages.map((m) => m.type)).toEqual(['request', 'response', 'request', 'response']);
    expect(h.messages[1]!.request).toBe(h.messages[0]);
    expect(h.messages[1]!.start).toBe(2);
    expect((await roundtrips(h.messages)).map(brief)).toEqual(['POST /up → 413 (interim 1)', 'GET /next → 200']);
  });

  it('reports an upload cut short by the close as framing, with the answer it got', async () => {
    const h = feed([
      [C2S, 'POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n'],
      [S2C, 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 3\r\n\r\nno\n'],
    ]);
    expect(h.messages).toEqual([]);
    h.decoder.end();
    expect(h.errors).toEqual(['truncated']);
    expect((await roundtrips(h.messages)).map(brief)).toEqual(['POST /up → 401 (framing)']);
  });

  it('reports a response with no request waiting on its own, even with an older request pending in the matcher', async () => {
    const h = harness();
    h.decoder.data(C2S, Buffer.from(get('/a')), 1);
    // The response to /a is lost whole, then the client's next request is lost too.
    h.decoder.gap(S2C, 300, 2);
    h.decoder.data(C2S, Buffer.from(get('/b')), 3);
    h.decoder.data(S2C, Buffer.from(ok('b')), 4);
    h.decoder.gap(C2S, 40, 5);
    h.decoder.data(S2C, Buffer.from(ok('c')), 6);
    expect((await roundtrips(h.messages)).map(brief)).toEqual(['GET /a → unanswered (gap)', 'GET /b → 200', '- → 200 (request_missing, request_lost_in_gap)']);
  });

  it('pairs a waiting client exactly after a gap longer than the rest of a body', async () => {
    const h = harness();
    h.decoder.data(C2S, Buffer.from(get('/1')), 1);
    h.decoder.data(S2C, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789'), 2);
    h.decoder.data(C2S, Buffer.from(get('/2')), 3);
    h.decoder.data(C2S, Buffer.from(get('/3')), 5);
    // The rest of /1's body, all of /2's response and the start of /3's are lost.
    h.decoder.gap(S2C, 90 + 60 + 20, 6);
    h.decoder.data(S2C, Buffer.from(`tail of 3${ok('3')}`), 7);
    expect(h.errors).toEqual([]);
    expect(h.messages.find((m) => m.type === 'response')!.size).toBe(40 + 100);
    expect((await roundtrips(h.messages)).map(brief)).toEqual(['GET /1 → 200 (gap)', 'GET /2 → unanswered (gap)', 'GET /3 → 200']);
  });

  it('finds a status line right after body bytes, mid-segment, and leaves a pipeline it cannot pair unpaired', async () => {
    const h = harness();
    h.decoder.data(C2S, Buffer.from(get('/1') + get('/2') + get('/3') + get('/4')), 1);
    h.decoder.data(S2C, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n01234'), 2);
    h.decoder.gap(S2C, 200, 3);
    h.decoder.data(S2C, Buffer.from(`...tail of a body${ok('x')}${ok('y')}`), 4);
    expect((await roundtrips(h.messages)).map(brief)).toEqual([
      'GET /1 → 200 (gap)',
      // x answers /3 or /4: the gap may have held one response or two.
      '- → 200 (request_missing, ambiguous_after_gap)',
      // Their responses went with the lost bytes, or are x: unpaired because of the gap.
      'GET /2 → unanswered (gap)',
      'GET /3 → unanswered (gap)',
      // y is the last response: no request is left for it but /4.
      'GET /4 → 200',
    ]);
  });

  it('finds a request line right after body bytes after a gap', () => {
    const h = harness();
    h.decoder.data(C2S, Buffer.from('PUT /a HTTP/1.1\r\nContent-Length: 20\r\n\r\n0123'), 1);
    h.decoder.gap(C2S, 100, 2);
    h.decoder.data(C2S, Buffer.from(`xxPOSTED GET /b?q HTTP/1.1\r\nHost: a\r\n\r\n`), 3);
    expect(h.messages.map((m) => [m.attributes['url.path'], m.partial, m.size])).toEqual([
      ['/a', 'gap', 39 + 20],
      ['/b', undefined, 30],
    ]);
  });

  it('reports a response whose framing breaks with its status, and resyncs', async () => {
    const h = feed([
      [C2S, get('/chunked') + get('/twice') + get('/after')],
      [S2C, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n'],
      [S2C, 'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
      [S2C, ok('fine')],
    ]);
    expect(h.errors).toEqual(['bad_chunk_size', 'bad_content_length']);
    expect((await roundtrips(h.messages)).map(brief)).toEqual(['GET /chunked → 200 (framing)', 'GET /twice → 502 (framing)', 'GET /after → 200']);
    expect(h.messages[3]!.attributes['http.response.body.size']).toBe(5);
  });

  it('reports a body cut short by the close as framing', async () => {
    const h = feed([
      [C2S, get('/big')],
      [S2C, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nabc'],
    ]);
    h.decoder.end();
    expect((await roundtrips(h.messages)).map(brief)).toEqual(['GET /big → 200 (framing)']);
  });

  it('decodes HTTP inside a CONNECT tunnel, marking it, and releases one carrying anything else', () => {
    const connect = 'CONNECT origin:80 HTTP/1.1\r\nHost: origin:80\r\n\r\n';
    const established = 'HTTP/1.1 200 Connection established\r\n\r\n';
    const plain = feed([
      [C2S, connect],
      [S2C, established],
      [C2S, 'GET /inside HTTP/1.1\r\nHost: origin\r\n\r\n'],
      [S2C, ok('in')],
    ]);
    expect(plain.released).toEqual([]);
    expect(plain.messages.map((m) => [m.type, m.attributes['url.path'], m.attributes['http.tunnel']])).toEqual([
      ['request', undefined, undefined],
      ['response', undefined, undefined],
      ['request', '/inside', 'connect'],
      ['response', undefined, 'connect'],
    ]);
    expect(plain.messages[2]!.attributes['server.address']).toBe('origin');
    const tls = feed([[C2S, connect], [S2C, established], [C2S, '\x16'], [C2S, '\x03\x01\x02\x00']]);
    expect(tls.released).toEqual(['connect']);
    const serverFirst = feed([[C2S, connect], [S2C, `${established}SSH-2.0-OpenSSH\r\n`]]);
    expect([serverFirst.released, serverFirst.errors]).toEqual([['connect'], []]);
  });
});
