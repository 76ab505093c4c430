import { describe, expect, it } from 'vitest';
import { MysqlDecoder } from '../../../src/protocols/mysql/decoder.js';
import { detectMysql } from '../../../src/protocols/mysql/detect.js';
import { capturePath } from '../../golden/chain.js';
import { harness, pairs, segments } from '../sql/replay.js';

const create = (ctx: ConstructorParameters<typeof MysqlDecoder>[0]) => new MysqlDecoder(ctx);

function replay(file: string, split: (bytes: Buffer) => Buffer[]) {
  const h = harness(create);
  const parts = segments(capturePath(file), 13306);
  for (const s of parts) for (const part of split(s.bytes)) h.decoder.data(s.dir, part, s.ts);
  h.decoder.end(parts.length + 1);
  return h;
}

describe.each(['mysql-pymysql.pcap', 'mysql-compressed.pcap'])('MysqlDecoder on %s', (file) => {
  const whole = replay(file, (b) => [b]);

  it('decodes without errors', () => {
    expect(whole.errors).toEqual([]);
    expect(whole.messages.length).toBeGreaterThan(3);
  });

  it('reads the same one byte at a time', () => {
    const bytewise = replay(file, (b) => [...b].map((_, i) => b.subarray(i, i + 1)));
    expect(pairs(bytewise.messages)).toEqual(pairs(whole.messages));
    expect(bytewise.errors).toEqual([]);
  });
});

describe('MysqlDecoder', () => {
  it('resynchronises on the next command after lost bytes', () => {
    const h = harness(create);
    const parts = segments(capturePath('mysql-pymysql.pcap'), 13306);
    parts.forEach((s, i) => (i === 6 ? h.decoder.gap(s.dir, s.bytes.length, s.ts) : h.decoder.data(s.dir, s.bytes, s.ts)));
    const whole = replay('mysql-pymysql.pcap', (b) => [b]);
    const texts = (ms: typeof h.messages) => ms.map((m) => m.request?.attributes['db.query.text'] ?? m.attributes['db.query.text']);
    const seen = texts(h.messages);
    expect(seen.length).toBeGreaterThanOrEqual(whole.messages.length - 2);
    for (const text of seen) expect(texts(whole.messages)).toContain(text);
  });

  it('hands the conversation back on a TLS request', () => {
    const h = harness(create);
    const parts = segments(capturePath('mysql-pymysql.pcap'), 13306);
    h.decoder.data(1, parts[0]!.bytes, 1); // greeting
    const sslRequest = Buffer.alloc(36);
    sslRequest.writeUIntLE(32, 0, 3);
    sslRequest[3] = 1;
    sslRequest.writeUInt32LE(0x00000a00 | 0x200 | 0x8000, 4); // CLIENT_SSL | PROTOCOL_41 | SECURE_CONNECTION
    h.decoder.data(0, sslRequest, 2);
    expect(h.released).toEqual(['tls']);
  });
});

describe('MysqlDecoder, commands in flight', () => {
  const dbd = segments(capturePath('mysql-dbd-prepare.pcap'), 18506);
  const login = 3; // greeting, login request, OK: then commands only
  const replayDbd = (parts: { dir: 0 | 1; bytes: Buffer; ts: number }[]) => {
    const h = harness(create);
    for (const s of parts) h.decoder.data(s.dir, s.bytes, s.ts);
    h.decoder.end(dbd.length + 1);
    return h;
  };
  const statements = (h: ReturnType<typeof harness>) =>
    h.messages.map((m) => [m.type, (m.request ?? m).details?.['command'], (m.request ?? m).attributes['db.query.text'], m.attributes['error.type'] ?? null]);

  it('pairs every command when a client writes them all before reading (DBD::MariaDB bytes, one segment)', () => {
    const inOrder = replayDbd(dbd);
    const after = dbd.slice(login);
    const commands = Buffer.concat(after.filter((s) => s.dir === 0).map((s) => s.bytes));
    const responses = Buffer.concat(after.filter((s) => s.dir === 1).map((s) => s.bytes));
    const pipelined = replayDbd([...dbd.slice(0, login), { dir: 0, bytes: commands, ts: 10 }, { dir: 1, bytes: responses, ts: 11 }]);
    expect(pipelined.errors).toEqual([]);
    expect(statements(pipelined)).toEqual(statements(inOrder));
    expect(pipelined.messages.filter((m) => m.type === 'request' && !m.noReply)).toEqual([]);
  });

  it('ends a response whose framing it misread at the next response start (sequence id 1)', () => {
    // pymysql's `SELECT id, name …` answered with 2 columns; its column count byte changed to 9,
    // so the decoder would take the definitions, EOF, rows and EOF for 9 definitions.
    const parts = segments(capturePath('mysql-pymysql.pcap'), 13306).map((s) => ({ ...s, bytes: Buffer.from(s.bytes) }));
    const select = parts.findIndex((s) => s.dir === 1 && s.bytes.length > 100 && s.bytes[4] === 2);
    parts[select]!.bytes[4] = 9;
    const h = harness(create);
    for (const s of parts) h.decoder.data(s.dir, s.bytes, s.ts);
    h.decoder.end(parts.length + 1);
    expect(h.errors).toEqual(['response_framing']);
    const whole = replay('mysql-pymysql.pcap', (b) => [b]);
    expect(pairs(h.messages).map((p) => p.attributes)).toEqual(pairs(whole.messages).map((p) => p.attributes));
    const broken = h.messages.filter((m) => m.partial !== undefined);
    expect(broken.map((m) => [m.partial, m.request?.attributes['db.operation.name']])).toEqual([['framing', 'SELECT']]);
  });

  it('ends the response that lost bytes, and pairs the next one with the next command', () => {
    const parts = segments(capturePath('mysql-pymysql.pcap'), 13306);
    const select = parts.findIndex((s) => s.dir === 1 && s.bytes.length > 100 && s.bytes[4] === 2);
    const h = harness(create);
    parts.forEach((s, i) => {
      if (i !== select) h.decoder.data(s.dir, s.bytes, s.ts);
      else {
        h.decoder.data(s.dir, s.bytes.subarray(0, 40), s.ts); // the column count and part of a definition
        h.decoder.gap(s.dir, s.bytes.length - 40, s.ts);
      }
    });
    h.decoder.end(parts.length + 1);
    const whole = replay('mysql-pymysql.pcap', (b) => [b]);
    expect(pairs(h.messages).map((p) => p.attributes)).toEqual(pairs(whole.messages).map((p) => p.attributes));
    // Its size: the packets read whole (the 5-byte column count), not the cut definition.
    expect(h.messages.filter((m) => m.partial !== undefined).map((m) => [m.partial, m.request?.attributes['db.operation.name'], m.size])).toEqual([['gap', 'SELECT', 5]]);
  });
});

describe('MysqlDecoder, lost server bytes', () => {
  const parts = segments(capturePath('mysql-pymysql.pcap'), 13306);
  const whole = replay('mysql-pymysql.pcap', (b) => [b]);
  const answers = new Map(whole.messages.filter((m) => m.type === 'response').map((m) => [m.request!.start, [m.size, m.attributes]]));

  it.each(parts.map((s, i) => [i, s.dir] as const).filter(([, dir]) => dir === 1))('never pairs a response with another command when server segment %i is lost', (lost) => {
    const h = harness(create);
    parts.forEach((s, i) => (i === lost ? h.decoder.gap(s.dir, s.bytes.length, s.ts) : h.decoder.data(s.dir, s.bytes, s.ts)));
    h.decoder.end(parts.length + 1);
    for (const m of h.messages.filter((m) => m.type === 'response' && m.partial === undefined)) {
      expect([m.size, m.attributes]).toEqual(answers.get(m.request!.start));
    }
  });
});

describe('detectMysql', () => {
  const parts = segments(capturePath('mysql-pymysql.pcap'), 13306);

  it('recognises the greeting and a command joined mid-stream', () => {
    expect(detectMysql(parts[0]!.bytes, 1)).toEqual({ verdict: 'yes' });
    expect(detectMysql(parts[0]!.bytes, 0)).toEqual({ verdict: 'yes', swapRoles: true });
    expect(detectMysql(parts[3]!.bytes, 0)).toEqual({ verdict: 'yes' }); // COM_QUERY
  });

  it('does not claim HTTP, Redis or PostgreSQL bytes', () => {
    for (const text of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '*1\r\n$4\r\nPING\r\n', '+OK\r\n']) {
      expect(detectMysql(Buffer.from(text), 0).verdict).toBe('no');
    }
    expect(detectMysql(Buffer.from('510000000d53454c4543542031', 'hex'), 0).verdict).not.toBe('yes');
  });
});
