import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonlOptions, jsonlSink } from '../../src/sinks/jsonl.js';
import { roundtrip, testContext } from '../../src/testing/index.js';

let dir: string;
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'packetd-jsonl-'));
  return dir;
}

function lines(file: string): unknown[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('jsonl sink', () => {
  it('writes one record per line to a file relative to the pipeline directory', async () => {
    const context = testContext({ baseDir: freshDir() });
    const sink = jsonlSink(jsonlOptions.parse({ path: 'out.jsonl' }), context);
    sink.write(roundtrip({ connId: 1 }));
    sink.write(roundtrip({ connId: 2, status: 'unanswered', response: undefined }));
    await sink.flush();
    expect(lines(join(dir, 'out.jsonl'))).toHaveLength(2);
    await sink.shutdown();
    const records = lines(join(dir, 'out.jsonl')) as { conn_id: number; response: unknown }[];
    expect(records.map((r) => r.conn_id)).toEqual([1, 2]);
    expect(records[1].response).toBeNull();
  });

  it('rotates by size: the file never exceeds max_bytes, the newest rotated file is .1', async () => {
    const context = testContext({ baseDir: freshDir() });
    const options = jsonlOptions.parse({ path: 'rt.jsonl', max_bytes: '2KiB', max_files: 2 });
    const sink = jsonlSink(options, context);
    for (let i = 0; i < 40; i++) sink.write(roundtrip({ connId: i }));
    await sink.shutdown();

    expect(readdirSync(dir).sort()).toEqual(['rt.jsonl', 'rt.jsonl.1', 'rt.jsonl.2']);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(2048);
    const ids = (name: string) => (lines(join(dir, name)) as { conn_id: number }[]).map((r) => r.conn_id);
    const kept = [...ids('rt.jsonl.2'), ...ids('rt.jsonl.1'), ...ids('rt.jsonl')];
    // Older files were dropped; what is kept is the newest records, in order.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 40 - kept.length + k));
  });

  it('holds the flow gate while the stream buffer is full and releases it on drain', async () => {
    const context = testContext({ baseDir: freshDir() });
    const sink = jsonlSink(jsonlOptions.parse({ path: 'big.jsonl' }), context);
    const big = roundtrip({ attributes: { 'http.request.header.x': 'x'.repeat(1000) } });
    for (let i = 0; i < 2000; i++) sink.write({ ...big, connId: i });
    expect(context.gate.held).toBe(true);
    await context.gate.ready();
    expect(context.gate.held).toBe(false);
    await sink.shutdown();
    expect(lines(join(dir, 'big.jsonl'))).toHaveLength(2000);
  });

  it('appends to an existing file', async () => {
    const context = testContext({ baseDir: freshDir() });
    for (let run = 0; run < 2; run++) {
      const sink = jsonlSink(jsonlOptions.parse({ path: 'a.jsonl' }), context);
      sink.write(roundtrip());
      await sink.shutdown();
    }
    expect(lines(join(dir, 'a.jsonl'))).toHaveLength(2);
  });

  it('rejects unknown options and bad sizes', () => {
    expect(jsonlOptions.safeParse({ path: 'x', max_byte: 10 }).success).toBe(false);
    expect(jsonlOptions.safeParse({ max_bytes: 'lots' }).success).toBe(false);
    expect(jsonlOptions.parse({})).toEqual({ path: '-', max_files: 5 });
  });
});
