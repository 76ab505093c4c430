import { describe, expect, it } from 'vitest';
import { MemcachedDecoder } from '../../../src/protocols/memcached/decoder.js';
import { detectMemcached } from '../../../src/protocols/memcached/detect.js';
import type { DecoderContext } from '../../../src/protocols/types.js';
import { C2S, decodeBothWays, decodeParts, S2C, summary, type Part } from '../../helpers/decoder-harness.js';

const create = (ctx: DecoderContext) => new MemcachedDecoder(ctx);
const decode = (parts: Part[]) => decodeParts(create, 11211, parts);
/** Every case is also fed one byte per packet. */
const both = (parts: Part[], options: Record<string, unknown> = {}) => decodeBothWays(create, 11211, parts, options);

/** A binary request or response packet. */
function packet(magic: number, opcode: number, opaque: number, key = '', value = '', status = 0): Buffer {
  const header = Buffer.alloc(24);
  header[0] = magic;
  header[1] = opcode;
  header.writeUInt16BE(key.length, 2);
  header.writeUInt16BE(status, 6);
  header.writeUInt32BE(key.length + value.length, 8);
  header.writeUInt32BE(opaque, 12);
  return Buffer.concat([header, Buffer.from(key + value)]);
}
const request = (opcode: number, opaque: number, key = '', value = '') => packet(0x80, opcode, opaque, key, value);
const reply = (opcode: number, opaque: number, status = 0, value = '') => packet(0x81, opcode, opaque, '', value, status);

const line = (h: ReturnType<typeof decode>) =>
  h.messages.map((m) => `${m.type === 'request' ? '>' : '<'} ${String(m.attributes['db.query.text'] ?? m.attributes['db.response.status_code'] ?? '')}${m.noReply ? ' (no reply)' : ''}`);

describe('memcached text decoder', () => {
  it('frames storage commands with their data block, and redacts arguments', () => {
    const h = both([[C2S, 'set user:1 0 0 5\r\nhello\r\n'], [S2C, 'STORED\r\n']]);
    expect(h.messages.map(summary)).toEqual([
      {
        type: 'request', size: 25, error: undefined, noReply: undefined, details: undefined,
        attributes: { 'db.system.name': 'memcached', 'db.operation.name': 'set', 'db.query.text': 'set ? ? ? ?' },
      },
      { type: 'response', size: 8, error: undefined, noReply: undefined, details: undefined, attributes: { 'db.response.status_code': 'STORED' } },
    ]);
  });

  it('counts hits and misses of a multi-key get', () => {
    const h = both([[C2S, 'get a b c\r\n'], [S2C, 'VALUE a 0 1\r\n1\r\nVALUE c 0 2\r\nxy\r\nEND\r\n']]);
    expect(h.messages[1]!.attributes).toEqual({ 'memcached.hits': 2, 'memcached.misses': 1 });
    expect(h.messages[1]!.size).toBe(38);
  });

  it('emits noreply commands and quit as requests without reply', () => {
    const h = both([[C2S, 'set k 0 0 1 noreply\r\nx\r\ndelete k noreply\r\nget k\r\nquit\r\n'], [S2C, 'END\r\n']], { include_arguments: true });
    expect(line(h)).toEqual(['> set k 0 0 1 noreply (no reply)', '> delete k noreply (no reply)', '> get k', '> quit (no reply)', '< ']);
  });

  it('pairs error replies with the command memcached rejected', () => {
    const h = both([[C2S, 'bogus\r\nincr k x\r\n'], [S2C, 'ERROR\r\nCLIENT_ERROR invalid numeric delta argument\r\n']]);
    expect(h.messages.map((m) => [m.type, m.error, m.attributes['error.type']])).toEqual([
      ['request', undefined, undefined], ['request', undefined, undefined],
      ['response', true, 'ERROR'], ['response', true, 'CLIENT_ERROR'],
    ]);
    expect(h.errors).toEqual([]);
  });

  it('reads a multi-line stats reply as one', () => {
    const h = both([[C2S, 'stats\r\n'], [S2C, 'STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n']]);
    expect(h.messages.map((m) => m.size)).toEqual([7, 32]);
  });
});

describe('memcached binary decoder', () => {
  it('holds quiet gets until a later reply shows which the server answered', () => {
    const h = both([
      [C2S, Buffer.concat([request(0x09, 1, 'hit'), request(0x09, 2, 'miss'), request(0x0a, 3)])],
      [S2C, Buffer.concat([reply(0x09, 1, 0, 'v'), reply(0x0a, 3)])],
    ]);
    expect(h.messages.map((m) => `${m.type} ${String(m.attributes['db.operation.name'] ?? '')} ${m.noReply ? 'no-reply' : ''}`.trim())).toEqual([
      'request getq', 'response', 'request getq no-reply', 'request noop', 'response',
    ]);
    expect(h.messages[1]!.attributes).toEqual({ 'memcached.hits': 1, 'memcached.misses': 0 });
    expect(h.messages[2]!.attributes).toMatchObject({ 'memcached.hits': 0, 'memcached.misses': 1 });
  });

  it('marks failures, not misses, as errors', () => {
    const h = both([
      [C2S, Buffer.concat([request(0x00, 1, 'k'), request(0x05, 2, 'n')])],
      [S2C, Buffer.concat([reply(0x00, 1, 1, 'Not found'), reply(0x05, 2, 6, 'Non-numeric')])],
    ]);
    expect(h.messages.filter((m) => m.type === 'response').map((m) => [m.error, m.attributes])).toEqual([
      [undefined, { 'db.response.status_code': '1', 'memcached.hits': 0, 'memcached.misses': 1 }],
      [true, { 'db.response.status_code': '6', 'error.type': '6' }],
    ]);
  });

  it('gives the conversation up at a header that cannot be one', () => {
    const h = decode([[C2S, Buffer.concat([request(0x00, 1, 'k'), Buffer.alloc(24, 0x80)])]]);
    expect(h.errors).toEqual(['bad_binary_header']);
    expect(h.released).toEqual(['not_memcached']);
    expect(h.messages).toHaveLength(1);
  });
});

describe('memcached decoder on another protocol', () => {
  it('gives the conversation up at an HTTP request line, a header line or a reply memcached never sends', () => {
    const request = both([[C2S, 'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n'], [S2C, 'HTTP/1.1 200 OK\r\n']]);
    expect([line(request), request.errors, request.released]).toEqual([[], ['http_request_line'], ['not_memcached']]);
    const header = both([[C2S, 'Host: x\r\nAccept: */*\r\n\r\n'], [S2C, 'HTTP/1.1 200 OK\r\n']]);
    expect([line(header), header.errors, header.released]).toEqual([[], ['bad_reply'], ['not_memcached']]);
    // HTTP/0.9: `GET /index.html` is a line memcached would answer ERROR; held until the reply shows what the server is.
    const old = both([[C2S, 'GET /index.html\r\n'], [S2C, '<html><body>page</body></html>\n']]);
    expect([line(old), old.errors, old.released]).toEqual([[], ['bad_reply'], ['not_memcached']]);
  });

  it('reports a rejected line once the server answers as memcached does', () => {
    const h = both([[C2S, 'GET k\r\n'], [S2C, 'ERROR\r\n']]);
    expect([line(h), h.released]).toEqual([['> GET ?', '< ERROR'], []]);
  });
});

describe('memcached detection', () => {
  const detect = (text: string) => detectMemcached(Buffer.from(text, 'latin1'), C2S).verdict;
  it('claims exact text command lines and binary headers', () => {
    expect(detect('get a b\r\n')).toBe('yes');
    expect(detect('set k 0 0 5\r\nhello\r\n')).toBe('yes');
    expect(detect('get a')).toBe('more');
    expect(detectMemcached(request(0x00, 1, 'k'), C2S).verdict).toBe('yes');
    expect(detectMemcached(reply(0x00, 1), C2S)).toEqual({ verdict: 'yes', swapRoles: true });
  });
  it('leaves HTTP and other text protocols alone', () => {
    expect(detect('GET / HTTP/1.1\r\n')).toBe('no');
    expect(detect('get / HTTP/1.1\r\n')).toBe('no');
    expect(detect('set k 0 0\r\n')).toBe('no');
    expect(detect('quit\r\n')).toBe('no');
    expect(detect('EHLO example.com\r\n')).toBe('no');
    expect(detect('*1\r\n$4\r\nPING\r\n')).toBe('no');
    expect(detectMemcached(Buffer.from('get a\r\n'), S2C).verdict).toBe('no');
  });
});
