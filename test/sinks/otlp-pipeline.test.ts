import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../src/pipeline/load.js';

const head = `source: { pcap: { path: x.pcap } }
pipelines:
  traces:
`;

async function problems(body: string): Promise<string> {
  return parsePipeline(head + body, { file: 'p.yaml', baseDir: '/tmp' }).then(
    () => 'ok',
    (err: Error) => err.message,
  );
}

describe('pipelines that carry spans', () => {
  it('accepts toSpans into otlp and fills in the resource', async () => {
    const config = await parsePipeline(
      `resource: { service.name: edge, deployment.environment.name: prod }\n${head}    processors: [{ use: toSpans }]\n    sinks: [{ use: otlp, endpoint: "http://127.0.0.1:4318" }]\n`,
    );
    expect(config.pipelines[0].sinks[0]).toMatchObject({ use: 'otlp', takes: 'span' });
    expect(config.resource).toMatchObject({ 'service.name': 'edge', 'deployment.environment.name': 'prod' });
    expect(config.resource['host.name']).toEqual(expect.any(String));
  });

  it('reports a chain whose kinds do not fit, at the line of the use', async () => {
    expect(await problems('    processors:\n      - use: toSpans\n    sinks:\n      - use: jsonl\n')).toBe(
      'p.yaml:7: pipelines.traces.sinks[0].use: "jsonl" takes roundtrips, but "toSpans" (processors[0]) gives spans',
    );
    expect(await problems('    sinks:\n      - use: otlp\n')).toBe('p.yaml:5: pipelines.traces.sinks[0].use: "otlp" takes spans, but the pipeline start gives roundtrips');
    expect(await problems('    processors:\n      - use: toSpans\n      - use: filter\n    sinks: [{ use: otlp }]\n')).toBe(
      'p.yaml:6: pipelines.traces.processors[1].use: "filter" takes roundtrips, but "toSpans" (processors[0]) gives spans',
    );
  });

  it('validates otlp options', async () => {
    expect(await problems('    processors: [{ use: toSpans }]\n    sinks:\n      - use: otlp\n        endpoint: ftp://x\n        encoding: xml\n')).toMatch(
      /p\.yaml:7: pipelines\.traces\.sinks\[0\]\.endpoint: expected an http:\/\/ or https:\/\/ URL\np\.yaml:8: pipelines\.traces\.sinks\[0\]\.encoding: /,
    );
    expect(await problems('    processors: [{ use: toSpans }]\n    sinks:\n      - { use: otlp, batch_size: 100, queue_size: 150 }\n')).toBe(
      'p.yaml:6: pipelines.traces.sinks[0].queue_size: queue_size must be at least twice batch_size',
    );
  });
});
