import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { map } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RoundTripRecord } from '../../src/model/record.js';
import type { ProcessorFactory } from '../../src/pipeline/component.js';
import { parsePipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { CaptureFormatError } from '../../src/sources/index.js';
import { testContext } from '../../src/testing/index.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const capture = join(repoRoot, 'captures', 'http-nginx.pcap');
const dir = mkdtempSync(join(tmpdir(), 'packetd-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function records(file: string): RoundTripRecord[] {
  return readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RoundTripRecord);
}

const quiet = testContext().log;

describe('runPipeline', () => {
  it('decodes the bundled capture into every named pipeline and reports a summary', async () => {
    const config = await parsePipeline(
      `source: { pcap: { path: ${capture} } }
protocols: [{ protocol: http, ports: [8080] }]
pipelines:
  all:
    sinks: [{ use: jsonl, path: all.jsonl }]
  errors:
    processors: [{ use: filter, status: [error] }]
    sinks: [{ use: jsonl, path: errors.jsonl }, { use: text, path: errors.txt }]
`,
      { baseDir: dir },
    );
    const summary = await runPipeline(config, { log: quiet });

    expect(summary.sourceError).toBeUndefined();
    expect(summary.packets).toBeGreaterThan(100);
    expect(summary.roundtrips).toBe(16);
    expect(summary.roundtripsByProtocol).toEqual({ http: { ok: 15, error: 1 } });
    expect(summary.decodeErrors).toBe(0);

    const all = records('all.jsonl');
    expect(all).toHaveLength(16);
    expect(Object.keys(all[0])).toEqual([
      'protocol', 'transport', 'client', 'server', 'start', 'end', 'duration_us', 'status',
      'request', 'response', 'attributes', 'trace', 'conn_id',
    ]);
    expect(all[0]).toMatchObject({
      protocol: 'http',
      transport: 'tcp',
      client: { address: '127.0.0.1' },
      server: { address: '127.0.0.1', port: 8080 },
      status: 'ok',
      attributes: { 'http.request.method': 'GET', 'url.path': '/', 'http.response.status_code': 200, 'server.address': '127.0.0.1' },
    });
    expect(all[0].start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(all[0].duration_us).toBeGreaterThan(0);

    const errors = records('errors.jsonl');
    expect(errors.map((r) => [r.status, r.attributes['url.path'], r.attributes['http.response.status_code']])).toEqual([['error', '/fail', 500]]);
    expect(readFileSync(join(dir, 'errors.txt'), 'utf8')).toMatch(/ http 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:8080 GET \/fail 500 [\d.]+ms \d+B\/\d+B error\n$/);
  });

  it('flushes what was decoded from a truncated capture, then reports the format error', async () => {
    const truncated = join(dir, 'truncated.pcap');
    writeFileSync(truncated, readFileSync(capture).subarray(0, 3000));
    const config = await parsePipeline(`source: { pcap: { path: truncated.pcap } }\npipelines:\n  log:\n    sinks: [{ use: jsonl, path: truncated.jsonl }]\n`, {
      baseDir: dir,
    });
    const summary = await runPipeline(config, { log: quiet });

    expect(summary.sourceError).toBeInstanceOf(CaptureFormatError);
    expect((summary.sourceError as CaptureFormatError).offset).toBeGreaterThan(0);
    // The request cut off by the truncation is still reported, as unanswered.
    expect(records('truncated.jsonl').map((r) => r.status)).toEqual(['ok', 'ok', 'unanswered']);
  });

  it('reads an input stream given in place of the source, through a custom processor', async () => {
    const config = await parsePipeline(
      `source: { pcap: { path: "-" } }
pipelines:
  slow:
    processors: [{ use: ${join(repoRoot, 'examples', 'slow-requests.js')}, threshold_ms: 0.1 }]
    sinks: [{ use: jsonl, path: slow.jsonl }]
`,
      { baseDir: dir },
    );
    const summary = await runPipeline(config, { input: createReadStream(capture), log: quiet });
    expect(summary.roundtrips).toBe(16);
    const slow = records('slow.jsonl').filter((r) => r.attributes['app.slow'] === true);
    expect(slow.length).toBeGreaterThan(0);
    expect(slow.every((r) => r.duration_us >= 100)).toBe(true);
    expect(summary.stats.snapshot()['app_slow_roundtrips_total']).toBe(slow.length);
  });

  it('stops only the pipeline whose processor fails', async () => {
    const config = await parsePipeline(
      `source: { pcap: { path: ${capture} } }
pipelines:
  broken:
    sinks: [{ use: "null" }]
  fine:
    sinks: [{ use: jsonl, path: fine.jsonl }]
`,
      { baseDir: dir },
    );
    const failing: ProcessorFactory = () =>
      map(() => {
        throw new Error('boom');
      });
    config.pipelines[0].processors.push({ use: 'failing', options: {}, create: failing, takes: 'roundtrip', gives: 'roundtrip' });
    const context = testContext();
    const summary = await runPipeline(config, { log: context.log });
    expect(summary.pipelineErrors.map((e) => [e.pipeline, e.error.message])).toEqual([['broken', 'boom']]);
    expect(context.logged).toEqual(['error: pipeline broken: boom']);
    expect(records('fine.jsonl')).toHaveLength(16);
  });
});
