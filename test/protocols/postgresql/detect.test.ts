import { describe, expect, it } from 'vitest';
import { detectPostgresql } from '../../../src/protocols/postgresql/detect.js';

const C2S = 0;
const S2C = 1;

function typed(type: string, body: Buffer | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

function untyped(code: number, body = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.writeUInt32BE(code, 4);
  return Buffer.concat([header, body]);
}

describe('detectPostgresql', () => {
  it('recognises startup, SSLRequest and CancelRequest from the client', () => {
    expect(detectPostgresql(untyped(196608, Buffer.from('user\0bench\0database\0bench\0\0')), C2S)).toEqual({ verdict: 'yes' });
    expect(detectPostgresql(untyped(80877103), C2S)).toEqual({ verdict: 'yes' });
    const cancel = untyped(80877102, Buffer.alloc(8));
    expect(detectPostgresql(cancel, C2S)).toEqual({ verdict: 'yes' });
    expect(detectPostgresql(untyped(80877103), S2C)).toEqual({ verdict: 'yes', swapRoles: true });
  });

  it('recognises typed streams joined mid-stream, by types only one side sends', () => {
    expect(detectPostgresql(typed('Q', 'SELECT 1\0'), C2S)).toEqual({ verdict: 'yes' });
    expect(detectPostgresql(Buffer.concat([typed('C', 'SELECT 1\0'), typed('Z', 'I')]), S2C)).toEqual({ verdict: 'yes' });
    expect(detectPostgresql(Buffer.concat([typed('C', 'SELECT 1\0'), typed('Z', 'I')]), C2S)).toEqual({ verdict: 'yes', swapRoles: true });
    // CommandComplete alone could be either side's 'C' (Close): wait for more.
    expect(detectPostgresql(typed('C', 'SELECT 1\0'), S2C)).toEqual({ verdict: 'more' });
  });

  it('does not claim HTTP, Redis or MySQL bytes', () => {
    for (const text of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /a HTTP/1.1\r\n', '*1\r\n$4\r\nPING\r\n', '+OK\r\n', '-ERR no\r\n']) {
      expect(detectPostgresql(Buffer.from(text), C2S).verdict).toBe('no');
    }
    expect(detectPostgresql(Buffer.from('0900000003534c454354203100', 'hex'), C2S).verdict).toBe('no');
  });
});
