import { describe, expect, it } from 'vitest';
import { PostgresqlDecoder } from '../../../src/protocols/postgresql/decoder.js';
import { harness, pairs, segments } from '../sql/replay.js';
import { capturePath } from '../../golden/chain.js';

const create = (ctx: ConstructorParameters<typeof PostgresqlDecoder>[0]) => new PostgresqlDecoder(ctx);
const misc = segments(capturePath('postgresql-misc.pcap'), 15432);

function replay(split: (bytes: Buffer) => Buffer[]) {
  const h = harness(create);
  for (const s of misc) for (const part of split(s.bytes)) h.decoder.data(s.dir, part, s.ts);
  h.decoder.end(misc.length + 1);
  return h;
}

describe('PostgresqlDecoder on real bytes', () => {
  const whole = replay((b) => [b]);

  it('decodes the psql session of postgresql-misc.pcap without errors', () => {
    expect(whole.errors).toEqual([]);
    expect(whole.messages.length).toBeGreaterThan(8);
  });

  it('reads the same one byte at a time', () => {
    const bytewise = replay((b) => [...b].map((_, i) => b.subarray(i, i + 1)));
    expect(pairs(bytewise.messages)).toEqual(pairs(whole.messages));
    expect(bytewise.errors).toEqual([]);
  });

  it('resynchronises after lost bytes and never emits garbage', () => {
    const h = harness(create);
    misc.forEach((s, i) => {
      if (i === 9) h.decoder.gap(s.dir, s.bytes.length, s.ts); // a response lost
      else h.decoder.data(s.dir, s.bytes, s.ts);
    });
    const queries = h.messages.filter((m) => m.type === 'response').map((m) => m.request!.attributes['db.query.text']);
    const expected = whole.messages.filter((m) => m.type === 'response').map((m) => m.request!.attributes['db.query.text']);
    expect(queries).toEqual(expected.filter((q) => queries.includes(q)));
    expect(queries.length).toBeGreaterThan(expected.length - 3);
  });

  it('counts garbage as errors without throwing', () => {
    const h = harness(create);
    h.decoder.data(0, Buffer.from('\x00\x00\x00\x05garbage that is no startup'), 1);
    h.decoder.data(1, Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), 2);
    h.decoder.end(3);
    expect(h.messages).toEqual([]);
    expect(h.errors.length).toBeGreaterThan(0);
  });

  it('hands a conversation back when the server accepts TLS', () => {
    const h = harness(create);
    const ssl = Buffer.from('0000000804d2162f', 'hex');
    h.decoder.data(0, ssl, 1);
    h.decoder.data(1, Buffer.from('S'), 2);
    expect(h.released).toEqual(['tls']);
  });
});
