import { describe, expect, it } from 'vitest';
import { classifyStartLine, StartLine } from '../../../src/protocols/http/detect.js';
import { findHeadEnd, http09ResponseHead, isErrorResponse, isInterim, parseHead, type MessageHead } from '../../../src/protocols/http/head.js';
import { requestAttributes, responseAttributes } from '../../../src/protocols/http/attributes.js';

const server = { address: '10.0.0.2', port: 80 };

function parse(text: string, isRequest = true): { head: MessageHead | undefined; end: number } {
  const buf = Buffer.from(text, 'latin1');
  const headEnd = { at: -1 };
  const head = parseHead(buf, 0, buf.length, isRequest, false, headEnd);
  return { head, end: headEnd.at };
}

const line = (text: string) => {
  const { head } = parse(`${text}\r\n\r\n`);
  return head === undefined ? undefined : { method: head.method, target: head.target, version: head.version, anomalies: head.anomalies };
};

describe('lenient request lines (as nginx 1.22 reads them: captures/http-lenient.pcap)', () => {
  it('reads a plain line without anomalies', () => {
    expect(line('GET /a?b=1 HTTP/1.1')).toEqual({ method: 'GET', target: '/a?b=1', version: '1.1', anomalies: undefined });
    expect(line('GET  /a   HTTP/1.0  ')).toEqual({ method: 'GET', target: '/a', version: '1.0', anomalies: undefined });
  });

  it('takes the last word as the version when the target holds spaces', () => {
    expect(line('GET /a b HTTP/1.1')).toEqual({ method: 'GET', target: '/a b', version: '1.1', anomalies: ['space_in_target'] });
    expect(line('BREW /a \tb  c HTTP/1.1')).toEqual({ method: 'BREW', target: '/a \tb  c', version: '1.1', anomalies: ['space_in_target'] });
    expect(line('GET /a b')).toBeUndefined();
    expect(line('GET /a\u0001b HTTP/1.1')).toBeUndefined();
  });

  it('reads longer version numbers, and only major version 1', () => {
    expect(line('GET / HTTP/1.10')).toEqual({ method: 'GET', target: '/', version: '1.10', anomalies: ['version'] });
    expect(line('GET / HTTP/1.2')).toEqual({ method: 'GET', target: '/', version: '1.2', anomalies: ['version'] });
    expect(line('PRI * HTTP/2.0')).toBeUndefined();
    expect(line('GET / HTTP/1.1000')).toBeUndefined();
    expect(line('GET / HTTP/1.')).toBeUndefined();
  });

  it('reads an HTTP/0.9 request line (known method, one-word target) as a whole head', () => {
    const { head, end } = parse('GET /index.html\r\nnot a header\r\n');
    expect([head?.method, head?.target, head?.version, head?.anomalies, end]).toEqual(['GET', '/index.html', '0.9', ['http09'], 17]);
    expect(line('BREW /pot')).toBeUndefined();
    expect(line('GET HTTP/1.1')).toBeUndefined();
    // Cut by a packet end, the head's end is still found at the request line's end.
    expect(findHeadEnd(Buffer.from('GET /index.html\nmore'), 0, 4)).toBe(16);
    expect(findHeadEnd(Buffer.from('HTTP/1.1 200 OK\nmore'), 0, 0)).toBe(-1);
  });

  it('flags bare LF line ends, the LF CR LF head end included', () => {
    expect(parse('GET / HTTP/1.1\nHost: x\n\n').head?.anomalies).toEqual(['bare_lf']);
    expect(parse('GET / HTTP/1.1\r\nHost: x\n\r\n').head?.anomalies).toEqual(['bare_lf']);
    expect(parse('GET / HTTP/1.1\r\nHost: x\r\n\n').head?.anomalies).toEqual(['bare_lf']);
    expect(parse('GET / HTTP/1.1\r\nHost: x\r\n\r\n').head?.anomalies).toBeUndefined();
  });

  it('flags a repeated or listed Content-Length, keeping the length when all values agree', () => {
    const same = parse('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n').head!;
    expect([same.contentLength, same.anomalies]).toEqual([5, ['duplicate_content_length']]);
    const list = parse('POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n').head!;
    expect([list.contentLength, list.anomalies]).toEqual([5, ['duplicate_content_length']]);
    const differ = parse('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n').head!;
    expect([differ.contentLength, differ.anomalies]).toEqual([NaN, ['duplicate_content_length']]);
  });

  it('flags Content-Length beside Transfer-Encoding, and a request coding other than chunked last', () => {
    expect(parse('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n').head?.anomalies).toEqual(['content_length_and_transfer_encoding']);
    expect(parse('POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n').head?.anomalies).toEqual(['transfer_encoding_not_chunked']);
    expect(parse('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n').head?.anomalies).toBeUndefined();
    // A response may end its body at the close.
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', false).head?.anomalies).toBeUndefined();
  });
});

describe('lenient status lines', () => {
  const status = (text: string) => {
    const head = parse(`${text}\r\n\r\n`, false).head;
    return head === undefined ? undefined : [head.statusCode, head.version, head.anomalies];
  };

  it('reads codes outside 100–599 (nginx sends `return 42` as "042"), flagged, and treats them as errors', () => {
    expect(status('HTTP/1.1 042 ')).toEqual([42, '1.1', ['status_code_range']]);
    expect(status('HTTP/1.1 000 ')).toEqual([0, '1.1', ['status_code_range']]);
    expect(status('HTTP/1.1 999 ')).toEqual([999, '1.1', ['status_code_range']]);
    expect(status('HTTP/1.10 200 OK')).toEqual([200, '1.10', ['version']]);
    expect(status('HTTP/1.1 20 OK')).toBeUndefined();
    const low = parse('HTTP/1.1 042 \r\n\r\n', false).head!;
    expect([isInterim(low), isErrorResponse(low)]).toEqual([false, true]);
    expect(responseAttributes(low, 4)).toEqual({
      'http.response.status_code': 42,
      'http.response.body.size': 4,
      'error.type': '42',
      'packetd.http.response.anomaly': ['status_code_range'],
    });
  });

  it('only 1xx other than 101 is interim', () => {
    for (const [code, interim] of [[100, true], [103, true], [101, false], [199, true], [200, false], [42, false]] as const) {
      expect(isInterim(parse(`HTTP/1.1 ${String(code).padStart(3, '0')} x\r\n\r\n`, false).head!), String(code)).toBe(interim);
    }
  });

  it('the answer to an HTTP/0.9 request has no status code and is no error', () => {
    const head = http09ResponseHead(false);
    expect([isInterim(head), isErrorResponse(head)]).toEqual([false, false]);
    expect(responseAttributes(head, 47)).toEqual({ 'http.response.body.size': 47, 'packetd.http.response.anomaly': ['http09'] });
  });
});

describe('anomaly attributes', () => {
  it('names request anomalies in packetd.http.request.anomaly', () => {
    const attributes = requestAttributes(parse('GET /a b HTTP/1.10\nHost: x\n\n').head!, server, 0);
    expect(attributes['packetd.http.request.anomaly']).toEqual(['space_in_target', 'version', 'bare_lf']);
    expect(attributes['url.path']).toBe('/a b');
    expect(attributes['network.protocol.version']).toBe('1.10');
  });
});

describe('start-line classification (detection, resync)', () => {
  const kind = (text: string, wholeLine = true) => classifyStartLine(Buffer.from(text, 'latin1'), 0, wholeLine);

  it('accepts the lenient lines it can tell from the line alone', () => {
    expect(kind('GET /a b HTTP/1.1\r\n')).toBe(StartLine.Request);
    expect(kind('BREW /pot HTTP/1.10\n')).toBe(StartLine.Request);
    expect(kind('HTTP/1.10 200 OK\r\n')).toBe(StartLine.Status);
    expect(kind('HTTP/1.')).toBe(StartLine.More);
    expect(kind('HTTP/1.1')).toBe(StartLine.More);
    expect(kind('HTTP/1.x 200')).toBe(StartLine.No);
    // HTTP/0.9 has no version to show: a known method is enough only outside a resync.
    expect(kind('GET /index.html\r\n')).toBe(StartLine.No);
    expect(kind('GET /index.html\r\n', false)).toBe(StartLine.Request);
    expect(kind('PRI * HTTP/2.0\r\n')).toBe(StartLine.No);
    expect(kind('GET  HTTP/1.1\r\n')).toBe(StartLine.No);
  });
});
