/**
 * MySQL/MariaDB golden tests on the bundled captures (mysqlslap, pymysql, Perl DBD::MariaDB and
 * the mariadb client against a real MariaDB, see captures/README.md, scripts/record-mysql.sh and
 * scripts/record-mysql-dbd.sh): every roundtrip
 * packetd reports is a command tshark reads, with the same statement, sizes, times, error code,
 * SQL state, affected rows and row count.
 */
import { describe, expect, it } from 'vitest';
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { COMMAND_NAMES } from '../../src/protocols/mysql/wire.js';
import { expectedCommands, type ExpectedCommand } from '../protocols/mysql/tshark-mysql.js';
import { epochToMicros, tsharkFields } from '../helpers/tshark.js';
import { capturePath, decodeErrors, runChain } from './chain.js';

const PORT = 13306;
const DBD_PORT = 18506;
const COMMAND_CODES = new Map([...COMMAND_NAMES].map(([code, name]) => [`COM_${name}`, code]));

function observed(rt: RoundTrip): ExpectedCommand {
  const a = rt.attributes;
  const details: Record<string, unknown> = rt.response ?? {};
  return {
    clientPort: rt.client.port,
    command: COMMAND_CODES.get(String(rt.request!['command']))!,
    query: a['db.query.text'] as string | undefined,
    requestSize: rt.request!.size,
    start: rt.start,
    responseSize: rt.response?.size,
    end: rt.response === undefined ? undefined : rt.end,
    errorCode: a['db.response.status_code'] as string | undefined,
    sqlState: details['sql_state'] as string | undefined,
    affectedRows: details['affected_rows'] as number | undefined,
    rows: a['db.response.returned_rows'] as number | undefined,
  };
}

const byConnectionThenStart = (x: ExpectedCommand, y: ExpectedCommand): number => x.clientPort - y.clientPort || x.start - y.start;

const CAPTURES = [
  { file: 'mysql-mysqlslap.pcap', minimum: 25, port: PORT },
  { file: 'mysql-pymysql.pcap', minimum: 20, port: PORT },
  { file: 'mysql-dbd-prepare.pcap', minimum: 31, port: DBD_PORT },
];

describe.each(CAPTURES)('$file', ({ file, minimum, port }) => {
  const path = capturePath(file);

  it('yields the commands tshark reads, field by field', async () => {
    const expected = expectedCommands(path, port).sort(byConnectionThenStart);
    expect(expected.length).toBeGreaterThanOrEqual(minimum);
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'mysql', ports: [port], options: { include_literals: true } }]);
    expect(roundtrips.map(observed).sort(byConnectionThenStart)).toEqual(expected);
    expect(decodeErrors(stats)).toEqual({});
  });

  it('is found by content on its non-standard port, with the same roundtrips', async () => {
    const byPort = await runChain(path, [{ protocol: 'mysql', ports: [port] }]);
    const detected = await runChain(path, [], true);
    expect(detected.roundtrips).toEqual(byPort.roundtrips);
    for (const rt of byPort.roundtrips) {
      expect(rt.attributes['db.system.name']).toBe('mariadb');
      expect(rt.status).not.toBe('unanswered');
    }
    expect(JSON.stringify(byPort.roundtrips)).not.toContain('bench-secret');
  });
});

describe('mysql-pymysql.pcap', () => {
  const path = capturePath('mysql-pymysql.pcap');

  it('names prepared statements by id, follows COM_INIT_DB, reports errors', async () => {
    const { roundtrips } = await runChain(path, [{ protocol: 'mysql', ports: [PORT] }]);
    const summary = roundtrips.map((rt) => [rt.request?.['command'], rt.attributes['db.operation.name'], rt.attributes['db.namespace'], rt.status, rt.attributes['error.type'] ?? null]);
    expect(summary).toContainEqual(['COM_QUERY', 'INSERT', 'shop', 'error', '1062']);
    expect(summary).toContainEqual(['COM_INIT_DB', 'INIT_DB', 'mysql', 'ok', null]);
    expect(summary).toContainEqual(['COM_PING', 'PING', 'mysql', 'ok', null]);
    const statements = roundtrips.filter((rt) => String(rt.request?.['command']).startsWith('COM_STMT'));
    expect(statements.map((rt) => [rt.request?.['command'], rt.attributes['db.query.text'], rt.status, rt.attributes['db.response.returned_rows'] ?? null])).toEqual([
      ['COM_STMT_PREPARE', 'SELECT id, name, price FROM items WHERE id >= ?', 'ok', null],
      ['COM_STMT_PREPARE', 'UPDATE items SET price = price + ? WHERE id = ?', 'ok', null],
      ['COM_STMT_EXECUTE', 'SELECT id, name, price FROM items WHERE id >= ?', 'ok', 2],
      ['COM_STMT_EXECUTE', 'UPDATE items SET price = price + ? WHERE id = ?', 'ok', null],
      ['COM_STMT_EXECUTE', 'SELECT id, name, price FROM items WHERE id >= ?', 'ok', 3],
      ['COM_STMT_CLOSE', 'SELECT id, name, price FROM items WHERE id >= ?', 'ok', null],
      ['COM_STMT_CLOSE', 'UPDATE items SET price = price + ? WHERE id = ?', 'ok', null],
      ['COM_STMT_PREPARE', 'SELECT ? + ?', 'ok', null],
      ['COM_STMT_EXECUTE', 'SELECT ? + ?', 'error', null],
    ]);
    const quit = roundtrips.filter((rt) => rt.request?.['command'] === 'COM_QUIT');
    expect(quit.map((rt) => [rt.status, rt.response])).toEqual([['ok', undefined]]);
  });
});

describe('mysql-dbd-prepare.pcap', () => {
  const path = capturePath('mysql-dbd-prepare.pcap');

  it('pairs server-side prepares, cached-metadata executes and statement closes in order', async () => {
    // DBD::MariaDB (mariadb_server_prepare=1) negotiates MariaDB's cached metadata: the
    // EXECUTE of `SELECT id, name, price …` is answered by a column count packet `03 00`
    // (3 columns, metadata_follows 0: no definitions), an EOF, two rows and an EOF (frame 46;
    // tshark reads `mysql.metadata_follows: 0`). Read as 3 definitions, every later response
    // would answer the command before it.
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'mysql', ports: [DBD_PORT] }]);
    const statements = roundtrips.filter((rt) => String(rt.request?.['command']).startsWith('COM_STMT'));
    expect(statements.map((rt) => [rt.request?.['command'], rt.attributes['db.query.text'], rt.status, rt.attributes['error.type'] ?? rt.attributes['db.response.returned_rows'] ?? null])).toEqual([
      ...[1, 2, 3].flatMap((i) => [
        ['COM_STMT_PREPARE', 'INSERT INTO items VALUES (?, ?, ?)', 'ok', null],
        ...(i > 1 ? [['COM_STMT_CLOSE', 'INSERT INTO items VALUES (?, ?, ?)', 'ok', null]] : []),
        ['COM_STMT_EXECUTE', 'INSERT INTO items VALUES (?, ?, ?)', 'ok', null],
      ]),
      ['COM_STMT_PREPARE', 'INSERT INTO items VALUES (?, ?, ?)', 'ok', null],
      ['COM_STMT_CLOSE', 'INSERT INTO items VALUES (?, ?, ?)', 'ok', null],
      ['COM_STMT_EXECUTE', 'INSERT INTO items VALUES (?, ?, ?)', 'error', '1062'],
      ['COM_STMT_RESET', 'INSERT INTO items VALUES (?, ?, ?)', 'ok', null],
      ['COM_STMT_PREPARE', 'SELECT id, name, price FROM items WHERE id >= ?', 'ok', null],
      ['COM_STMT_CLOSE', 'INSERT INTO items VALUES (?, ?, ?)', 'ok', null],
      ['COM_STMT_EXECUTE', 'SELECT id, name, price FROM items WHERE id >= ?', 'ok', 2],
      ['COM_STMT_PREPARE', 'SELECT * FROM no_such_table WHERE id = ?', 'error', '1146'],
      ['COM_STMT_CLOSE', 'SELECT id, name, price FROM items WHERE id >= ?', 'ok', null],
      ['COM_STMT_PREPARE', 'UPDATE items SET price = price + ? WHERE id = ?', 'ok', null],
      ['COM_STMT_EXECUTE', 'UPDATE items SET price = price + ? WHERE id = ?', 'ok', null],
      ['COM_STMT_PREPARE', 'SELECT COUNT(*) FROM items', 'ok', null],
      ['COM_STMT_CLOSE', 'UPDATE items SET price = price + ? WHERE id = ?', 'ok', null],
      ['COM_STMT_EXECUTE', 'SELECT COUNT(*) FROM items', 'ok', 1],
      ['COM_STMT_CLOSE', 'SELECT COUNT(*) FROM items', 'ok', null],
      ['COM_STMT_PREPARE', 'DELETE FROM items WHERE id > ?', 'ok', null],
      ['COM_STMT_EXECUTE', 'DELETE FROM items WHERE id > ?', 'ok', null],
      ['COM_STMT_CLOSE', 'DELETE FROM items WHERE id > ?', 'ok', null],
    ]);
    expect(roundtrips.filter((rt) => rt.status === 'unanswered')).toEqual([]);
    expect(decodeErrors(stats)).toEqual({});
  });
});

describe('mysql-compressed.pcap', () => {
  const path = capturePath('mysql-compressed.pcap');

  it('inflates the compressed protocol where tshark reads only the frame headers', async () => {
    // tshark decodes stored (uncompressed) frames, but reads a deflated frame's bytes as a
    // packet (a 6528120-byte "packet" in frame 10) and only the first packet of a frame holding
    // several: its commands are the reference, its responses only by their frame headers. The
    // response bytes packetd counts are the inflated ones: each frame's uncompressed length, or
    // its length when stored.
    const commands = expectedCommands(path, PORT);
    const serverFrames = tsharkFields(path, ['frame.time_epoch', 'mysql.compressed_packet_length', 'mysql.compressed_packet_length_uncompressed'], {
      filter: `tcp.srcport==${PORT} && mysql.compressed_packet_length`,
      decodeAs: [`tcp.port==${PORT},mysql`],
    }).map(([[time], [stored], [inflated]]) => ({ ts: epochToMicros(time), size: Number(inflated) || Number(stored) }));
    const expected = commands.map((c, i) => {
      const next = commands[i + 1]?.start ?? Infinity;
      const frames = serverFrames.filter((f) => f.ts > c.start && f.ts < next);
      return { query: c.query, requestSize: c.requestSize, start: c.start, errorCode: c.errorCode, sqlState: c.sqlState, responseSize: frames.length === 0 ? undefined : frames.reduce((sum, f) => sum + f.size, 0) };
    });
    const { roundtrips, stats } = await runChain(path, [{ protocol: 'mysql', ports: [PORT], options: { include_literals: true } }]);
    expect(roundtrips.map((rt) => {
      const { query, requestSize, start, errorCode, sqlState, responseSize } = observed(rt);
      return { query, requestSize, start, errorCode, sqlState, responseSize };
    })).toEqual(expected);
    expect(roundtrips.map((rt) => rt.attributes['db.response.returned_rows'] ?? null)).toEqual([1, 1, null, null]);
    expect(decodeErrors(stats)).toEqual({});
    const frames = stats.allCounters().find((c) => c.name === 'packetd_mysql_compressed_frames_total');
    expect(frames?.value).toBeGreaterThan(0);
  });
});
