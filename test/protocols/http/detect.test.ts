import { describe, expect, it } from 'vitest';
import { detectHttp } from '../../../src/protocols/http/detect.js';
import { parseTraceparent } from '../../../src/protocols/trace-context.js';
import { C2S, S2C } from './harness.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('HTTP/1 detection', () => {
  it('recognises request lines from the client and status lines from the server', () => {
    expect(detectHttp(bytes('GET / HTTP/1.1\r\n'), C2S)).toEqual({ verdict: 'yes' });
    expect(detectHttp(bytes('\r\nPOST /x'), C2S)).toEqual({ verdict: 'yes' });
    expect(detectHttp(bytes('HTTP/1.0 200 OK\r\n'), S2C)).toEqual({ verdict: 'yes' });
    expect(detectHttp(bytes('BREW /pot HTTP/1.1\r\n'), C2S)).toEqual({ verdict: 'yes' });
  });

  it('asks to swap roles when the guessed client sends responses', () => {
    expect(detectHttp(bytes('HTTP/1.1 404 Not Found\r\n'), C2S)).toEqual({ verdict: 'yes', swapRoles: true });
    expect(detectHttp(bytes('GET / HTTP/1.1\r\n'), S2C)).toEqual({ verdict: 'yes', swapRoles: true });
  });

  it('waits for more bytes on a prefix and rejects other protocols', () => {
    expect(detectHttp(bytes('GE'), C2S)).toEqual({ verdict: 'more' });
    expect(detectHttp(bytes('HTTP/1.'), S2C)).toEqual({ verdict: 'more' });
    expect(detectHttp(bytes('BREW /pot'), C2S)).toEqual({ verdict: 'more' });
    expect(detectHttp(bytes('*1\r\n$4\r\nPING\r\n'), C2S)).toEqual({ verdict: 'no' });
    expect(detectHttp(bytes('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), C2S)).toEqual({ verdict: 'no' });
    expect(detectHttp(bytes('HTTP/2 200'), S2C)).toEqual({ verdict: 'no' });
    expect(detectHttp(Buffer.from([0x16, 0x03, 0x01, 0x00]), C2S)).toEqual({ verdict: 'no' });
    expect(detectHttp(bytes('SELECT * FROM t\n'), C2S)).toEqual({ verdict: 'no' });
  });
});

describe('W3C traceparent', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  it('parses version 00 and keeps tracestate', () => {
    expect(parseTraceparent(valid, ' a=b ')).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1, traceState: 'a=b' });
    expect(parseTraceparent(` ${valid} `)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 });
    expect(parseTraceparent(`cc${valid.slice(2)}-future`)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('rejects what the spec says to ignore', () => {
    for (const bad of [
      valid.slice(0, -1),
      `${valid}-x`,
      valid.toUpperCase(),
      `ff${valid.slice(2)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g',
      '00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
  });
});
