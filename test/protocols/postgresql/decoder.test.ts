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

describe('PostgresqlDecoder, lost server bytes', () => {
  const whole = replay((b) => [b]);
  /** Each response's request start → what it said, in the run without loss. */
  const answers = new Map(whole.messages.filter((m) => m.type === 'response').map((m) => [m.request!.start, [m.size, m.attributes]]));

  it.each(misc.map((s, i) => [i, s.dir] as const).filter(([, dir]) => dir === 1))('never pairs a response with another request when server segment %i is lost', (lost) => {
    const h = harness(create);
    misc.forEach((s, i) => (i === lost ? h.decoder.gap(s.dir, s.bytes.length, s.ts) : h.decoder.data(s.dir, s.bytes, s.ts)));
    h.decoder.end(misc.length + 1);
    for (const m of h.messages.filter((m) => m.type === 'response' && m.partial === undefined)) {
      expect([m.size, m.attributes]).toEqual(answers.get(m.request!.start));
    }
    // Every request is reported: answered, cut by the gap, or alone (unanswered).
    const starts = (ms: typeof h.messages) => ms.map((m) => (m.request ?? m).start);
    expect(starts(h.messages).sort()).toEqual(starts(whole.messages).sort());
  });

  it('ends the response that lost its tail, marked gap', () => {
    const rows = misc.findIndex((s) => s.dir === 1 && s.bytes[0] === 0x54 && s.bytes.includes(Buffer.from('two'))); // RowDescription, DataRow 'two', …
    const h = harness(create);
    misc.forEach((s, i) => {
      if (i !== rows) h.decoder.data(s.dir, s.bytes, s.ts);
      else {
        const rowDescription = 1 + s.bytes.readUInt32BE(1); // kept; the DataRow, CommandComplete and ReadyForQuery lost
        h.decoder.data(s.dir, s.bytes.subarray(0, rowDescription), s.ts);
        h.decoder.gap(s.dir, s.bytes.length - rowDescription, s.ts);
      }
    });
    h.decoder.end(misc.length + 1);
    const cut = h.messages.filter((m) => m.partial !== undefined);
    expect(cut.map((m) => [m.partial, m.request!.attributes['db.operation.name']])).toEqual([['gap', 'SELECT']]);
    // The ReadyForQuery went with the gap, so what follows up to the next one (the next
    // statement's answer) cannot be placed: that statement is reported unanswered, not paired
    // with another's response.
    const alone = h.messages.filter((m) => m.type === 'request' && !m.noReply).map((m) => m.attributes['db.query.text']);
    expect(alone).toEqual(['INSERT INTO items VALUES (?, ?);']);
    expect(h.messages.filter((m) => m.type === 'response').length).toBe(whole.messages.filter((m) => m.type === 'response').length - 1);
  });
});
