import { describe, expect, it } from 'vitest';
import { filter, filterOptions } from '../../src/processors/filter.js';
import { roundtrip, testProcessor } from '../../src/testing/index.js';

const ok = roundtrip({ connId: 1 });
const err = roundtrip({ connId: 2, status: 'error', attributes: { 'http.request.method': 'POST', 'http.response.status_code': 503 } });
const lost = roundtrip({ connId: 3, status: 'unanswered', response: undefined, partial: 'gap' });
const redis = roundtrip({
  connId: 4,
  protocol: 'redis',
  client: { address: '192.168.1.20', port: 40000 },
  server: { address: '192.168.1.30', port: 6379 },
  attributes: { 'db.system.name': 'redis', 'db.operation.name': 'GET' },
});
const v6 = roundtrip({ connId: 5, client: { address: 'fd00::1', port: 50000 }, server: { address: 'fd00::2', port: 8080 } });
const values = { a: ok, b: err, c: lost, d: redis, e: v6 };
const input = '-a-b-c-d-e-|';

function expectFilter(options: unknown, expected: string): void {
  testProcessor(filter, filterOptions.parse(options)).expectMarbles(input, values, expected);
}

describe('filter', () => {
  it('passes everything with no criteria', () => {
    expectFilter({}, '-a-b-c-d-e-|');
  });
  it('keeps by status', () => {
    expectFilter({ status: ['error', 'unanswered'] }, '---b-c-----|');
  });
  it('keeps by what an incomplete roundtrip misses, or only complete ones', () => {
    expectFilter({ partial: ['gap', 'request_missing'] }, '-----c-----|');
    expectFilter({ partial: 'complete' }, '-a-b---d-e-|');
  });
  it('keeps by protocol (a single value works as a list)', () => {
    expectFilter({ protocol: 'redis' }, '-------d---|');
  });
  it('keeps by client or server address, exact or CIDR, IPv4 and IPv6', () => {
    expectFilter({ address: ['192.168.1.0/24'] }, '-------d---|');
    expectFilter({ address: ['10.0.0.1'] }, '-a-b-c-----|');
    expectFilter({ address: ['fd00::/16'] }, '---------e-|');
  });
  it('keeps by client or server port', () => {
    expectFilter({ port: [6379, 8080] }, '-------d-e-|');
    expectFilter({ port: 51234 }, '-a-b-c-----|');
  });
  it('keeps by attribute values, numbers and strings alike', () => {
    expectFilter({ attributes: { 'http.response.status_code': [503] } }, '---b-------|');
    expectFilter({ attributes: { 'http.request.method': ['GET', 'POST'] } }, '-a-b-c---e-|');
    expectFilter({ attributes: { 'http.response.status_code': '200' } }, '-a---c---e-|');
  });
  it('requires every criterion (AND across keys, OR within a list)', () => {
    expectFilter({ protocol: ['http'], status: ['ok'], port: [80] }, '-a---------|');
  });
  it('drops the matches instead with exclude: true', () => {
    expectFilter({ status: ['ok'], exclude: true }, '---b-c-----|');
  });
  it('passes errors through', () => {
    testProcessor(filter, filterOptions.parse({ status: 'ok' })).expectMarbles('-a-b-#', values, '-a---#');
  });
  it('validates its options', () => {
    expect(filterOptions.safeParse({ status: ['fine'] }).success).toBe(false);
    expect(filterOptions.safeParse({ address: ['10.0.0.0/33'] }).success).toBe(false);
    expect(filterOptions.safeParse({ address: ['not-an-ip'] }).success).toBe(false);
    expect(filterOptions.safeParse({ port: [70000] }).success).toBe(false);
    expect(filterOptions.safeParse({ protocols: ['http'] }).success).toBe(false);
  });
});
