/**
 * memcached on real captures: the bundled ones (scripts/record-memcached.sh: text and binary
 * protocol against memcached 1.6) against tshark, and deepflow's memcached captures against
 * its `.result` files.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { tsharkMemcache } from '../protocols/memcached/tshark-memcache.js';
import { capturePath, corpusPath, decodeErrors, runChain } from './chain.js';
import { tsharkRuns } from '../helpers/tshark.js';

const PORT = 11212;

const rules = (ports: number[]) => [{ protocol: 'memcached', ports, options: { include_arguments: true } }];
const text = (rt: RoundTrip): string => String(rt.attributes['db.query.text']);
const operation = (rt: RoundTrip): string => String(rt.attributes['db.operation.name']);
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Whether `sub` appears in `list` in order (not necessarily adjacent). */
function isSubsequence(sub: string[], list: string[]): boolean {
  let at = 0;
  for (const item of list) if (at < sub.length && item === sub[at]) at++;
  return at === sub.length;
}

describe.runIf(tsharkRuns())('memcached captures against tshark', () => {
  it('text protocol: every command, noreply, hits and misses, bytes as on the wire', async () => {
    const file = capturePath('memcached-text.pcap');
    const { roundtrips, stats } = await runChain(file, rules([PORT]));
    const tshark = tsharkMemcache(file, PORT);
    expect(decodeErrors(stats)).toEqual({});
    // tshark misses some commands (touch, gat, replies of incr/decr): what it reads, packetd reads too.
    expect(tshark.textCommands.length).toBeGreaterThan(25);
    expect(isSubsequence(tshark.textCommands, roundtrips.map(operation))).toBe(true);
    expect(sum(roundtrips.map((rt) => rt.request?.size ?? 0))).toBe(tshark.clientBytes);
    expect(sum(roundtrips.map((rt) => rt.response?.size ?? 0))).toBe(tshark.serverBytes);

    const find = (query: string) => roundtrips.filter((rt) => text(rt) === query);
    expect(find('get user:1 user:2 user:3 user:4')[0]!.attributes).toMatchObject({ 'memcached.hits': 2, 'memcached.misses': 2 });
    expect(find('get nothing')[0]!.attributes).toMatchObject({ 'memcached.hits': 0, 'memcached.misses': 1 });
    expect(find('gat 300 user:1 nothing')[0]!.attributes).toMatchObject({ 'memcached.hits': 1, 'memcached.misses': 1 });
    expect(find('get a b c')[0]!.attributes).toMatchObject({ 'memcached.hits': 2, 'memcached.misses': 1 });
    expect(find('cas user:2 0 0 3 1')[0]!.attributes['db.response.status_code']).toBe('EXISTS');
    expect(find('delete user:2').map((rt) => rt.attributes['db.response.status_code'])).toEqual(['DELETED', 'NOT_FOUND']);
    // Statements that get no reply by design are answered roundtrips without a response.
    const noReply = roundtrips.filter((rt) => rt.response === undefined);
    expect(noReply.map(text)).toEqual(['set quiet 0 0 2 noreply', 'delete quiet noreply', 'flush_all noreply', 'quit']);
    expect(noReply.every((rt) => rt.status === 'ok')).toBe(true);
    expect(roundtrips.filter((rt) => rt.status === 'error').map((rt) => [text(rt), rt.attributes['error.type']])).toEqual([
      ['incr user:1 1', 'CLIENT_ERROR'],
      ['bogus command', 'ERROR'],
    ]);
    // The 8 KB value crossed 9 segments each way.
    expect(find('set big 0 0 8192')[0]!.request?.size).toBe(8192 + 18 + 2);
    expect(find('get big')[0]!.response!.size).toBe(18 + 8192 + 2 + 5);
  });

  it('binary protocol: every packet as tshark reads it; quiet commands unanswered by design are not unanswered', async () => {
    const file = capturePath('memcached-binary.pcap');
    const { roundtrips, stats } = await runChain(file, rules([PORT]));
    const tshark = tsharkMemcache(file, PORT);
    expect(decodeErrors(stats)).toEqual({});
    expect(roundtrips).toHaveLength(tshark.binary.filter((p) => p.fromClient).length);
    expect(sum(roundtrips.map((rt) => rt.request?.size ?? 0))).toBe(tshark.clientBytes);
    expect(sum(roundtrips.map((rt) => rt.response?.size ?? 0))).toBe(tshark.serverBytes);

    // Replies tshark saw, by opaque (a STAT reply is many packets: the last one, with no key, ends it).
    const replies = new Map(tshark.binary.filter((p) => !p.fromClient).map((p) => [p.opaque, p]));
    const requests = tshark.binary.filter((p) => p.fromClient);
    requests.forEach((request, i) => {
      const rt = roundtrips[i]!;
      const reply = replies.get(request.opaque);
      expect(rt.response === undefined).toBe(reply === undefined);
      const status = rt.attributes['db.response.status_code'];
      expect(status === undefined ? 0 : Number(status)).toBe(reply?.status ?? 0);
      expect(rt.status).not.toBe('unanswered');
    });
    const byText = (query: string) => roundtrips.find((rt) => text(rt) === query)!;
    expect(byText('getkq nope')).toMatchObject({ response: undefined, status: 'ok', attributes: { 'memcached.misses': 1 } });
    expect(byText('getq nada')).toMatchObject({ response: undefined, status: 'ok', attributes: { 'memcached.misses': 1 } });
    expect(byText('getq k1').attributes).toMatchObject({ 'memcached.hits': 1 });
    expect(byText('get missing').attributes).toMatchObject({ 'memcached.misses': 1, 'db.response.status_code': '1' });
    expect(byText('incr k1')).toMatchObject({ status: 'error', attributes: { 'error.type': '6' } });
    expect(byText('stats').response!.size).toBeGreaterThan(3000);
  });
});

interface DeepflowMessage {
  request: string;
  size: number;
}

/** deepflow's `.result`: requests (text and size) and responses (first line and size), in order. */
function deepflowResult(file: string): { requests: DeepflowMessage[]; responses: DeepflowMessage[] } {
  const requests: DeepflowMessage[] = [];
  const responses: DeepflowMessage[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /msg_type: (\w+) request: (.*?) req_size: (\d+) result: (.*?) err_msg: .* res_size: (\d+)/.exec(line);
    if (!m) continue;
    if (m[1] === 'Request') requests.push({ request: m[2]!.trim(), size: Number(m[3]) });
    else responses.push({ request: m[4]!.trim(), size: Number(m[5]) });
  }
  return { requests, responses };
}

describe('memcached: deepflow captures agree with deepflow', () => {
  it('memcached-userdata: 10,154 gets and sets, sizes and values as deepflow reads them', async () => {
    const { roundtrips, stats } = await runChain(corpusPath('deepflow/memcached/memcached-userdata.pcap'), rules([11211]));
    const expected = deepflowResult(corpusPath('deepflow/memcached/memcached-userdata.result'));
    expect(decodeErrors(stats)).toEqual({});
    expect(roundtrips.map((rt) => ({ request: text(rt), size: rt.request?.size }))).toEqual(expected.requests);
    // deepflow's result is the reply's first line: `VALUE <key> <flags> <bytes>` for hits, `END` for misses.
    const answered = roundtrips.filter((rt) => rt.response !== undefined);
    expect(answered.map((rt) => rt.response!.size)).toEqual(expected.responses.map((r) => r.size));
    expect(answered.map((rt) => (rt.attributes['memcached.hits'] === 1 ? 'hit' : rt.attributes['db.response.status_code'] ?? 'miss'))).toEqual(
      expected.responses.map((r) => (r.request.startsWith('VALUE ') ? 'hit' : r.request === 'END' ? 'miss' : r.request)),
    );
    // The last get was cut by the end of the capture: deepflow has no reply for it either.
    expect(roundtrips.at(-1)!.status).toBe('unanswered');
  });

  it('memcached: where deepflow fails, tshark shows the data block and quit', async () => {
    const file = corpusPath('deepflow/memcached/memcached.pcap');
    const { roundtrips, stats } = await runChain(file, rules([11211]));
    expect(decodeErrors(stats)).toEqual({});
    expect(roundtrips.map((rt) => [text(rt), rt.request?.size, rt.response?.size, rt.status])).toEqual([
      ['set foo 0 0 3', 20, 8, 'ok'],
      ['get foo', 9, 25, 'ok'],
      ['quit', 6, undefined, 'ok'],
    ]);
    // deepflow reads the set line alone (req_size 15) and fails on its data block `bar` (sent in
    // a later segment) and on `quit`. tshark reassembles the set over both segments: 20 bytes,
    // value "bar"; and reads quit as a command of its own.
    const expected = deepflowResult(corpusPath('deepflow/memcached/memcached.result'));
    expect(expected.requests).toEqual([{ request: 'set foo 0 0 3', size: 15 }, { request: 'get foo', size: 9 }]);
    if (tsharkRuns()) {
      const out = execFileSync('tshark', ['-r', file, '-n', '-Y', 'memcache', '-T', 'fields', '-e', 'memcache.command', '-e', 'memcache.value', '-e', 'tcp.reassembled.length'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const rows = out.trim().split('\n').map((row) => row.split('\t'));
      expect(rows[0]).toEqual(['set', 'bar', '20']);
      expect(rows.map((row) => row[0])).toContain('quit');
    }
  });
});
