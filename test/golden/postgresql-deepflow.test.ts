/**
 * deepflow's PostgreSQL captures (../shared/corpus/deepflow/postgre: port 5432, and 8000 for
 * pgsql-all, found by content): each decodes into the roundtrips tshark's reading yields, and
 * the statements agree with deepflow's `pgsql-all.result`, except where tshark shows deepflow
 * missed a Parse.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { expectedRoundTrips, observedRoundTrip } from '../protocols/postgresql/tshark-pgsql.js';
import { corpusPath, decodeErrors, runChain } from './chain.js';

const DIR = corpusPath('deepflow/postgre');
const present = existsSync(DIR);
if (!present) console.log(`postgresql-deepflow: ${DIR} not found, skipped`);

/** tshark shows every non-ASCII byte of a query as U+FFFD: the same for packetd's UTF-8 text. */
const asTsharkShows = (text: string): string => Buffer.from(text, 'utf8').toString('latin1').replace(/[\u0080-\u00ff]/g, '\ufffd');

const CAPTURES = [
  // One Query whose CommandComplete and ReadyForQuery share a segment.
  { file: 'simple_query.pcap', port: 5432 },
  // One Query answered by an ErrorResponse; the capture ends before ReadyForQuery, so the
  // error is reported when the conversation ends.
  { file: 'error.pcap', port: 5432 },
  // Parse/Describe/Sync whose "answer" is BindComplete/CommandComplete: the capture holds a
  // response to a request it does not hold (tshark reads the same); both pair them by order.
  { file: 'prepare_stat.pcap', port: 5432 },
  // A JDBC-style session joined mid-stream: named statements prepared before the capture are
  // executed by Bind/Execute/Sync without text.
  { file: 'pgsql-all.pcap', port: 8000 },
];

describe.skipIf(!present).each(CAPTURES)('deepflow/postgre/$file', ({ file, port }) => {
  const path = `${DIR}/${file}`;

  it('decodes by content into the roundtrips tshark reads', async () => {
    const expected = expectedRoundTrips(path, port);
    expect(expected.length).toBeGreaterThan(0);
    const options = { include_literals: true, max_query_bytes: '1MiB' };
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'postgresql', options }], true);
    expect(roundtrips.map((rt) => observedRoundTrip(rt, asTsharkShows))).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });
});

describe.skipIf(!present)('deepflow/postgre/pgsql-all.pcap against pgsql-all.result', () => {
  it('names the statements deepflow names, and the two Parses tshark shows it missed', async () => {
    const path = `${DIR}/pgsql-all.pcap`;
    const deepflow = readFileSync(`${DIR}/pgsql-all.result`, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"request_resource"'))
      .map((line) => (JSON.parse(line.slice(0, line.lastIndexOf('}') + 1)) as { request_resource: string }).request_resource);
    const options = { include_literals: true, max_query_bytes: '1MiB' };
    const { roundtrips } = await runChain(path, [{ protocol: 'postgresql', options }], true);
    const parsed = roundtrips.filter((rt) => String(rt.request?.['messages']).startsWith('P/')).map((rt) => String(rt.attributes['db.query.text']));
    const tsharkParses = expectedRoundTrips(path, 8000).filter((e) => e.messages.startsWith('P/')).map((e) => e.query);
    expect(parsed.map(asTsharkShows)).toEqual(tsharkParses);
    expect(parsed).toHaveLength(6);
    expect(deepflow).toHaveLength(4);
    // deepflow's four, in order, are among packetd's (and tshark's) six.
    let at = 0;
    for (const text of deepflow) {
      at = parsed.indexOf(text, at) + 1;
      expect(at, text.slice(0, 40)).toBeGreaterThan(0);
    }
  });
});
