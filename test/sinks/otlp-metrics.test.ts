import { createServer, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parsePipeline, runPipeline } from '../../src/index.js';
import { capturePath } from '../golden/chain.js';

interface JsonPoint {
  attributes: { key: string; value: Record<string, unknown> }[];
  asDouble?: number;
  asInt?: number | string;
  count?: number | string;
}
interface JsonMetric {
  name: string;
  sum?: { dataPoints: JsonPoint[]; isMonotonic: boolean; aggregationTemporality: number };
  histogram?: { dataPoints: JsonPoint[] };
  exponentialHistogram?: { dataPoints: JsonPoint[] };
}
interface JsonRequest {
  resourceMetrics: { resource: { attributes: { key: string }[] }; scopeMetrics: { scope: { name: string }; metrics: JsonMetric[] }[] }[];
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('otlp sink after toMetrics', () => {
  it('pushes the RED metrics and the self-metrics of a replay to /v1/metrics at the end of input', async () => {
    const requests: { path: string; type: string; json: JsonRequest }[] = [];
    const server = createServer((req, res) => {
      void body(req).then((text) => {
        requests.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', json: JSON.parse(text) as JsonRequest });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const config = await parsePipeline(`
source: { pcap: { path: ${JSON.stringify(capturePath('http-nginx.pcap'))} } }
protocols: [{ protocol: http, ports: [8080] }]
pipelines:
  metrics:
    processors: [{ use: toMetrics, histograms: exponential }]
    sinks: [{ use: otlp, endpoint: "http://127.0.0.1:${port}", encoding: json, interval: 1h }]
`);
      const summary = await runPipeline(config);
      expect(summary.pipelineErrors).toEqual([]);
      expect(requests).toHaveLength(1);
      expect(requests[0].path).toBe('/v1/metrics');
      expect(requests[0].type).toBe('application/json');
      const metrics = requests[0].json.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
      const byName = new Map(metrics.map((m) => [m.name, m]));
      const total = (points: JsonPoint[]): number => points.reduce((sum, p) => sum + Number(p.asDouble ?? p.asInt ?? p.count), 0);
      expect(total(byName.get('packetd.requests')!.sum!.dataPoints)).toBe(16);
      expect(total(byName.get('packetd.request.errors')!.sum!.dataPoints)).toBe(1);
      expect(total(byName.get('http.server.request.duration')!.exponentialHistogram!.dataPoints)).toBe(16);
      expect(total(byName.get('packetd_packets_read_total')!.sum!.dataPoints)).toBe(summary.packets);
      expect(requests[0].json.resourceMetrics[0].resource.attributes.map((a) => a.key)).toContain('service.name');
    } finally {
      server.close();
    }
  });
});
