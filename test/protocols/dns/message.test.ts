import { describe, expect, it } from 'vitest';
import { DnsParser } from '../../../src/protocols/dns/message.js';
import { A, AAAA, dnsMessage, ipv4, pointer, wireName } from './build.js';

const QUESTION_NAME_OFFSET = 12;

function parse(bytes: Buffer | number[], maxRecords = 16) {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  const parser = new DnsParser();
  const message = parser.parse(buf, 0, buf.length, maxRecords);
  return { message, error: message === undefined ? parser.error : message.recordError };
}

/** A header with one question whose name is `nameBytes`, then type A class IN. */
function withQuestionName(nameBytes: number[]): number[] {
  return [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...nameBytes, 0, 1, 0, 1];
}

describe('DNS message parser', () => {
  it('reads header, question, EDNS and compressed answers', () => {
    const bytes = dnsMessage({
      id: 0xbeef,
      response: true,
      question: { name: 'www.example.test', type: A },
      answers: [
        { name: pointer(QUESTION_NAME_OFFSET), type: A, ttl: 60, data: ipv4('192.0.2.1') },
        { name: pointer(QUESTION_NAME_OFFSET + 4), type: AAAA, data: [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1] },
      ],
      edns: { udpPayloadSize: 1232, dnssecOk: true },
    });
    const { message, error } = parse(bytes);
    expect(error).toBeUndefined();
    expect(message).toEqual({
      id: 0xbeef,
      isResponse: true,
      opcode: 0,
      rcode: 0,
      truncated: false,
      questionCount: 1,
      answerCount: 2,
      authorityCount: 0,
      additionalCount: 1,
      question: { name: 'www.example.test', type: A, class: 1 },
      answers: [
        { name: 'www.example.test', type: 'A', ttl: 60, data: '192.0.2.1' },
        { name: 'example.test', type: 'AAAA', ttl: 300, data: '2001:db8::1' },
      ],
      authorities: [],
      edns: { udpPayloadSize: 1232, version: 0, dnssecOk: true },
      recordError: undefined,
      nameTruncated: false,
    });
  });

  it('extends the response code with the OPT record (BADVERS is 16)', () => {
    const { message } = parse(dnsMessage({ id: 1, response: true, question: { name: 'a.test', type: A }, edns: { udpPayloadSize: 512, extendedRcode: 1 } }));
    expect(message!.rcode).toBe(16);
  });

  it('reads the root as "." and escapes what a name cannot show plainly', () => {
    expect(parse(withQuestionName([0])).message!.question!.name).toBe('.');
    const odd = [3, 0x61, 0x2e, 0x62, 3, 0x20, 0x5c, 0xff, 0];
    expect(parse(withQuestionName(odd)).message!.question!.name).toBe('a\\.b.\\032\\\\\\255');
  });

  describe('loop guard and malformed names', () => {
    it('refuses a pointer to itself', () => {
      expect(parse(withQuestionName(pointer(QUESTION_NAME_OFFSET)))).toEqual({ message: undefined, error: 'name_pointer_loop' });
    });

    it('refuses a label followed by a pointer back to it (a loop)', () => {
      expect(parse(withQuestionName([1, 0x61, ...pointer(QUESTION_NAME_OFFSET)])).error).toBe('name_pointer_loop');
    });

    it('follows a forward pointer: to a name written later in the message', () => {
      // The question's name is "www" then a pointer to the answer's owner, "example.test",
      // written after it (offset 12 + 4 + 2 + 4 = 22).
      const bytes = dnsMessage({
        id: 1,
        response: true,
        question: { name: [3, ...Buffer.from('www'), ...pointer(22)], type: A },
        answers: [{ name: 'example.test', type: A, data: ipv4('192.0.2.1') }],
      });
      const { message, error } = parse(bytes);
      expect(error).toBeUndefined();
      expect(message!.question!.name).toBe('www.example.test');
      expect(message!.answers[0]!.name).toBe('example.test');
    });

    it('refuses a loop through forward and backward pointers, and a pointer out of the message', () => {
      // 12: "a" + pointer to 18; 18: pointer back to 12.
      const loop = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, ...pointer(18), 0, 1, ...pointer(12), 0, 1];
      expect(parse(loop).error).toBe('name_pointer_loop');
      expect(parse(withQuestionName([...pointer(400)])).error).toBe('bad_pointer');
    });

    it('follows a chain of pointers, but not past 127 jumps (bounded work per name)', () => {
      // Answer 1 hides `links` pointers in opaque RDATA, each to the one before, the first to the
      // question's name; answer 2's owner points at the last of them.
      const chained = (links: number) => {
        const rdataStart = QUESTION_NAME_OFFSET + wireName('a.test').length + 4 + 2 + 10;
        const chain = Array.from({ length: links }, (_, i) => pointer(i === 0 ? QUESTION_NAME_OFFSET : rdataStart + (i - 1) * 2)).flat();
        return parse(
          dnsMessage({
            id: 1,
            response: true,
            question: { name: 'a.test', type: A },
            answers: [
              { name: pointer(QUESTION_NAME_OFFSET), type: 0xff00, data: chain },
              { name: pointer(rdataStart + (links - 1) * 2), type: A, data: ipv4('192.0.2.1') },
            ],
          }),
        );
      };
      expect(chained(100).message!.answers[1]!.name).toBe('a.test');
      expect(chained(200).error).toBe('name_pointer_chain');
    });

    it('refuses label types 01 and 10 (extended labels)', () => {
      expect(parse(withQuestionName([0x41, 0x61, 0])).error).toBe('bad_label_type');
      expect(parse(withQuestionName([0x81, 0x61, 0])).error).toBe('bad_label_type');
    });

    it('keeps a name over 255 bytes cut after the labels that fit, and reads on past its end', () => {
      const label = (c: number) => [63, ...Array(63).fill(c)];
      // Four 63-byte labels: 257 bytes with the root; the fourth does not fit.
      const { message, error } = parse(withQuestionName([...label(0x61), ...label(0x62), ...label(0x63), ...label(0x64), 0]));
      expect(error).toBeUndefined();
      expect(message!.nameTruncated).toBe(true);
      expect(message!.question).toEqual({ name: ['a', 'b', 'c'].map((c) => c.repeat(63)).join('.'), type: A, class: 1 });
      // 255 bytes exactly is a whole name.
      const fits = parse(withQuestionName([...label(0x61), ...label(0x62), ...label(0x63), 61, ...Array(61).fill(0x64), 0]));
      expect(fits.message!.nameTruncated).toBe(false);
    });

    it('cuts a long name reached through a pointer where the pointer is, without following on', () => {
      // The answer's owner is three 63-byte labels, then a pointer to the question's "x.test".
      const label = [63, ...Array(63).fill(0x61)];
      const { message, error } = parse(
        dnsMessage({ id: 2, response: true, question: { name: 'x.test', type: A }, answers: [{ name: [...label, ...label, ...label, ...label, ...pointer(12)], type: A, data: ipv4('192.0.2.2') }] }),
      );
      expect(error).toBeUndefined();
      expect(message!.nameTruncated).toBe(true);
      expect(message!.answers[0]).toEqual({ name: ['a'.repeat(63), 'a'.repeat(63), 'a'.repeat(63)].join('.'), type: 'A', ttl: 300, data: '192.0.2.2' });
    });

    it('refuses messages that end inside the header, a name or the question', () => {
      expect(parse([0, 1, 0, 0, 0, 1]).error).toBe('short_message');
      expect(parse([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]).error).toBe('truncated');
      expect(parse([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]).error).toBe('truncated');
    });
  });

  it('keeps the message when a record after the question is malformed, with what was read', () => {
    const bytes = dnsMessage({
      id: 7,
      response: true,
      question: { name: 'a.test', type: A },
      answers: [{ name: 'a.test', type: A, data: ipv4('192.0.2.7') }],
      counts: [1, 2, 0, 0],
    });
    const { message, error } = parse(bytes);
    expect(error).toBe('truncated');
    expect(message!.answers).toEqual([{ name: 'a.test', type: 'A', ttl: 300, data: '192.0.2.7' }]);
    expect(message!.answerCount).toBe(2);
  });

  it('calls RDATA that does not fit its type bad_rdata', () => {
    const bytes = dnsMessage({ id: 7, response: true, question: { name: 'a.test', type: A }, answers: [{ name: 'a.test', type: A, data: [1, 2, 3] }] });
    expect(parse(bytes).error).toBe('bad_rdata');
  });

  it('keeps only the first maxRecords records of a section, still reading them all', () => {
    const answers = Array.from({ length: 20 }, (_, i) => ({ name: pointer(QUESTION_NAME_OFFSET), type: A, data: ipv4(`10.0.0.${i}`) }));
    const { message, error } = parse(dnsMessage({ id: 9, response: true, question: { name: 'many.test', type: A }, answers, edns: { udpPayloadSize: 4096 } }), 3);
    expect(error).toBeUndefined();
    expect(message!.answers.map((a) => a.data)).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2']);
    expect(message!.answerCount).toBe(20);
    expect(message!.edns?.udpPayloadSize).toBe(4096);
  });

  it('quotes TXT strings as dig does, escaping quotes and unprintable bytes', () => {
    const data = [5, ...Buffer.from('a "b"'), 2, 0x0a, 0x7e];
    const { message } = parse(dnsMessage({ id: 3, response: true, question: { name: 't.test', type: 16 }, answers: [{ name: 't.test', type: 16, data }] }));
    expect(message!.answers[0]!.data).toBe('"a \\"b\\"" "\\010~"');
  });

  it('reads MX, SRV and SOA data with names compressed into the message', () => {
    const question = { name: 'example.test', type: 15 };
    const zone = pointer(QUESTION_NAME_OFFSET);
    const { message, error } = parse(
      dnsMessage({
        id: 4,
        response: true,
        question,
        answers: [
          { name: zone, type: 15, data: [0, 10, 4, ...Buffer.from('mail'), ...zone] },
          { name: zone, type: 33, data: [0, 1, 0, 2, 0x13, 0xc4, 3, ...Buffer.from('sip'), ...zone] },
        ],
        authorities: [{ name: zone, type: 6, data: [2, ...Buffer.from('ns'), ...zone, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5] }],
      }),
    );
    expect(error).toBeUndefined();
    expect(message!.answers.map((a) => a.data)).toEqual(['10 mail.example.test', '1 2 5060 sip.example.test']);
    expect(message!.authorities[0]!.data).toBe('ns.example.test . 1 2 3 4 5');
  });
});
