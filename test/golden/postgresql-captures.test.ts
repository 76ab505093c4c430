/**
 * PostgreSQL golden tests on the bundled captures (pgbench and psql against a real server, see
 * captures/README.md, scripts/record-postgresql.sh and scripts/record-postgresql-pipeline.sh): every roundtrip packetd reports is one
 * that tshark's reading of the same bytes yields under the documented grouping (one per Query,
 * one per Execute with its Parse/Bind/Describe, pipelines before one Sync split per Execute),
 * with the same messages, statement, sizes, times, command tag, SQLSTATE and row count.
 */
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { expectedRoundTrips, observedRoundTrip, type ExpectedRoundTrip } from '../protocols/postgresql/tshark-pgsql.js';
import { capturePath, decodeErrors, runChain } from './chain.js';

const PORT = 15432;
const PIPELINE_PORT = 18507;

const byConnectionThenStart = (x: ExpectedRoundTrip, y: ExpectedRoundTrip): number => x.clientPort - y.clientPort || x.start - y.start;

/** Roundtrips each capture holds by construction (scripts/record-postgresql.sh). */
const CAPTURES = [
  // 2 clients x 5 transactions x 7 statements, plus pgbench's own startup queries and Terminates.
  { file: 'postgresql-pgbench-simple.pcap', minimum: 70, port: PORT },
  { file: 'postgresql-pgbench-extended.pcap', minimum: 70, port: PORT },
  { file: 'postgresql-misc.pcap', minimum: 30, port: PORT },
  // 5 + 5 + 5 + 2 pipelined Executes, 3 prepares and 6 Executes of -M prepared, 10 Terminates.
  { file: 'postgresql-pipeline.pcap', minimum: 36, port: PIPELINE_PORT },
];

describe.each(CAPTURES)('$file', ({ file, minimum, port }) => {
  const path = capturePath(file);

  it('yields the roundtrips tshark reads, field by field', async () => {
    const expected = expectedRoundTrips(path, port).sort(byConnectionThenStart);
    expect(expected.length).toBeGreaterThanOrEqual(minimum);
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'postgresql', ports: [port], options: { include_literals: true } }]);
    expect(roundtrips.map((rt) => observedRoundTrip(rt)).sort(byConnectionThenStart)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });

  it('is found by content on its non-standard port, with the same roundtrips', async () => {
    const byPort = await runChain(path, [{ protocol: 'postgresql', ports: [port] }]);
    const detected = await runChain(path, [{ protocol: 'postgresql' }], true);
    expect(detected.roundtrips).toEqual(byPort.roundtrips);
  });

  it('replaces literals by default and never emits a password', async () => {
    const { roundtrips } = await runChain(path, [{ protocol: 'postgresql', ports: [port] }]);
    const text = JSON.stringify(roundtrips);
    expect(text).not.toContain('bench-secret');
    for (const rt of roundtrips) {
      const query = rt.attributes['db.query.text'];
      if (typeof query === 'string') expect(query).not.toMatch(/'[^']*'|(?<![$\w])\d+/);
      expect(rt.attributes['db.system.name']).toBe('postgresql');
      expect(rt.status).not.toBe('unanswered');
    }
  });
});

describe('postgresql-misc.pcap', () => {
  const path = capturePath('postgresql-misc.pcap');
  const chain = () => runChain(path, [{ protocol: 'postgresql', ports: [PORT] }]);
  const find = (roundtrips: RoundTrip[], query: string): RoundTrip[] => roundtrips.filter((rt) => rt.attributes['db.query.text'] === query);

  it('reports errors with their SQLSTATE and message', async () => {
    const { roundtrips } = await chain();
    const [duplicate] = find(roundtrips, 'INSERT INTO items VALUES (?, ?);');
    expect(duplicate!.status).toBe('error');
    expect(duplicate!.attributes).toMatchObject({ 'db.response.status_code': '23505', 'error.type': '23505', 'db.operation.name': 'INSERT', 'db.namespace': 'bench' });
    expect(duplicate!.response).toMatchObject({ severity: 'ERROR', message: 'duplicate key value violates unique constraint "items_pkey"' });
    expect(find(roundtrips, 'SELECT ?/?;').map((rt) => rt.attributes['error.type'])).toEqual(['22012', '22012']);
  });

  it('splits a pipeline per Execute and marks what the server skipped after an error', async () => {
    const { roundtrips } = await chain();
    const pipeline = roundtrips.filter((rt) => rt.client.port === find(roundtrips, 'SELECT ?/?;')[1]!.client.port && rt.attributes['db.operation.name'] === 'SELECT');
    expect(pipeline.map((rt) => [rt.attributes['db.query.text'], rt.status, rt.attributes['error.type'] ?? null])).toEqual([
      ['SELECT ?;', 'ok', null],
      ['SELECT ?/?;', 'error', '22012'],
      ['SELECT ?;', 'error', 'skipped'],
    ]);
  });

  it('counts COPY rows, passes over the SSLRequest refusal and reports the cancel request', async () => {
    const { roundtrips } = await chain();
    expect(find(roundtrips, 'COPY items FROM STDIN;')[0]!.response).toMatchObject({ command_tag: 'COPY 2', rows: 2 });
    expect(find(roundtrips, 'COPY items TO STDOUT;')[0]!.response).toMatchObject({ command_tag: 'COPY 4', rows: 4 });
    const cancel = roundtrips.filter((rt) => rt.attributes['db.operation.name'] === 'CANCEL');
    expect(cancel.map((rt) => [rt.status, rt.request?.size, rt.response])).toEqual([['ok', 16, undefined]]);
    expect(find(roundtrips, 'SELECT pg_sleep(?)')[0]!.attributes['error.type']).toBe('57014');
  });
});

describe('postgresql-pipeline.pcap', () => {
  const path = capturePath('postgresql-pipeline.pcap');

  it('pairs every pipelined Execute with its own result, and reports the ones the server skipped', async () => {
    // pgbench writes each pipeline's Parse/Bind/Describe/Execute messages and one Sync in a
    // single segment; after an ErrorResponse the server sends nothing more up to the Sync's
    // ReadyForQuery, so the Executes after the failing one get no result of their own.
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'postgresql', ports: [PIPELINE_PORT] }]);
    const batches = new Map<number, unknown[][]>();
    for (const rt of roundtrips) {
      if (rt.attributes['db.operation.name'] === 'TERMINATE') continue;
      const rows = batches.get(rt.client.port) ?? [];
      rows.push([rt.request?.['messages'], rt.attributes['db.query.text'], rt.status, rt.attributes['error.type'] ?? rt.response?.['command_tag'] ?? null]);
      batches.set(rt.client.port, rows);
    }
    expect([...batches.values()]).toEqual([
      [
        ['P/B/D/E', 'SELECT id, name FROM items WHERE id <= ?;', 'ok', 'SELECT 3'],
        ['P/B/D/E', "UPDATE items SET name = name || ? WHERE id = ?;", 'ok', 'UPDATE 1'],
        ['P/B/D/E', 'INSERT INTO items VALUES (?, ?);', 'ok', 'INSERT 0 1'],
        ['P/B/D/E', 'SELECT count(*) FROM items;', 'ok', 'SELECT 1'],
        ['P/B/D/E/S', 'DELETE FROM items WHERE id = ?;', 'ok', 'DELETE 1'],
      ],
      [
        ['P/B/D/E', 'SELECT ?;', 'ok', 'SELECT 1'],
        ['P/B/D/E', 'SELECT ?/?;', 'error', '22012'],
        ['P/B/D/E', 'SELECT ?;', 'error', 'skipped'],
        ['P/B/D/E', 'UPDATE items SET name = ? WHERE id = ?;', 'error', 'skipped'],
        ['P/B/D/E/S', 'SELECT ?;', 'error', 'skipped'],
      ],
      [
        ['P/B/D/E', 'SELECT name FROM items WHERE id = ?;', 'ok', 'SELECT 1'],
        ['P/B/D/E', 'SELECT ?;', 'ok', 'SELECT 1'],
        ['P/B/D/E', 'SELECT * FROM no_such_table;', 'error', '42P01'],
        ['P/B/D/E', 'SELECT ?;', 'error', 'skipped'],
        ['P/B/D/E/S', 'SELECT ?;', 'error', 'skipped'],
      ],
      [
        ['P/B/D/E', 'SELECT ?;', 'ok', 'SELECT 1'],
        ['P/B/D/E/S', 'INSERT INTO items VALUES (?, ?);', 'error', '23505'],
      ],
      [
        ['P/S', 'SELECT name FROM items WHERE id = $1;', 'ok', null],
        ['P/S', 'UPDATE items SET name = name WHERE id = $1;', 'ok', null],
        ['B/D/E', 'SELECT name FROM items WHERE id = $1;', 'ok', 'SELECT 1'],
        ['B/D/E/S', 'UPDATE items SET name = name WHERE id = $1;', 'ok', 'UPDATE 1'],
        ['P/S', 'SELECT count(*) FROM items WHERE id > $1;', 'ok', null],
        ['B/D/E/S', 'SELECT count(*) FROM items WHERE id > $1;', 'ok', 'SELECT 1'],
        ['B/D/E', 'SELECT name FROM items WHERE id = $1;', 'ok', 'SELECT 1'],
        ['B/D/E/S', 'UPDATE items SET name = name WHERE id = $1;', 'ok', 'UPDATE 1'],
        ['B/D/E/S', 'SELECT count(*) FROM items WHERE id > $1;', 'ok', 'SELECT 1'],
      ],
    ]);
    // Skipped Executes ran nothing: no response; the one holding the Sync is answered by its ReadyForQuery.
    const skipped = roundtrips.filter((rt) => rt.attributes['error.type'] === 'skipped');
    expect(skipped.map((rt) => rt.response?.size ?? null)).toEqual([null, null, 6, null, 6]);
    expect(decodeErrors(stats)).toEqual({});
  });
});
