import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { REFERENCE_PIPELINE } from '../../src/cli/reference.js';
import { PipelineConfigError } from '../../src/pipeline/config-error.js';
import { loadPipeline, parsePipeline } from '../../src/pipeline/load.js';
import { roundtrip, testContext } from '../../src/testing/index.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** The error lines a pipeline text produces ("file:line: path: message"). */
async function errorsOf(text: string, baseDir?: string): Promise<string[]> {
  try {
    await parsePipeline(text, { file: 'p.yaml', baseDir });
  } catch (err) {
    if (err instanceof PipelineConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected the pipeline to be invalid');
}

const MINIMAL = `source:
  pcap: { path: capture.pcap }
pipelines:
  log:
    sinks:
      - use: jsonl
`;

describe('pipeline config', () => {
  it('reads a full pipeline: durations to µs, sizes to bytes, paths against the file directory', async () => {
    const config = await parsePipeline(
      `source:
  pcap: { path: captures/x.pcap }
protocols:
  - { protocol: http, ports: [80, 8080], options: { capture_body_bytes: 0 } }
detect: false
reassembly: { max_connections: 1000, max_buffered_bytes_per_connection: 1MiB, tcp_idle_timeout: 2m, udp_idle_timeout: 10, rst_hold: 1s }
match: { request_timeout: 250ms, max_pending_per_connection: 16 }
pipelines:
  errors:
    processors:
      - use: filter
        status: [error, unanswered]
    sinks:
      - { use: jsonl, path: errors.jsonl, max_bytes: 10MB, max_files: 3 }
      - use: text
  all:
    sinks: [{ use: "null" }]
`,
      { file: 'p.yaml', baseDir: '/srv/packetd' },
    );
    expect(config.source.pcap?.path).toBe('/srv/packetd/captures/x.pcap');
    expect(config.protocols).toEqual([{ protocol: 'http', ports: [80, 8080], options: { capture_body_bytes: 0 } }]);
    expect(config.detect).toBe(false);
    expect(config.reassembly).toEqual({
      maxConnections: 1000,
      maxBufferedBytesPerConnection: 1024 * 1024,
      tcpIdleTimeoutUs: 120_000_000,
      udpIdleTimeoutUs: 10_000_000,
      rstHoldUs: 1_000_000,
    });
    expect(config.match).toEqual({ requestTimeoutUs: 250_000, maxPendingPerConversation: 16 });
    expect(config.pipelines.map((p) => p.name)).toEqual(['errors', 'all']);
    const [errors, all] = config.pipelines;
    expect(errors.processors.map((p) => [p.use, p.options])).toEqual([['filter', { status: ['error', 'unanswered'], exclude: false }]]);
    expect(errors.sinks.map((s) => [s.use, s.options])).toEqual([
      ['jsonl', { path: 'errors.jsonl', max_bytes: 10_000_000, max_files: 3 }],
      ['text', { path: '-', max_files: 5 }],
    ]);
    expect(all.sinks[0].use).toBe('null');
  });

  it('fills documented defaults', async () => {
    const config = await parsePipeline(MINIMAL, { baseDir: '/d' });
    expect(config.detect).toBe(true);
    expect(config.reassembly).toEqual({
      maxConnections: 262_144,
      maxBufferedBytesPerConnection: 4 * 1024 * 1024,
      tcpIdleTimeoutUs: 300_000_000,
      udpIdleTimeoutUs: 60_000_000,
      rstHoldUs: 3_000_000,
    });
    expect(config.match).toEqual({ requestTimeoutUs: 30_000_000, maxPendingPerConversation: 1024 });
    expect(config.frames).toEqual({ maxFragmentedDatagrams: 1024, fragmentTimeoutUs: 30_000_000, maxTunnelDepth: 4 });
    expect(config.protocols).toEqual([]);
  });

  it('reads a bare `use: null` (YAML null) as the null sink', async () => {
    const config = await parsePipeline(MINIMAL.replace('use: jsonl', 'use: null'));
    expect(config.pipelines[0].sinks[0].use).toBe('null');
  });

  it('keeps "-" (stdin) as the source path', async () => {
    const config = await parsePipeline(MINIMAL.replace('capture.pcap', '"-"'), { baseDir: '/d' });
    expect(config.source.pcap?.path).toBe('-');
  });

  it('names the YAML path and line of a wrong type', async () => {
    expect(await errorsOf(MINIMAL.replace('- use: jsonl', '- use: jsonl\n        path: 5'))).toEqual([
      'p.yaml:7: pipelines.log.sinks[0].path: expected string, received number',
    ]);
  });

  it('rejects unknown keys (typos), pointing at the key', async () => {
    expect(await errorsOf(MINIMAL + 'reasembly: { max_connections: 5 }\n')).toEqual(['p.yaml:7: reasembly: unknown key']);
    expect(await errorsOf(MINIMAL + 'match:\n  request_timout: 5s\n')).toEqual(['p.yaml:8: match.request_timout: unknown key']);
  });

  it('rejects bad durations and sizes', async () => {
    expect(await errorsOf(MINIMAL + 'match:\n  request_timeout: soon\n')).toEqual([
      'p.yaml:8: match.request_timeout: expected a duration like "30s", "250ms", "5m" or a number of seconds, got "soon"',
    ]);
    expect(await errorsOf(MINIMAL + 'reassembly:\n  max_buffered_bytes_per_connection: lots\n')).toEqual([
      'p.yaml:8: reassembly.max_buffered_bytes_per_connection: expected a size like "4MiB", "512KiB", "10MB" or a number of bytes, got "lots"',
    ]);
  });

  it('rejects unknown components, protocols, and bad component options', async () => {
    const text = `source:
  pcap: { path: c.pcap }
protocols:
  - protocol: gopher
pipelines:
  log:
    processors:
      - use: fliter
      - use: filter
        status: [fine]
    sinks:
      - use: kafka
`;
    expect(await errorsOf(text)).toEqual([
      expect.stringMatching(/^p\.yaml:4: protocols\[0\]\.protocol: unknown protocol "gopher" \(known: .*http.*\)$/),
      expect.stringMatching(/^p\.yaml:8: pipelines\.log\.processors\[0\]\.use: unknown processor "fliter" \(built-in: filter(, \w+)*; custom processors load from a path like \.\/my-processor\.js\)$/),
      expect.stringMatching(/^p\.yaml:10: pipelines\.log\.processors\[1\]\.status\[0\]: expected one of "ok"\|"error"\|"unanswered"$/),
      expect.stringMatching(/^p\.yaml:12: pipelines\.log\.sinks\[0\]\.use: unknown sink "kafka" \(built-in: jsonl, text, null(, \w+)*\)$/),
    ]);
  });

  it('reports protocol options the protocol does not read (typos) at their line', async () => {
    const text = `source: { pcap: { path: x.pcap } }
protocols:
  - protocol: http
    options:
      capture_header: true
  - protocol: postgresql
    options: { include_literals: true }
pipelines:
  log:
    sinks: [{ use: jsonl }]
`;
    expect(await errorsOf(text)).toEqual([
      'p.yaml:5: protocols[0].options.capture_header: unknown http option (known: capture_headers, include_sensitive_headers, capture_body_bytes, max_header_bytes)',
    ]);
  });

  it('reports missing sections and empty pipelines', async () => {
    expect(await errorsOf('pipelines: {}\n')).toEqual([
      'p.yaml:1: source: expected object, received undefined',
      'p.yaml:1: pipelines: define at least one pipeline',
    ]);
    expect(await errorsOf('source: { pcap: { path: x } }\npipelines:\n  log:\n    sinks: []\n')).toEqual([
      'p.yaml:4: pipelines.log.sinks: a pipeline needs at least one sink',
    ]);
  });

  it('reports YAML syntax errors with their line', async () => {
    const [line] = await errorsOf('source:\n  pcap: { path: x\npipelines: {}\n');
    expect(line).toMatch(/^p\.yaml:\d+: /);
  });

  it('accepts the reference pipeline that `packetd config` prints, and the default pipeline.yaml', async () => {
    await expect(parsePipeline(REFERENCE_PIPELINE)).resolves.toBeDefined();
    const config = await loadPipeline(join(repoRoot, 'pipeline.yaml'));
    expect(config.source.pcap?.path).toBe(join(repoRoot, 'captures', 'http-nginx.pcap'));
  });

  it('says when the pipeline file is missing, in one line', async () => {
    await expect(loadPipeline('/nonexistent/p.yaml')).rejects.toThrow(/^\/nonexistent\/p\.yaml: no such file$/);
  });
});

describe('custom processors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'packetd-custom-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'tag.mjs'),
    `import { map } from 'rxjs';
export default (options, context) => map((rt) => ({ ...rt, attributes: { ...rt.attributes, tag: options.tag, dir: context.baseDir } }));
`,
  );
  writeFileSync(join(dir, 'named.mjs'), `export const createProcessor = () => (source) => source;\n`);
  writeFileSync(join(dir, 'nothing.mjs'), `export const answer = 42;\n`);
  const withProcessor = (use: string, extra = '') => `source:
  pcap: { path: c.pcap }
pipelines:
  log:
    processors:
      - use: ${use}${extra}
    sinks: [{ use: jsonl }]
`;

  it('loads a default-export factory from a path relative to the pipeline file, passing its options', async () => {
    const config = await parsePipeline(withProcessor('./tag.mjs', '\n        tag: blue'), { baseDir: dir });
    const [processor] = config.pipelines[0].processors;
    expect(processor.options).toEqual({ tag: 'blue' });
    const operator = processor.create(processor.options, testContext({ baseDir: dir }));
    const [out] = await lastValueFrom(of(roundtrip()).pipe(operator, toArray()));
    expect(out.attributes).toMatchObject({ tag: 'blue', dir });
  });

  it('loads a `createProcessor` export', async () => {
    const config = await parsePipeline(withProcessor('./named.mjs'), { baseDir: dir });
    expect(typeof config.pipelines[0].processors[0].create).toBe('function');
  });

  it('reports a missing module or one without a factory at the `use` line', async () => {
    expect(await errorsOf(withProcessor('./missing.js'), dir)).toEqual([
      `p.yaml:6: pipelines.log.processors[0].use: cannot load ./missing.js: no such file (${join(dir, 'missing.js')})`,
    ]);
    expect(await errorsOf(withProcessor('./nothing.mjs'), dir)).toEqual([
      expect.stringMatching(/^p\.yaml:6: pipelines\.log\.processors\[0\]\.use: \.\/nothing\.mjs exports no processor factory/),
    ]);
  });
});
