import { describe, expect, it } from 'vitest';
import { CLIENT_TO_SERVER as C2S, SERVER_TO_CLIENT as S2C } from '../../../src/model/stream.js';
import { detectDns } from '../../../src/protocols/dns/detect.js';
import { A, dnsMessage, exchange, tcpFramed } from './build.js';

const [query, response] = exchange(0x4242, 'www.example.test', A);

describe('DNS detection', () => {
  it('over UDP: a datagram holding exactly one query or response', () => {
    expect(detectDns(query, C2S, 'udp')).toEqual({ verdict: 'yes' });
    expect(detectDns(response, S2C, 'udp')).toEqual({ verdict: 'yes' });
    expect(detectDns(response, C2S, 'udp')).toEqual({ verdict: 'yes', swapRoles: true });
  });

  it('over UDP: never asks for more; anything else is no', () => {
    expect(detectDns(query.subarray(0, 20), C2S, 'udp')).toEqual({ verdict: 'no' });
    expect(detectDns(Buffer.concat([query, Buffer.from([0])]), C2S, 'udp')).toEqual({ verdict: 'no' });
    expect(detectDns(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), C2S, 'udp')).toEqual({ verdict: 'no' });
    // A query with answers, two questions, or an odd class is not one a resolver sends.
    expect(detectDns(dnsMessage({ id: 1, question: { name: 'a.test', type: A }, counts: [1, 1, 0, 0] }), C2S, 'udp').verdict).toBe('no');
    expect(detectDns(dnsMessage({ id: 1, question: { name: 'a.test', type: A, class: 77 } }), C2S, 'udp').verdict).toBe('no');
  });

  it('over TCP: the length prefix, then the message it announces', () => {
    const framed = tcpFramed(query);
    expect(detectDns(framed.subarray(0, 1), C2S, 'tcp')).toEqual({ verdict: 'more' });
    expect(detectDns(framed.subarray(0, 10), C2S, 'tcp')).toEqual({ verdict: 'more' });
    expect(detectDns(framed.subarray(0, 20), C2S, 'tcp')).toEqual({ verdict: 'more' });
    expect(detectDns(framed, C2S, 'tcp')).toEqual({ verdict: 'yes' });
    expect(detectDns(Buffer.concat([framed, tcpFramed(query)]), C2S, 'tcp')).toEqual({ verdict: 'yes' });
    expect(detectDns(tcpFramed(response), C2S, 'tcp')).toEqual({ verdict: 'yes', swapRoles: true });
  });

  it('over TCP: says no from the header to HTTP, TLS and short lengths', () => {
    expect(detectDns(Buffer.from('GET /index.html HTTP/1.1\r\n'), C2S, 'tcp')).toEqual({ verdict: 'no' });
    expect(detectDns(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5e, 0x11, 0x22]), C2S, 'tcp')).toEqual({ verdict: 'no' });
    expect(detectDns(Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5]), C2S, 'tcp')).toEqual({ verdict: 'no' });
  });

  it('says no to NetBIOS name service, DNS-shaped but not DNS; yes to LLMNR, which is', () => {
    // FILESERVER<20> in the first-level encoding: each half-byte a letter A–P, one 32-byte label.
    const encoded = [32, ...Buffer.from('EGEJEMEFFDEFFCFGEFFCCACACACACACA'), 0];
    const nameQuery = dnsMessage({ id: 0x7a01, question: { name: encoded, type: 0x20 } });
    const nodeStatus = dnsMessage({ id: 0x7a02, question: { name: encoded, type: 0x21 } });
    const registration = dnsMessage({ id: 0x7a03, opcode: 5, question: { name: encoded, type: 0x20 } });
    for (const message of [nameQuery, nodeStatus, registration]) expect(detectDns(message, C2S, 'udp')).toEqual({ verdict: 'no' });
    // The same label asking for an A record is a (strange) DNS name.
    expect(detectDns(dnsMessage({ id: 1, question: { name: encoded, type: A } }), C2S, 'udp')).toEqual({ verdict: 'yes' });
    expect(detectDns(dnsMessage({ id: 0x5101, question: { name: 'fileserver', type: A } }), C2S, 'udp')).toEqual({ verdict: 'yes' });
  });

  it('says no to a message with a name past 255 bytes', () => {
    const label = [63, ...Array(63).fill(0x61)];
    expect(detectDns(dnsMessage({ id: 1, question: { name: [...label, ...label, ...label, ...label, 0], type: A } }), C2S, 'udp')).toEqual({ verdict: 'no' });
  });
});
