/**
 * tshark's reading of DNS in a capture, and the shape a DNS transaction has for both tshark and
 * packetd, so golden tests compare them field by field.
 */
import type { RoundTrip } from '../../../src/model/roundtrip.js';
import { responseCodeName, typeName } from '../../../src/protocols/dns/codes.js';
import { epochToMicros, tsharkFields } from '../../helpers/tshark.js';

/** A resource record of the answer or authority section, as both readers can show it. */
export interface RecordView {
  type: string;
  ttl: number;
}

export interface TsharkDnsMessage {
  frame: number;
  ts: number;
  transport: 'udp' | 'tcp';
  src: string;
  dst: string;
  id: number;
  response: boolean;
  name: string | undefined;
  qtype: number | undefined;
  rcode: number | undefined;
  truncated: boolean;
  answerCount: number;
  /** Bytes on the wire: the UDP payload, or the TCP length prefix and message. */
  size: number;
  /** Responses: the frame of the query tshark paired it with, and the time since that frame. */
  responseTo: number | undefined;
  timeUs: number | undefined;
  /**
   * Answer then authority records and the A/AAAA addresses in them; only for a frame holding
   * this one message (tshark's lists cannot be split between messages).
   */
  records: RecordView[] | undefined;
  /** Every A and AAAA address in the message, additional section included. */
  a: string[] | undefined;
  aaaa: string[] | undefined;
  /** The protocol tshark decoded the message as: "dns", "mdns" or "llmnr". */
  protocol: string;
}

export interface TsharkDnsOptions {
  /** Display filter (default `dns`; tshark's `dns` does not match mDNS or LLMNR). */
  filter?: string;
  /** Decode-as rules for DNS on other ports (`udp.port==18453,dns`). */
  decodeAs?: string[];
}

const FIELDS = [
  'frame.number', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'udp.srcport', 'udp.dstport',
  'tcp.srcport', 'tcp.dstport', 'udp.length', 'dns.length', 'dns.id', 'dns.flags.response', 'dns.qry.name',
  'dns.qry.type', 'dns.flags.rcode', 'dns.flags.truncated', 'dns.count.answers', 'dns.count.auth_rr',
  'dns.response_to', 'dns.time', 'dns.resp.type', 'dns.resp.ttl', 'dns.a', 'dns.aaaa', 'frame.protocols',
];

const TYPE_OPT = 41;

/** Every DNS message tshark decodes (on port 53, where tshark looks for DNS, unless told otherwise). */
export function tsharkDns(file: string, options: TsharkDnsOptions = {}): TsharkDnsMessage[] {
  const rows = tsharkFields(file, FIELDS, { filter: options.filter ?? 'dns', decodeAs: options.decodeAs });
  const messages: TsharkDnsMessage[] = [];
  for (const row of rows) {
    const [[frame], [time], ip4src, ip6src, ip4dst, ip6dst, udpSrc, udpDst, tcpSrc, tcpDst, [udpLength], dnsLengths] = row;
    const [ids, responses, names, qtypes, rcodes, truncated, answers, authorities, responseTo, times, types, ttls, a, aaaa, [protocols]] = row.slice(12);
    const protocol = protocols!.split(':').pop()!;
    const transport = udpSrc.length > 0 ? 'udp' : 'tcp';
    const src = `${ip4src[0] ?? ip6src[0]} ${(transport === 'udp' ? udpSrc : tcpSrc)[0]}`;
    const dst = `${ip4dst[0] ?? ip6dst[0]} ${(transport === 'udp' ? udpDst : tcpDst)[0]}`;
    const alone = ids.length === 1;
    let responseIndex = 0;
    ids.forEach((id, i) => {
      const response = responses[i] === '1' || responses[i] === 'True';
      const r = response ? responseIndex++ : -1;
      const sectionCount = Number(answers[i]) + Number(authorities[i]);
      // OPT has no TTL, and comes after the answer and authority records: the first entries are theirs.
      const recordTypes = (types ?? []).map(Number).filter((t) => t !== TYPE_OPT).slice(0, sectionCount);
      messages.push({
        frame: Number(frame),
        ts: epochToMicros(time),
        transport,
        src,
        dst,
        id: Number(id),
        response,
        name: names[i],
        qtype: qtypes[i] === undefined ? undefined : Number(qtypes[i]),
        rcode: response ? Number(rcodes[r]) : undefined,
        truncated: truncated[i] === '1' || truncated[i] === 'True',
        answerCount: Number(answers[i]),
        size: transport === 'udp' ? Number(udpLength) - 8 : Number(dnsLengths[i]) + 2,
        responseTo: response && responseTo[r] !== undefined ? Number(responseTo[r]) : undefined,
        timeUs: response && times[r] !== undefined ? Math.round(Number(times[r]) * 1_000_000) : undefined,
        records: alone ? recordTypes.map((type, k) => ({ type: typeName(type), ttl: Number(ttls[k]) })) : undefined,
        a: alone ? a : undefined,
        aaaa: alone ? aaaa : undefined,
        protocol,
      });
    });
  }
  return messages;
}

/** A query and the response tshark paired with it (by `dns.response_to` and the id). */
export interface TsharkDnsTransaction {
  query: TsharkDnsMessage;
  response: TsharkDnsMessage | undefined;
}

export function tsharkDnsTransactions(file: string, options: TsharkDnsOptions = {}): TsharkDnsTransaction[] {
  const messages = tsharkDns(file, options);
  const byQuery = new Map<string, TsharkDnsMessage>();
  for (const m of messages) if (m.response && m.responseTo !== undefined) byQuery.set(`${m.responseTo} ${m.id}`, m);
  return messages.filter((m) => !m.response).map((query) => ({ query, response: byQuery.get(`${query.frame} ${query.id}`) }));
}

/** What a DNS transaction looks like to both readers. Times in µs since the epoch. */
export interface DnsExchange {
  transport: string;
  client: string;
  server: string;
  id: number;
  name: string | undefined;
  type: string | undefined;
  responseCode: string | undefined;
  answerCount: number | undefined;
  truncated: boolean | undefined;
  start: number;
  end: number;
  durationUs: number;
  requestSize: number;
  responseSize: number | undefined;
}

export function exchangeOfTshark({ query, response }: TsharkDnsTransaction): DnsExchange {
  const end = response?.ts ?? query.ts;
  return {
    transport: query.transport,
    client: query.src,
    server: query.dst,
    id: query.id,
    name: query.name,
    type: query.qtype === undefined ? undefined : typeName(query.qtype),
    responseCode: response?.rcode === undefined ? undefined : responseCodeName(response.rcode),
    answerCount: response?.answerCount,
    truncated: response?.truncated,
    start: query.ts,
    end,
    durationUs: response?.timeUs ?? 0,
    requestSize: query.size,
    responseSize: response?.size,
  };
}

/** A roundtrip's transaction; the id comes from the response when the query was not seen. */
export function exchangeOfRoundTrip(rt: RoundTrip): DnsExchange {
  const a = rt.attributes;
  return {
    transport: rt.transport,
    client: `${rt.client.address} ${rt.client.port}`,
    server: `${rt.server.address} ${rt.server.port}`,
    id: (rt.request ?? rt.response)!['id'] as number,
    name: a['dns.question.name'] as string | undefined,
    type: a['dns.question.type'] as string | undefined,
    responseCode: a['dns.response_code'] as string | undefined,
    answerCount: a['dns.answer.count'] as number | undefined,
    truncated: a['dns.flags.truncated'] as boolean | undefined,
    start: rt.start,
    end: rt.end,
    durationUs: rt.durationUs,
    requestSize: rt.request?.size ?? 0,
    responseSize: rt.response?.size,
  };
}

export function byStartThenId(a: DnsExchange, b: DnsExchange): number {
  return a.start - b.start || a.id - b.id;
}

/** A record as packetd's response details hold it. */
export interface KeptRecord {
  name: string;
  type: string;
  ttl: number;
  data?: string;
}

/** The answer and authority records of a roundtrip's response details. */
export function keptRecords(rt: RoundTrip): { answers: KeptRecord[]; authorities: KeptRecord[] } {
  return {
    answers: (rt.response?.['answers'] as KeptRecord[] | undefined) ?? [],
    authorities: (rt.response?.['authorities'] as KeptRecord[] | undefined) ?? [],
  };
}

/** The answer and authority records packetd kept, in tshark's shape. */
export function recordsOf(rt: RoundTrip): { records: RecordView[]; a: string[]; aaaa: string[] } {
  const { answers, authorities } = keptRecords(rt);
  const all = [...answers, ...authorities];
  return {
    records: all.map(({ type, ttl }) => ({ type, ttl })),
    a: all.filter((r) => r.type === 'A').map((r) => r.data!),
    aaaa: all.filter((r) => r.type === 'AAAA').map((r) => r.data!),
  };
}
