/**
 * DNS on public captures: deepflow's DNS test captures read as tshark reads them and as
 * deepflow's own `.result` files say (where packetd and deepflow differ, tshark shows which is
 * right, or the difference is a documented choice); tcpdump's malformed DNS ends in counted
 * errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { corpusPath, corpusRoot, decodeErrors, runChain } from './chain.js';
import {
  byStartThenId, exchangeOfRoundTrip, exchangeOfTshark, keptRecords, tsharkDns, tsharkDnsTransactions,
} from '../protocols/dns/tshark-dns.js';
import { tsharkFields } from '../helpers/tshark.js';

const dnsRules = [{ protocol: 'dns' }];
if (!existsSync(corpusRoot)) console.warn(`dns-corpus: ${corpusRoot} is absent; the tests on its captures are skipped`);
const deepflow = (name: string): string => corpusPath(`deepflow/dns/${name}`);
const DEEPFLOW_CAPTURES = ['a-and-ns', 'dns-tcp-multi', 'dns', 'not-handled-qtype', 'nxdomain'];

/** One transaction in the shape of deepflow's `.result` lines (request and response merged). */
interface DeepflowTransaction {
  request_id: number;
  request_type: string;
  request_resource: string;
  response_code: number | undefined;
  response_status: string;
  response_result: string | undefined;
  rrt: number;
  captured_request_byte: number;
  captured_response_byte: number;
}

/** deepflow's `.result`: a JSON object per message, then ` headers_offset: … is_dns: …`. */
function readDeepflowResult(file: string): DeepflowTransaction[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const messages = lines.map((l) => JSON.parse(l.slice(0, l.lastIndexOf('} headers_offset') + 1)) as Record<string, unknown>);
  const requestBytes = new Map(messages.filter((m) => m['msg_type'] === 'Request').map((m) => [m['request_id'], m['captured_request_byte']]));
  return messages
    .filter((m) => m['msg_type'] === 'Response')
    .map((m) => ({
      request_id: m['request_id'] as number,
      request_type: m['request_type'] as string,
      request_resource: m['request_resource'] as string,
      response_code: m['response_code'] as number | undefined,
      response_status: m['response_status'] as string,
      response_result: m['response_result'] as string | undefined,
      rrt: m['rrt'] as number,
      captured_request_byte: requestBytes.get(m['request_id']) as number,
      captured_response_byte: m['captured_response_byte'] as number,
    }));
}

const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

/**
 * packetd's roundtrip in deepflow's shape. deepflow writes a record as `TYPE=data TTL=n`, of the
 * answer then authority sections, SOA by its primary server alone.
 */
function asDeepflow(rt: RoundTrip): DeepflowTransaction {
  const { answers, authorities } = keptRecords(rt);
  const records = [...answers, ...authorities];
  const result = records.map((r) => `${r.type}=${r.type === 'SOA' ? r.data!.split(' ')[0] : r.data} TTL=${r.ttl}`).join('; ');
  return {
    request_id: rt.request!['id'] as number,
    request_type: rt.attributes['dns.question.type'] as string,
    request_resource: rt.attributes['dns.question.name'] as string,
    response_code: RCODES[rt.attributes['dns.response_code'] as string],
    response_status: rt.status,
    response_result: result === '' ? undefined : result,
    rrt: rt.durationUs,
    captured_request_byte: rt.request!.size,
    captured_response_byte: rt.response!.size,
  };
}

/** deepflow's status words for packetd's: its `client_error` is an answered query whose code was not NOERROR. */
function statusWord(transaction: DeepflowTransaction): DeepflowTransaction {
  return { ...transaction, response_status: transaction.response_status === 'error' ? 'server_error' : 'ok' };
}

describe.each(DEEPFLOW_CAPTURES)('deepflow %s.pcap', (name) => {
  const file = deepflow(`${name}.pcap`);

  it.runIf(existsSync(file))('yields the transactions tshark reads, field by field', async () => {
    const expected = tsharkDnsTransactions(file).map(exchangeOfTshark).sort(byStartThenId);
    expect(expected.length).toBeGreaterThan(0);
    const { roundtrips, stats } = await runChain(file, dnsRules);
    expect(roundtrips.map(exchangeOfRoundTrip).sort(byStartThenId)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });

  it.runIf(existsSync(file))("agrees with deepflow's .result, except where tshark or a documented choice says otherwise", async () => {
    const theirs = readDeepflowResult(deepflow(`${name}.result`));
    const { roundtrips } = await runChain(file, dnsRules);
    const ours = roundtrips.map(asDeepflow).map(statusWord);
    expect(ours).toEqual(theirs.map((t) => ({ ...t, ...DIFFERENCES[name]?.(t) })));
  });
});

/**
 * Where packetd's reading differs from deepflow's, by capture: a patch to deepflow's transaction,
 * each checked against tshark in the test below.
 */
const DIFFERENCES: Record<string, (t: DeepflowTransaction) => Partial<DeepflowTransaction>> = {
  // One segment carries both queries: deepflow charges each the whole segment (140 bytes), while
  // each message is 70 (tshark: dns.length 68, plus the 2-byte TCP length prefix).
  'dns-tcp-multi': () => ({ captured_request_byte: 70 }),
  // NXDOMAIN is ok by choice (src/protocols/dns/index.ts); deepflow says client_error for two
  // of the three and ok for the third (a cluster-local name). All three carry RCODE 3 (tshark).
  'dns': (t) => (t.response_code === 3 ? { response_status: 'ok' } : {}),
  'nxdomain': (t) => (t.response_code === 3 ? { response_status: 'ok' } : {}),
  // deepflow does not read SRV data; tshark reads priority 0, weight 100, port 9000 and the target.
  'not-handled-qtype': () => ({ response_result: 'SRV=0 100 9000 deepflow-byconity-server.deepflow.svc.cluster.local TTL=5' }),
};

describe('deepflow captures: the differences, as tshark reads them', () => {
  const fields = (name: string, names: string[], filter = 'dns') => tsharkFields(deepflow(`${name}.pcap`), names, { filter });

  it.runIf(existsSync(deepflow('dns-tcp-multi.pcap')))('dns-tcp-multi: two 68-byte messages in one 140-byte segment', () => {
    expect(fields('dns-tcp-multi', ['tcp.len', 'dns.length'], 'dns.flags.response==0')).toEqual([[['140'], ['68', '68']]]);
  });

  it.runIf(existsSync(deepflow('nxdomain.pcap')))('dns and nxdomain: RCODE 3 (No such name) on every response deepflow calls client_error or ok', () => {
    expect(fields('nxdomain', ['dns.flags.rcode'], 'dns.flags.response==1').flat(2)).toEqual(['3', '0', '3']);
    expect(fields('dns', ['dns.flags.rcode'], 'dns.flags.response==1').flat(2)).toEqual(['3', '0']);
  });

  it.runIf(existsSync(deepflow('not-handled-qtype.pcap')))('not-handled-qtype: the SRV answer', () => {
    expect(
      fields('not-handled-qtype', ['dns.srv.priority', 'dns.srv.weight', 'dns.srv.port', 'dns.srv.target', 'dns.resp.ttl'], 'dns.flags.response==1')[0]!.map(
        (cell) => cell[0],
      ),
    ).toEqual(['0', '100', '9000', 'deepflow-byconity-server.deepflow.svc.cluster.local', '5']);
  });
});

/** Other corpus captures holding DNS over UDP: exchanges, and queries seen without their responses. */
const OTHER_DNS_CAPTURES = [
  'deepflow/udp_continuous_packet.pcap', 'deepflow/udp_normal.pcap', 'gopacket/pcap/test_dns.pcap',
  'tcpdump/LINKTYPE_RAW_ipv4.pcap', 'tcpdump/LINKTYPE_RAW_ipv6.pcap',
];

describe.each(OTHER_DNS_CAPTURES)('%s', (name) => {
  const file = corpusPath(name);

  it.runIf(existsSync(file))('yields the transactions tshark reads', async () => {
    const { roundtrips, stats } = await runChain(file, dnsRules, true);
    expect(roundtrips.map(exchangeOfRoundTrip).sort(byStartThenId)).toEqual(tsharkDnsTransactions(file).map(exchangeOfTshark).sort(byStartThenId));
    expect(roundtrips.length).toBeGreaterThan(0);
    expect(decodeErrors(stats)).toEqual({});
  });
});

describe('malformed DNS (tcpdump captures)', () => {
  const badlabel = corpusPath('tcpdump/dns-badlabel.pcap');
  const uri = corpusPath('tcpdump/dns-uri.pcap');

  it.runIf(existsSync(badlabel))('dns-badlabel: a fuzzed 63 KB datagram is a counted error, not a roundtrip', async () => {
    // Opcode 15, 64259 questions. The first name runs past 255 bytes, which alone would be kept
    // (cut and flagged); a later question's name has a bad label type, and a message whose
    // questions cannot be read is dropped. tcpdump reads the same (its .out: "<DOMAIN NAME TOO
    // LONG>", then "<BAD LABEL TYPE>"); tshark stops at the first name ("<Name too long>",
    // [Malformed Packet]).
    const out = readFileSync(corpusPath('tcpdump/dns-badlabel.out'), 'latin1');
    expect(out.indexOf('<DOMAIN NAME TOO LONG>')).toBeLessThan(out.indexOf('<BAD LABEL TYPE>'));
    expect(tsharkFields(badlabel, ['_ws.malformed'], { filter: '_ws.malformed' })).toHaveLength(1);
    const { roundtrips, stats } = await runChain(badlabel, dnsRules);
    expect(roundtrips).toEqual([]);
    expect(decodeErrors(stats)).toEqual({ '{"protocol":"dns","reason":"bad_label_type"}': 1 });
  });

  it.runIf(existsSync(uri))('dns-uri: URI records and an NXDOMAIN with its SOA read as tshark reads them', async () => {
    const expected = tsharkDnsTransactions(uri).map(exchangeOfTshark).sort(byStartThenId);
    const { roundtrips, stats } = await runChain(uri, dnsRules);
    expect(roundtrips.map(exchangeOfRoundTrip).sort(byStartThenId)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
    expect(keptRecords(roundtrips[0]!).answers[0]!.data).toBe('10 5 "http://www.dns.test:8000"');
    expect(tsharkDns(uri).filter((m) => m.response).map((m) => m.rcode)).toEqual([0, 3]);
  });
});
