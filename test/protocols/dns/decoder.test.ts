import { describe, expect, it } from 'vitest';
import type { L7Message } from '../../../src/model/message.js';
import { CLIENT_TO_SERVER as C2S, SERVER_TO_CLIENT as S2C, type Conversation } from '../../../src/model/stream.js';
import { Stats } from '../../../src/pipeline/stats.js';
import { DnsDecoder } from '../../../src/protocols/dns/decoder.js';
import { A, dnsMessage, exchange, ipv4, tcpFramed } from './build.js';

function harness(transport: 'udp' | 'tcp', rolesGuessed = false, options: Record<string, unknown> = {}) {
  const conv: Conversation = {
    id: 1,
    transport,
    client: { address: '10.0.0.1', port: 40000 },
    server: { address: '10.0.0.2', port: 53 },
    rolesGuessed,
    start: 0,
  };
  const messages: L7Message[] = [];
  const errors: string[] = [];
  let swaps = 0;
  const decoder = new DnsDecoder({
    conv,
    options,
    stats: new Stats(),
    emit: (msg) => messages.push(msg),
    error: (reason) => errors.push(reason),
    release: () => undefined,
    swapRoles: () => swaps++,
  });
  return { decoder, messages, errors, swaps: () => swaps };
}

const [query, response] = exchange(0x1234, 'www.example.test', A, [{ name: 'www.example.test', type: A, ttl: 60, data: ipv4('192.0.2.5') }]);
const brief = (m: L7Message) => ({ type: m.type, id: m.id, start: m.start, end: m.end, size: m.size });

describe('DNS decoder over UDP', () => {
  it('decodes a datagram into a message with its attributes and details', () => {
    const h = harness('udp');
    h.decoder.data(C2S, query, 10);
    h.decoder.data(S2C, response, 20);
    expect(h.errors).toEqual([]);
    const [q, r] = h.messages;
    expect(q).toMatchObject({
      protocol: 'dns',
      dir: C2S,
      type: 'request',
      start: 10,
      end: 10,
      size: query.length,
      id: 0x1234,
      attributes: { 'dns.question.name': 'www.example.test', 'dns.question.type': 'A' },
      details: { id: 0x1234 },
    });
    expect(r).toMatchObject({
      dir: S2C,
      type: 'response',
      size: response.length,
      id: 0x1234,
      attributes: { 'dns.response_code': 'NOERROR', 'dns.answer.count': 1, 'dns.flags.truncated': false },
      details: { answers: [{ name: 'www.example.test', type: 'A', ttl: 60, data: '192.0.2.5' }] },
    });
    expect(r!.error).toBeUndefined();
  });

  it('marks SERVFAIL and REFUSED responses as errors with error.type, not NXDOMAIN', () => {
    const h = harness('udp');
    for (const rcode of [2, 5, 3]) h.decoder.data(S2C, exchange(rcode, 'x.test', A, [], rcode)[1], rcode);
    expect(h.messages.map((m) => [m.attributes['dns.response_code'], m.attributes['error.type'], m.error])).toEqual([
      ['SERVFAIL', 'SERVFAIL', true],
      ['REFUSED', 'REFUSED', true],
      ['NXDOMAIN', undefined, undefined],
    ]);
  });

  it('reads EDNS on the query and the TC flag on the response', () => {
    const h = harness('udp');
    h.decoder.data(C2S, dnsMessage({ id: 5, question: { name: 'big.test', type: 16 }, edns: { udpPayloadSize: 1232, dnssecOk: true } }), 1);
    h.decoder.data(S2C, dnsMessage({ id: 5, response: true, truncated: true, question: { name: 'big.test', type: 16 } }), 2);
    expect(h.messages[0]!.attributes).toEqual({
      'dns.question.name': 'big.test',
      'dns.question.type': 'TXT',
      'dns.edns.udp_payload_size': 1232,
      'dns.edns.dnssec_ok': true,
    });
    expect(h.messages[1]!.attributes['dns.flags.truncated']).toBe(true);
  });

  it('takes a TC reply that stops short of the records it counts as it is, without an error', () => {
    const h = harness('udp');
    const cut = dnsMessage({ id: 6, response: true, truncated: true, question: { name: 'big.test', type: 16 }, counts: [1, 9, 0, 0] });
    h.decoder.data(S2C, cut, 1);
    expect(h.errors).toEqual([]);
    expect(h.messages[0]!.attributes).toMatchObject({ 'dns.answer.count': 9, 'dns.flags.truncated': true });
  });

  it('bounds the records kept by the max_records option', () => {
    const answers = Array.from({ length: 5 }, (_, i) => ({ name: 'm.test', type: A, data: ipv4(`10.0.0.${i}`) }));
    const h = harness('udp', false, { max_records: 2 });
    h.decoder.data(S2C, exchange(1, 'm.test', A, answers)[1], 1);
    expect((h.messages[0]!.details!['answers'] as unknown[]).length).toBe(2);
    expect(h.messages[0]!.attributes['dns.answer.count']).toBe(5);
  });

  it('counts a malformed datagram and goes on with the next', () => {
    const h = harness('udp');
    h.decoder.data(C2S, Buffer.from([1, 2, 3]), 1);
    h.decoder.data(C2S, query, 2);
    h.decoder.gap(C2S);
    expect(h.errors).toEqual(['short_message']);
    expect(h.messages.map(brief)).toEqual([{ type: 'request', id: 0x1234, start: 2, end: 2, size: query.length }]);
  });

  it('swaps guessed roles when the first message is a response from the client side', () => {
    const h = harness('udp', true);
    h.decoder.data(C2S, response, 1);
    h.decoder.data(S2C, query, 2);
    expect(h.swaps()).toBe(1);
    expect(h.messages.map((m) => [m.type, m.dir])).toEqual([['response', S2C], ['request', C2S]]);
  });
});

describe('DNS decoder over TCP', () => {
  const [q2, r2] = exchange(0x0202, 'mail.example.test', 28);

  it('reads several length-prefixed messages from one segment, responses in any order', () => {
    const h = harness('tcp');
    h.decoder.data(C2S, Buffer.concat([tcpFramed(query), tcpFramed(q2)]), 1);
    h.decoder.data(S2C, tcpFramed(r2), 2);
    h.decoder.data(S2C, tcpFramed(response), 3);
    h.decoder.end();
    expect(h.errors).toEqual([]);
    expect(h.messages.map(brief)).toEqual([
      { type: 'request', id: 0x1234, start: 1, end: 1, size: query.length + 2 },
      { type: 'request', id: 0x0202, start: 1, end: 1, size: q2.length + 2 },
      { type: 'response', id: 0x0202, start: 2, end: 2, size: r2.length + 2 },
      { type: 'response', id: 0x1234, start: 3, end: 3, size: response.length + 2 },
    ]);
  });

  it('reassembles a message delivered a byte at a time, timed from its first to its last byte', () => {
    const h = harness('tcp');
    const framed = Buffer.concat([tcpFramed(query), tcpFramed(q2)]);
    for (let i = 0; i < framed.length; i++) h.decoder.data(C2S, framed.subarray(i, i + 1), 100 + i);
    expect(h.errors).toEqual([]);
    const split = query.length + 2;
    expect(h.messages.map(brief)).toEqual([
      { type: 'request', id: 0x1234, start: 100, end: 100 + split - 1, size: split },
      { type: 'request', id: 0x0202, start: 100 + split, end: 100 + framed.length - 1, size: q2.length + 2 },
    ]);
  });

  it('after a gap, skips bytes until a segment starts with a message', () => {
    const h = harness('tcp');
    const framed = tcpFramed(query);
    h.decoder.data(C2S, framed.subarray(0, 10), 1);
    h.decoder.gap(C2S);
    h.decoder.data(C2S, framed.subarray(20), 2);
    h.decoder.data(C2S, tcpFramed(q2), 3);
    expect(h.errors).toEqual(['gap_in_message']);
    expect(h.messages.map((m) => m.id)).toEqual([0x0202]);
  });

  it('counts an impossible length and resyncs', () => {
    const h = harness('tcp');
    h.decoder.data(C2S, Buffer.from([0, 3, 1, 2, 3]), 1);
    h.decoder.data(C2S, tcpFramed(q2), 2);
    expect(h.errors).toEqual(['bad_length']);
    expect(h.messages.map((m) => m.id)).toEqual([0x0202]);
  });

  it('counts a message cut by the end of the connection', () => {
    const h = harness('tcp');
    h.decoder.data(S2C, tcpFramed(response).subarray(0, 20), 1);
    h.decoder.end();
    expect(h.errors).toEqual(['truncated']);
    expect(h.messages).toEqual([]);
  });
});

describe('DNS decoder: variants and anomalies', () => {
  const withServer = (address: string, port: number) => {
    const h = harness('udp');
    h.decoder.ctx.conv.server = { address, port };
    return h;
  };

  it('flags mDNS and LLMNR by the server port, and a query to a group as expecting no reply here', () => {
    const mdns = withServer('224.0.0.251', 5353);
    mdns.decoder.data(C2S, query, 1);
    expect(mdns.messages[0]).toMatchObject({ noReply: true, attributes: { 'network.protocol.name': 'mdns' } });
    const llmnr = withServer('ff02::1:3', 5355);
    llmnr.decoder.data(C2S, query, 1);
    expect(llmnr.messages[0]).toMatchObject({ noReply: true, attributes: { 'network.protocol.name': 'llmnr' } });
    const unicast = withServer('192.0.2.40', 5355);
    unicast.decoder.data(C2S, query, 1);
    unicast.decoder.data(S2C, response, 2);
    expect(unicast.messages.map((m) => [m.noReply, m.attributes['network.protocol.name']])).toEqual([[undefined, 'llmnr'], [undefined, 'llmnr']]);
    const dns = harness('udp');
    dns.decoder.data(C2S, query, 1);
    expect(dns.messages[0]!.attributes['network.protocol.name']).toBeUndefined();
  });

  it('keeps a message with a name past 255 bytes, flagged and counted', () => {
    const h = harness('udp');
    const label = [63, ...Array(63).fill(0x61)];
    h.decoder.data(C2S, dnsMessage({ id: 9, question: { name: [...label, ...label, ...label, ...label, 0], type: A } }), 1);
    expect(h.errors).toEqual(['name_too_long']);
    expect(h.messages[0]!.attributes).toMatchObject({ 'dns.name_truncated': true, 'dns.question.type': 'A' });
  });

  it('gives a response its question and id, so one whose query was not seen says what was asked', () => {
    const h = harness('udp');
    h.decoder.data(S2C, response, 1);
    expect(h.messages[0]).toMatchObject({ attributes: { 'dns.question.name': 'www.example.test', 'dns.question.type': 'A' }, details: { id: 0x1234 } });
  });
});
