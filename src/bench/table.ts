import type { CaseResult } from './cases.js';

/** A case's result with its rates and the child process's peak RSS. */
export interface MeasuredCase extends CaseResult {
  case: string;
  description: string;
  packetsPerSecond: number;
  roundtripsPerSecond: number;
  /** Peak RSS, the largest over the runs. */
  peakRssMiB: number;
  /** Fresh-process runs of the case; the other fields are the median run's. */
  runs: number;
  /** Slowest and fastest run. */
  packetsPerSecondRange: [number, number];
}

export interface BenchReport {
  capture: string;
  captureBytes: number;
  node: string;
  rules: string;
  results: MeasuredCase[];
}

const integer = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The report as an aligned text table, one row per case. */
export function formatTable(report: BenchReport): string {
  const header = ['case', 'runs', 'packets', 'seconds', 'packets/s', 'packets/s range', 'roundtrips', 'roundtrips/s', 'peak RSS MiB'];
  const rows = report.results.map((r) => [
    r.case,
    String(r.runs),
    integer(r.packets),
    r.seconds.toFixed(2),
    integer(r.packetsPerSecond),
    r.packetsPerSecondRange.map(integer).join(' – '),
    integer(r.roundtrips),
    integer(r.roundtripsPerSecond),
    r.peakRssMiB.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const lines = [
    `capture ${report.capture} (${(report.captureBytes / 1e6).toFixed(1)} MB), node ${report.node}, rules ${report.rules}`,
    'each row is the median of its fresh-process runs; the range is the slowest and fastest run',
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
  ];
  for (const r of report.results) {
    const protocols = Object.entries(r.roundtripsByProtocol).map(([p, n]) => `${p} ${integer(n)}`);
    let extra = r.outputBytes === undefined ? '' : `; wrote ${(r.outputBytes / 1e6).toFixed(1)} MB`;
    if (r.delivered !== undefined) extra += `; delivered ${integer(r.delivered)} of ${integer(r.roundtrips)}`;
    lines.push(`${r.case}: ${r.description}${protocols.length > 0 ? `; roundtrips by protocol: ${protocols.join(', ')}` : ''}${extra}`);
  }
  return lines.join('\n');
}
