/**
 * `npm run bench -- CAPTURE [--json] [--rules http:18080,redis:16379] [--no-detect] [--cases a,b] [--runs N]`
 *
 * Prints packets/s, roundtrips/s and peak RSS for each case in cases.ts, each measured in a
 * fresh child process (this script with `--case NAME`), so one case's heap does not inflate
 * another's peak RSS. Each case runs `--runs` times (default 3): the table shows the median
 * run and the range, since a shared machine varies by ±10% from run to run.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ProtocolRule } from '../protocols/types.js';
import { CASES, type BenchSettings, type CaseResult } from './cases.js';
import { formatTable, type MeasuredCase } from './table.js';

const USAGE = 'usage: npm run bench -- CAPTURE [--json] [--rules http:18080,...] [--no-detect] [--cases name,...] [--runs N]';

/** "http:18080,redis:16379" → rules; a protocol without ports uses its default ports. */
function parseRules(text: string): ProtocolRule[] {
  return text.split(',').map((item) => {
    const [protocol, ...ports] = item.split(':');
    return ports.length === 0 ? { protocol } : { protocol, ports: ports.map(Number) };
  });
}

async function runChild(caseName: string, settings: BenchSettings): Promise<void> {
  const benchCase = CASES.find((c) => c.name === caseName);
  if (!benchCase) throw new Error(`unknown case ${caseName}`);
  const result = await benchCase.run(settings);
  const peakRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify({ ...result, peakRssKiB }) + '\n');
}

/** One run of a case in a fresh process, with that process's peak RSS. */
function runOnce(caseName: string, argv: string[]): CaseResult & { peakRssMiB: number } {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...argv, '--case', caseName], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`case ${caseName} failed (exit ${child.status ?? child.signal})`);
  const { peakRssKiB, ...result } = JSON.parse(child.stdout) as CaseResult & { peakRssKiB: number };
  return { ...result, peakRssMiB: peakRssKiB / 1024 };
}

const packetsPerSecond = (result: CaseResult): number => result.packets / result.seconds;

/** The median of `runs` fresh-process runs, with the range of packets/s and the largest peak RSS. */
function measure(caseName: string, argv: string[], runs: number): MeasuredCase {
  const all = Array.from({ length: runs }, () => runOnce(caseName, argv)).sort((a, b) => a.seconds - b.seconds);
  const median = all[Math.floor((runs - 1) / 2)]!;
  return {
    case: caseName,
    description: CASES.find((c) => c.name === caseName)!.description,
    ...median,
    packetsPerSecond: packetsPerSecond(median),
    roundtripsPerSecond: median.roundtrips / median.seconds,
    peakRssMiB: Math.max(...all.map((r) => r.peakRssMiB)),
    runs,
    packetsPerSecondRange: [packetsPerSecond(all[runs - 1]!), packetsPerSecond(all[0]!)],
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      rules: { type: 'string', default: 'http:18080' },
      'no-detect': { type: 'boolean', default: false },
      cases: { type: 'string', default: CASES.map((c) => c.name).join(',') },
      case: { type: 'string' },
      runs: { type: 'string', default: '3' },
    },
  });
  const runs = Number(values.runs);
  if (positionals.length !== 1 || !Number.isInteger(runs) || runs < 1) throw new Error(USAGE);
  const capture = resolve(positionals[0]);
  const settings: BenchSettings = { capture, rules: parseRules(values.rules), detect: !values['no-detect'] };
  if (values.case !== undefined) return runChild(values.case, settings);

  const childArgv = [capture, '--rules', values.rules, ...(values['no-detect'] ? ['--no-detect'] : [])];
  const results: MeasuredCase[] = [];
  for (const name of values.cases.split(',')) {
    results.push(measure(name, childArgv, runs));
    if (!values.json) process.stderr.write(`  ${name} done\n`);
  }
  const report = { capture, captureBytes: statSync(capture).size, node: process.version, rules: values.rules, results };
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatTable(report) + '\n');
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
