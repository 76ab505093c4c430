import { describe, expect, it } from 'vitest';
import { C2S, S2C, feed, feedBytewise, harness, plain } from './harness.js';

const GET = 'GET /items?id=7&x=1 HTTP/1.1\r\nHost: shop.example:8443\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n';
const OK_LENGTH = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello';
const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '4;name=value\r\nWiki\r\n' +
  '5 ; other\r\npedia\r\n' +
  'E\r\n in\r\n\r\nchunks.\r\n' +
  '0\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n';

describe('HTTP/1 decoder', () => {
  it('decodes a request and a response with OpenTelemetry attributes', () => {
    const { messages, errors } = feed(
      [
        [C2S, GET],
        [S2C, OK_LENGTH],
      ],
      { capture_headers: true },
    );
    expect(errors).toEqual([]);
    expect(messages.map(plain)).toEqual([
      {
        protocol: 'http',
        dir: C2S,
        type: 'request',
        start: 1,
        end: 1,
        size: GET.length,
        attributes: {
          'http.request.method': 'GET',
          'url.path': '/items',
          'url.query': 'id=7&x=1',
          'url.scheme': 'http',
          'server.address': 'shop.example',
          'server.port': 8443,
          'network.protocol.name': 'http',
          'network.protocol.version': '1.1',
          'user_agent.original': 'curl/8.0',
          'http.request.body.size': 0,
        },
        details: { headers: { host: 'shop.example:8443', 'user-agent': 'curl/8.0', accept: '*/*' } },
      },
      {
        protocol: 'http',
        dir: S2C,
        type: 'response',
        start: 2,
        end: 2,
        size: OK_LENGTH.length,
        attributes: { 'http.response.status_code': 200, 'http.response.body.size': 5 },
        details: { headers: { 'content-length': '5', 'content-type': 'text/plain' } },
      },
    ]);
  });

  it('gives the same messages whether bytes come whole, one at a time, or split at any boundary', () => {
    const POST = 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    const parts: [0 | 1, string][] = [
      [C2S, GET],
      [S2C, CHUNKED],
      [C2S, POST],
      [S2C, OK_LENGTH],
    ];
    const whole = feed(parts).messages.map(plain);
    expect(whole).toHaveLength(4);
    expect(feedBytewise(parts).messages.map(plain)).toEqual(whole);
    const stream = parts.map(([, text]) => text).join('');
    for (let cut = 1; cut < stream.length; cut++) {
      // Same direction sequence, each part split in two at `cut` when the cut falls inside it.
      const h = harness();
      let offset = 0;
      parts.forEach(([dir, text], i) => {
        const at = Math.min(Math.max(cut - offset, 0), text.length);
        if (at > 0) h.decoder.data(dir, Buffer.from(text.slice(0, at), 'latin1'), i + 1);
        if (at < text.length) h.decoder.data(dir, Buffer.from(text.slice(at), 'latin1'), i + 1);
        offset += text.length;
      });
      expect(h.errors).toEqual([]);
      expect(h.messages.map(plain)).toEqual(whole);
    }
  });

  it('counts chunked bodies with extensions and trailers without buffering them', () => {
    const { messages, errors } = feedBytewise([
      [C2S, GET],
      [S2C, CHUNKED],
      [C2S, GET],
    ]);
    expect(errors).toEqual([]);
    expect(messages.map((m) => [m.type, m.size, m.attributes['http.response.body.size']])).toEqual([
      ['request', GET.length, undefined],
      ['response', CHUNKED.length, 4 + 5 + 14],
      ['request', GET.length, undefined],
    ]);
  });

  it('expects no body after HEAD, 204 and 304 even with Content-Length', () => {
    const { messages, errors } = feed([
      [C2S, 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n'],
      [S2C, 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'],
      [S2C, 'HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n'],
      [S2C, 'HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n'],
    ]);
    expect(errors).toEqual([]);
    expect(messages.filter((m) => m.type === 'response').map((m) => [m.attributes['http.response.status_code'], m.end])).toEqual([
      [200, 2],
      [204, 3],
      [304, 4],
    ]);
  });

  it('skips a 100 Continue interim response and pairs the final one', () => {
    const { messages, errors } = feed([
      [C2S, 'PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n'],
      [S2C, 'HTTP/1.1 100 Continue\r\n\r\n'],
      [C2S, 'abc'],
      [S2C, 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'],
    ]);
    expect(errors).toEqual([]);
    expect(messages.map((m) => [m.type, m.start, m.end, m.attributes['http.response.status_code'] ?? m.attributes['http.request.body.size']])).toEqual([
      ['request', 1, 3, 3],
      ['response', 4, 4, 201],
    ]);
  });

  it('ends a response with neither length nor chunking at connection close (HTTP/1.0)', () => {
    const h = feed([
      [C2S, 'GET /old HTTP/1.0\r\n\r\n'],
      [S2C, 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>'],
      [S2C, '</html>'],
    ]);
    expect(h.messages).toHaveLength(1);
    h.decoder.end();
    expect(h.errors).toEqual([]);
    const response = h.messages[1]!;
    expect(response.end).toBe(3);
    expect(response.attributes['http.response.body.size']).toBe(13);
    expect(h.messages[0]!.attributes['network.protocol.version']).toBe('1.0');
    expect(h.messages[0]!.attributes['server.port']).toBe(8080);
    expect(h.messages[0]!.attributes['server.address']).toBe('10.0.0.2');
  });

  it('pairs pipelined requests in order, knowing which one was HEAD', () => {
    const { messages, errors } = feed([
      [C2S, 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: a\r\n\r\nPOST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi'],
      [S2C, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n'],
    ]);
    expect(errors).toEqual([]);
    expect(messages.map((m) => m.attributes['url.path'] ?? m.attributes['http.response.status_code'])).toEqual(['/1', '/2', '/3', 200, 200, 503]);
    expect(messages[5]!.error).toBe(true);
    expect(messages[5]!.attributes['error.type']).toBe('503');
  });

  it('releases the conversation on 101 Switching Protocols and on a CONNECT tunnel', () => {
    const ws = feed([
      [C2S, 'GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
      [S2C, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello'],
      [C2S, '\x81\x85garbage'],
    ]);
    expect(ws.released).toEqual(['upgrade']);
    expect(ws.errors).toEqual([]);
    expect(ws.messages.map((m) => m.attributes['http.response.status_code'] ?? m.type)).toEqual(['request', 101]);
    const tunnel = feed([
      [C2S, 'CONNECT db.example:5432 HTTP/1.1\r\nHost: db.example:5432\r\n\r\n'],
      [S2C, 'HTTP/1.1 200 Connection established\r\n\r\n'],
      [C2S, '\x16\x03\x01 tls'],
    ]);
    expect(tunnel.released).toEqual(['connect']);
    expect(tunnel.messages[0]!.attributes).toMatchObject({ 'server.address': 'db.example', 'server.port': 5432 });
    expect(tunnel.messages[0]!.attributes['url.path']).toBeUndefined();
  });

  it('reports a message cut by a gap as read, then resyncs at the next request line', () => {
    const h = harness();
    h.decoder.data(C2S, Buffer.from('POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123'), 1);
    h.decoder.gap(C2S, 500, 2);
    h.decoder.data(C2S, Buffer.from('tail of something\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n'), 3);
    expect(h.errors).toEqual(['gap_in_message']);
    expect(h.messages.map((m) => [m.attributes['url.path'], m.partial, m.end])).toEqual([
      ['/a', 'gap', 1],
      ['/b', undefined, 3],
    ]);
    // The lost bytes known to be its own count in a cut message's size (the rest of the 16-byte
    // chunk); a gap inside a Content-Length body keeps the framing.
    h.decoder.data(C2S, Buffer.from('PUT /c HTTP/1.1\r\nContent-Length: 10\r\n\r\n01'), 4);
    h.decoder.gap(C2S, 4, 5);
    h.decoder.data(C2S, Buffer.from('6789GET /d HTTP/1.1\r\n\r\n'), 6);
    expect(h.errors).toEqual(['gap_in_message']);
    expect(h.messages.map((m) => [m.attributes['url.path'], m.size, m.partial])).toEqual([
      ['/a', 77, 'gap'],
      ['/b', 28, undefined],
      ['/c', 49, 'gap'],
      ['/d', 19, undefined],
    ]);
  });

  it('resyncs after a gap right at a message boundary without counting an error', () => {
    const h = harness();
    h.decoder.gap(S2C, 1000, 1);
    h.decoder.data(S2C, Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'), 2);
    expect(h.errors).toEqual([]);
    expect(h.messages.map((m) => m.attributes['http.response.status_code'])).toEqual([404]);
  });

  it('reads Content-Length as RFC 9110 allows it, and rejects what it does not', () => {
    const body = (length: string): string[] => {
      const h = feed([[S2C, `HTTP/1.1 200 OK\r\n${length}\r\n\r\nhello`], [S2C, 'HTTP/1.1 204 No Content\r\n\r\n']]);
      return [...h.errors, ...h.messages.map((m) => String(m.attributes['http.response.body.size']))];
    };
    expect(body('Content-Length: 5')).toEqual(['5', '0']);
    expect(body('content-length:\t5 ')).toEqual(['5', '0']);
    expect(body('Content-Length: 5, 5')).toEqual(['5', '0']);
    expect(body('Content-Length: 5\r\nContent-Length: 5')).toEqual(['5', '0']);
    for (const bad of ['Content-Length: 5, 6', 'Content-Length: 5\r\nContent-Length: 6', 'Content-Length: 5 5', 'Content-Length: -5',
      'Content-Length: ', 'Content-Length: 1234567890123456', 'Content-Length: 5\r\n 5', 'Content-Length: ,5']) {
      expect(body(bad)[0], bad).toBe('bad_content_length');
    }
  });

  it('joins repeated and folded headers it reads', () => {
    const { messages } = feed([
      [C2S, 'GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: one\r\n two\r\nUSER-AGENT: three\r\n\r\n'],
      [S2C, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ]);
    expect(messages.map((m) => m.attributes['user_agent.original'] ?? m.attributes['http.response.body.size'])).toEqual(['one two, three', 0]);
  });

  it('counts garbage as a decode error and recovers at the next valid message', () => {
    const h = feedBytewise([
      [C2S, '\x00\x01\x02 not http at all\r\nmore junk\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'],
      [S2C, 'HTTP/9 abc\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ]);
    expect(h.errors).toEqual(['bad_start_line', 'bad_start_line']);
    expect(h.messages.map((m) => m.type)).toEqual(['request', 'response']);
    const bad = feed([[C2S, 'GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\nGET /next HTTP/1.1\r\n\r\n']]);
    expect(bad.errors).toEqual(['bad_content_length']);
    expect(bad.messages.map((m) => [m.attributes['url.path'], m.partial])).toEqual([
      ['/', 'framing'],
      ['/next', undefined],
    ]);
    const chunk = feed([[S2C, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']]);
    expect(chunk.errors).toEqual(['bad_chunk_size']);
  });

  it('limits the header block', () => {
    const filler = `X-Filler: ${'a'.repeat(200)}\r\n`.repeat(10);
    const h = feedBytewise([[C2S, `GET / HTTP/1.1\r\n${filler}\r\nGET /ok HTTP/1.1\r\n\r\n`]], { max_header_bytes: 1024 });
    expect(h.errors).toEqual(['header_too_large']);
    expect(h.messages.map((m) => m.attributes['url.path'])).toEqual(['/ok']);
  });

  it('records no headers unless capture_headers is set', () => {
    const { messages } = feed([[C2S, 'GET / HTTP/1.1\r\nAuthorization: Bearer secret\r\nX-Id: 1\r\n\r\n']]);
    expect(messages[0]!.details).toBeUndefined();
    expect(JSON.stringify(messages)).not.toContain('secret');
  });

  it('redacts credentials unless include_sensitive_headers is set', () => {
    const parts: [0 | 1, string][] = [
      [C2S, 'GET / HTTP/1.1\r\nAuthorization: Bearer secret\r\nCookie: a=1\r\nProxy-Authorization: Basic x\r\nX-Id: 1\r\n\r\n'],
      [S2C, 'HTTP/1.1 200 OK\r\nSet-Cookie: a=2\r\nSet-Cookie: b=3\r\nContent-Length: 0\r\n\r\n'],
    ];
    const redacted = feed(parts, { capture_headers: true }).messages.map((m) => m.details!['headers']);
    expect(redacted).toEqual([
      { authorization: 'REDACTED', cookie: 'REDACTED', 'proxy-authorization': 'REDACTED', 'x-id': '1' },
      { 'set-cookie': 'REDACTED', 'content-length': '0' },
    ]);
    expect(JSON.stringify(redacted)).not.toContain('secret');
    const kept = feed(parts, { capture_headers: true, include_sensitive_headers: true }).messages.map((m) => m.details!['headers']);
    expect(kept).toEqual([
      { authorization: 'Bearer secret', cookie: 'a=1', 'proxy-authorization': 'Basic x', 'x-id': '1' },
      { 'set-cookie': ['a=2', 'b=3'], 'content-length': '0' },
    ]);
  });

  it('captures bodies only when asked, up to capture_body_bytes', () => {
    const parts: [0 | 1, string][] = [
      [C2S, 'POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world'],
      [S2C, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\xff\xfe\r\n0\r\n\r\n'],
    ];
    expect(feed(parts).messages.map((m) => m.details)).toEqual([undefined, undefined]);
    const captured = feedBytewise(parts, { capture_body_bytes: 5 }).messages.map((m) => m.details);
    expect(captured).toEqual([
      { body: 'hello', body_encoding: 'utf8', body_truncated: true },
      { body: '//4=', body_encoding: 'base64' },
    ]);
  });

  it('carries W3C trace context and reports unknown methods as _OTHER', () => {
    const { messages } = feed([
      [
        C2S,
        'PURGE /cache HTTP/1.1\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\ntracestate: congo=t61rcWkgMzE\r\n\r\n' +
          'BREW /pot HTTP/1.1\r\ntraceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01\r\n\r\n',
      ],
    ]);
    expect(messages[0]!.trace).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1, traceState: 'congo=t61rcWkgMzE' });
    expect(messages[0]!.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' });
    expect(messages[1]!.trace).toBeUndefined();
    expect(messages[1]!.attributes['http.request.method_original']).toBe('BREW');
  });

  it('reads absolute-form targets sent to proxies', () => {
    const { messages } = feed([[C2S, 'GET http://[::1]:81/p/q?r#frag HTTP/1.1\r\nHost: ignored\r\n\r\n']]);
    expect(messages[0]!.attributes).toMatchObject({ 'server.address': '::1', 'server.port': 81, 'url.path': '/p/q', 'url.query': 'r' });
  });

  it('reports a message cut by the end of the conversation as read, marked framing, and counts it', () => {
    const h = feed([[C2S, 'POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc']]);
    h.decoder.end();
    expect(h.errors).toEqual(['truncated']);
    expect(h.messages.map((m) => [m.type, m.size, m.attributes['http.request.body.size'], m.partial])).toEqual([['request', 42, 3, 'framing']]);
    // A head cut short has nothing to report.
    const cut = feed([[C2S, 'POST / HTTP/1.1\r\nContent-Le']]);
    cut.decoder.end();
    expect(cut.errors).toEqual(['truncated']);
    expect(cut.messages).toEqual([]);
  });
});
