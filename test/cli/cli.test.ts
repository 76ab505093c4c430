import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const bin = join(repoRoot, 'bin', 'packetd.js');
const capture = join(repoRoot, 'captures', 'http-nginx.pcap');
const dir = mkdtempSync(join(tmpdir(), 'packetd-cli-'));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/packetd.js ...args` with `stdin` piped in; resolves when it exits. */
function packetd(args: string[], stdin?: Buffer): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function expectOneLineError(result: Result, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

beforeAll(() => {
  // `npm test` builds first; a bare `vitest run` of this file builds if dist/ is missing.
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('packetd CLI', () => {
  it('--help and --version', async () => {
    const help = await packetd(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: packetd <command>/);
    for (const command of ['run', 'validate', 'config', 'log']) expect(help.stdout).toContain(`  ${command} `);
    const version = await packetd(['--version']);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(version).toEqual({ code: 0, stdout: `packetd ${pkg.version}\n`, stderr: '' });
  });

  it('exits 2 on bad usage, with one line and a hint', async () => {
    expectOneLineError(await packetd([]), 2, /^Usage:/);
    expectOneLineError(await packetd(['frob']), 2, /^error: unknown command "frob"\nTry 'packetd --help'\.\n$/);
    expectOneLineError(await packetd(['log']), 2, /^error: log needs --pcap FILE/);
    expectOneLineError(await packetd(['log', '--pcap', capture, '--format', 'xml']), 2, /^error: --format must be text or jsonl, not "xml"/);
    expectOneLineError(await packetd(['log', '--pcap', capture, '--proto', 'gopher']), 2, /^error: --proto gopher: unknown protocol "gopher"/);
    expectOneLineError(await packetd(['log', '--pcap', capture, '--proto', 'http:99999']), 2, /^error: --proto http:99999: expected NAME/);
    expectOneLineError(await packetd(['validate', '--pcap', 'x']), 2, /^error: validate: unknown option --pcap/);
    expectOneLineError(await packetd(['run']), 2, /^error: run takes one pipeline file/);
    expectOneLineError(await packetd(['log', '--bogus']), 2, /^error: Unknown option '--bogus'/);
  });

  it('config prints a reference pipeline that validates', async () => {
    const config = await packetd(['config']);
    expect(config.code).toBe(0);
    expect(config.stdout).toContain('# packetd pipeline reference');
    writeFileSync(join(dir, 'reference.yaml'), config.stdout);
    expect(await packetd(['validate', 'reference.yaml'])).toEqual({ code: 0, stdout: 'reference.yaml: ok (pipelines: log)\n', stderr: '' });
  });

  it('validate names the YAML path and line of every problem, exit 2', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      `source:
  pcap: { path: x.pcap }
pipelines:
  log:
    processors:
      - use: fliter
    sinks:
      - use: jsonl
        path: 5
`,
    );
    const result = await packetd(['validate', 'bad.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^bad\.yaml:6: pipelines\.log\.processors\[0\]\.use: unknown processor "fliter" \(built-in: filter(, \w+)*; custom processors load from a path like \.\/my-processor\.js\)\nbad\.yaml:9: pipelines\.log\.sinks\[0\]\.path: expected string, received number\n$/,
    );
    expect((await packetd(['run', 'bad.yaml'])).code).toBe(2);
  });

  it('a missing pipeline or capture file is one line, exit 1', async () => {
    expectOneLineError(await packetd(['run', 'missing.yaml']), 1, /^error: missing\.yaml: no such file\n$/);
    expectOneLineError(await packetd(['log', '--pcap', 'missing.pcap']), 1, /^error: cannot open capture missing\.pcap: no such file\n$/);
  });

  it('log prints one text line per roundtrip and a summary on stderr', async () => {
    const result = await packetd(['log', '--pcap', capture]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(16);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z http 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:8080 GET \/ 200 [\d.]+ms \d+B\/\d+B ok$/);
    expect(result.stderr).toMatch(/^packetd: \d+ packets, 16 roundtrips \(http: 15 ok, 1 error\), 0 decode errors\n$/);
    expect((await packetd(['log', '--pcap', capture, '--quiet'])).stderr).toBe('');
  });

  it('log --pcap - reads a capture stream on stdin, --format jsonl writes records', async () => {
    const result = await packetd(['log', '--pcap', '-', '--proto', 'http:8080', '--format', 'jsonl', '-q'], readFileSync(capture));
    expect(result.code).toBe(0);
    const records = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { protocol: string; status: string });
    expect(records).toHaveLength(16);
    expect(records.filter((r) => r.status === 'error')).toHaveLength(1);
  });

  it('a truncated capture: decoded roundtrips first, then the byte offset, exit 1', async () => {
    writeFileSync(join(dir, 'cut.pcap'), readFileSync(capture).subarray(0, 3000));
    const result = await packetd(['log', '--pcap', 'cut.pcap']);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n').map((line) => line.split(' ').at(-1))).toEqual(['ok', 'ok', 'unanswered']);
    expect(result.stderr).toMatch(/\nerror: cut\.pcap: .* at byte \d+\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('run executes a pipeline file; a closed stdout (| head) ends quietly', async () => {
    writeFileSync(
      join(dir, 'p.yaml'),
      `source: { pcap: { path: ${JSON.stringify(capture)} } }\npipelines:\n  log:\n    sinks: [{ use: jsonl }]\n`,
    );
    const full = await packetd(['run', 'p.yaml']);
    expect(full.code).toBe(0);
    expect(full.stdout.trimEnd().split('\n')).toHaveLength(16);

    const head = await new Promise<Result>((done) => {
      const child = spawn('sh', ['-c', `"${process.execPath}" "${bin}" run p.yaml | head -c 10`], { cwd: dir });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
    expect(head.stdout).toBe('{"protocol');
    expect(head.stderr).not.toMatch(/EPIPE|^error/m);
  });
});
