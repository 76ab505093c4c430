/**
 * tshark's reading of PostgreSQL traffic, grouped into roundtrips by the rules documented in
 * src/protocols/postgresql/index.ts, written independently of the decoder over tshark's own
 * message boundaries: what packetd reports must be what this finds.
 */
import type { RoundTrip } from '../../../src/model/roundtrip.js';
import { epochToMicros, tsharkFields, tsharkTcpFrames } from '../../helpers/tshark.js';

/** tshark escapes these in field output. */
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\' };
const unescape = (text: string | undefined): string | undefined => text?.replace(/\\([nrt\\])/g, (_, c: string) => ESCAPES[c]!);

/** tshark's message names → type letters (frontend and backend names differ, so one map serves both). */
const LETTERS: Record<string, string> = {
  'Simple query': 'Q', Parse: 'P', Bind: 'B', Describe: 'D', Execute: 'E', Sync: 'S', Flush: 'H', Close: 'C',
  'Copy data': 'd', 'Copy completion': 'c', 'Copy failure': 'f', Termination: 'X', 'Function call': 'F',
  'Command completion': 'C', Error: 'E', 'Ready for query': 'Z', 'Data row': 'D', 'Empty query': 'I',
  'Portal suspended': 's', 'Row description': 'T', 'Cancel request': '',
};
const PASSED_OVER = new Set(['SSL request', 'Startup message', 'SASLInitialResponse message', 'SASLResponse message', 'Password message', 'GSS response']);

interface WireMessage {
  client: boolean;
  letter: string;
  name: string;
  size: number;
  ts: number;
  query?: string;
  /** Parse: the name it gives; Bind: the statement it binds. */
  statement?: string;
  tag?: string;
  code?: string;
}

export interface ExpectedRoundTrip {
  clientPort: number;
  messages: string;
  query: string | undefined;
  requestSize: number;
  start: number;
  responseSize: number | undefined;
  end: number | undefined;
  tag: string | undefined;
  code: string | undefined;
  rows: number;
  skipped: boolean;
}

/** What packetd reports in the shape of ExpectedRoundTrip; `shown` maps the query as tshark prints it. */
export function observedRoundTrip(rt: RoundTrip, shown: (query: string) => string = (query) => query): ExpectedRoundTrip {
  const a = rt.attributes;
  const query = a['db.query.text'] as string | undefined;
  return {
    clientPort: rt.client.port,
    messages: String(rt.request!['messages']),
    query: query === undefined ? undefined : shown(query),
    requestSize: rt.request!.size,
    start: rt.start,
    responseSize: rt.response?.size,
    end: rt.response === undefined ? undefined : rt.end,
    tag: rt.response?.['command_tag'] as string | undefined,
    code: a['db.response.status_code'] as string | undefined,
    rows: Number(a['db.response.returned_rows'] ?? 0),
    skipped: a['error.type'] === 'skipped',
  };
}

interface Unit extends ExpectedRoundTrip {
  untilReady: boolean;
  hasExecute: boolean;
  hasParse: boolean;
  answered: boolean;
  noReply: boolean;
}

function newUnit(clientPort: number, ts: number): Unit {
  return {
    clientPort, messages: '', query: undefined, requestSize: 0, start: ts, responseSize: undefined, end: undefined, tag: undefined,
    code: undefined, rows: 0, skipped: false, untilReady: false, hasExecute: false, hasParse: false, answered: false, noReply: false,
  };
}

function add(unit: Unit, m: WireMessage): void {
  unit.requestSize += m.size;
  if (m.letter !== 'd' && m.letter !== '') unit.messages += (unit.messages ? '/' : '') + m.letter;
  if (m.query !== undefined && unit.query === undefined) unit.query = m.query;
}

/** Every message tshark decodes, per TCP stream, in wire order. */
function messagesByStream(file: string, port: number): Map<number, { clientPort: number; messages: WireMessage[] }> {
  const streams = new Map<number, { clientPort: number; messages: WireMessage[] }>();
  const frames = tsharkTcpFrames(file);
  const rows = tsharkFields(
    file,
    ['tcp.stream', 'frame.time_epoch', 'tcp.srcport', 'tcp.dstport', 'pgsql.type', 'pgsql.length', 'pgsql.frontend', 'pgsql.query', 'pgsql.tag', 'pgsql.code', 'pgsql.statement', 'tcp.segment'],
    { filter: 'pgsql', decodeAs: [`tcp.port==${port},pgsql`] },
  );
  for (const [[stream], [time], [sport], [dport], types, lengths, frontends, queries, tags, codes, statements, segments] of rows) {
    const fromClient = Number(dport) === port;
    const entry = streams.get(Number(stream)) ?? { clientPort: Number(fromClient ? sport : dport), messages: [] };
    streams.set(Number(stream), entry);
    let q = 0, t = 0, c = 0, s = 0;
    // Statement names come from Parse and Bind, and from Describe/Close when they name one:
    // all of those or none of those here, or the names cannot be told apart.
    const named = types.filter((n) => n === 'Parse' || n === 'Bind').length;
    const describing = types.filter((n) => n === 'Describe' || n === 'Close').length;
    const describeNames = statements.length - named;
    if (describeNames !== 0 && describeNames !== describing) throw new Error(`cannot align statement names in a frame of stream ${stream}`);
    // A message reassembled from several segments (the frame's first) starts in the earliest.
    const firstSegment = segments.length > 0 ? frames.get(Math.min(...segments.map(Number)))?.ts : undefined;
    types.forEach((name, i) => {
      const ts = i === 0 && firstSegment !== undefined ? firstSegment : epochToMicros(time);
      const m: WireMessage = { client: frontends[i] === '1', name, letter: LETTERS[name] ?? '?', size: Number(lengths[i]) + 1, ts };
      if (name === 'Simple query' || name === 'Parse') m.query = unescape(queries[q++]);
      if (name === 'Parse' || name === 'Bind') m.statement = statements[s++];
      else if ((name === 'Describe' || name === 'Close') && describeNames > 0) s++;
      if (name === 'Command completion') m.tag = tags[t++];
      if (name === 'Error') m.code = codes[c++];
      if (name === 'Cancel request' || name === 'SSL request' || name === 'Startup message') m.size -= 1; // no type byte
      entry.messages.push(m);
    });
  }
  return streams;
}

/** The roundtrips the capture holds, by the documented grouping, in wire order per connection. */
export function expectedRoundTrips(file: string, port: number): ExpectedRoundTrip[] {
  const all: ExpectedRoundTrip[] = [];
  for (const { clientPort, messages } of messagesByStream(file, port).values()) {
    const units: Unit[] = [];
    const waiting: Unit[] = [];
    let open: Unit | undefined;
    let skipping = false;
    const prepared = new Map<string, string | undefined>();
    const push = (u: Unit): void => {
      units.push(u);
      if (!u.noReply) waiting.push(u);
    };
    const finish = (u: Unit, m: WireMessage): void => {
      u.end = m.ts;
      u.answered = true;
      waiting.shift();
    };
    for (const m of messages) {
      if (PASSED_OVER.has(m.name)) continue;
      if (m.client) {
        if (m.name === 'Cancel request' || m.letter === 'X') {
          const u = newUnit(clientPort, m.ts);
          add(u, m);
          u.noReply = true;
          push(u);
        } else if (m.letter === 'Q' || m.letter === 'F') {
          const u = open ?? newUnit(clientPort, m.ts);
          open = undefined;
          add(u, m);
          u.untilReady = true;
          push(u);
        } else if (m.letter === 'd' || m.letter === 'c' || m.letter === 'f') {
          add(units[units.length - 1]!, m);
        } else if (m.letter === 'S') {
          const last = waiting[waiting.length - 1];
          if (open === undefined && last !== undefined && last.hasExecute && !last.untilReady) {
            add(last, m);
            last.untilReady = true;
          } else {
            const u = open ?? newUnit(clientPort, m.ts);
            open = undefined;
            add(u, m);
            u.untilReady = true;
            push(u);
          }
        } else {
          const u = (open ??= newUnit(clientPort, m.ts));
          add(u, m);
          if (m.letter === 'P') {
            u.hasParse = true;
            prepared.set(m.statement ?? '', m.query);
          }
          if (m.letter === 'B') u.query ??= prepared.get(m.statement ?? '');
          if (m.letter === 'E') {
            u.hasExecute = true;
            open = undefined;
            push(u);
          }
        }
        continue;
      }
      const head = waiting[0];
      if (head === undefined) continue;
      if (skipping && m.letter === 'Z') {
        skipping = false;
        while (waiting.length > 0 && !waiting[0]!.untilReady) {
          const skipped = waiting.shift()!;
          skipped.skipped = true;
          skipped.noReply = true;
        }
        const last = waiting[0];
        if (last !== undefined) {
          last.responseSize = (last.responseSize ?? 0) + m.size;
          last.skipped = (last.hasExecute || last.hasParse) && last.tag === undefined && last.code === undefined;
          finish(last, m);
        }
        continue;
      }
      head.responseSize = (head.responseSize ?? 0) + m.size;
      head.end = m.ts;
      if (m.letter === 'D' && !m.client) head.rows++;
      if (m.tag !== undefined) head.tag = m.tag;
      if (m.code !== undefined) head.code ??= m.code;
      const ends = m.letter === 'Z' || (!head.untilReady && (m.letter === 'C' || m.letter === 'E' || m.letter === 'I' || m.letter === 's'));
      if (ends) {
        finish(head, m);
        if (m.letter === 'E') skipping = true;
      }
    }
    // The capture ended inside a response that already said how the statement went.
    const cut = waiting[0];
    if (cut !== undefined && (cut.tag !== undefined || cut.code !== undefined)) cut.answered = true;
    for (const { untilReady: _r, hasExecute: _e, hasParse: _p, answered, noReply: _n, ...u } of units) {
      all.push(answered ? u : { ...u, end: undefined, responseSize: undefined });
    }
  }
  return all;
}
