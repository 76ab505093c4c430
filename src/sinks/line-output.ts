import { createWriteStream, fstatSync, openSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { FlowGate } from '../pipeline/flow-gate.js';
import type { Logger } from '../pipeline/component.js';
import { sizeOption } from '../pipeline/schema.js';

/** Options shared by the line-oriented sinks (jsonl, text). */
export const lineOutputOptions = {
  /** "-" is stdout; a relative path resolves against the pipeline file's directory. */
  path: z.string().min(1).default('-'),
  /** Rotate the file before it would grow past this size (files only). */
  max_bytes: sizeOption.optional(),
  /** Rotated files kept: path.1 (newest) … path.N. */
  max_files: z.number().int().min(1).default(5),
};

export interface LineOutputOptions {
  path: string;
  max_bytes?: number;
  max_files: number;
}

/** Lines are batched into chunks of about this many characters before hitting the stream. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A line sink's way out: batches lines into large writes, rotates a file by size, and holds
 * the flow gate while the stream's buffer is full so a fast source cannot outrun the disk or a
 * slow pipe reader. Stdout closing under us (EPIPE, e.g. `| head`) silently discards the rest.
 */
export class LineOutput {
  private stream: Writable;
  private readonly toStdout: boolean;
  private readonly filePath: string;
  private pending = '';
  /** Bytes in `pending`, tracked only when rotating (it costs a byteLength per line). */
  private pendingBytes = 0;
  private fileBytes = 0;
  private closed = false;
  private waitingForDrain = false;
  private readonly retired: Promise<void>[] = [];

  constructor(
    private readonly options: LineOutputOptions,
    baseDir: string,
    private readonly gate: FlowGate,
    private readonly log: Logger,
  ) {
    this.toStdout = options.path === '-';
    this.filePath = this.toStdout ? '-' : resolve(baseDir, options.path);
    this.stream = this.toStdout ? process.stdout : this.openFile();
    this.stream.on('error', this.onError);
  }

  writeLine(line: string): void {
    if (this.closed) return;
    if (this.options.max_bytes !== undefined && !this.toStdout) {
      const lineBytes = Buffer.byteLength(line) + 1;
      this.rotateIfFull(lineBytes);
      this.pendingBytes += lineBytes;
    }
    this.pending += line + '\n';
    if (this.pending.length >= CHUNK_CHARS) this.writePending();
  }

  /** Resolves once every line written so far has reached the stream's destination. */
  async flush(): Promise<void> {
    this.writePending();
    if (this.closed) return;
    await new Promise<void>((done) => this.stream.write('', () => done()));
  }

  async close(): Promise<void> {
    await this.flush();
    if (!this.toStdout && !this.closed) {
      this.closed = true;
      this.retired.push(endStream(this.stream));
    }
    await Promise.all(this.retired);
  }

  private writePending(): void {
    if (this.pending === '' || this.closed) return;
    const chunk = this.pending;
    this.pending = '';
    this.fileBytes += this.pendingBytes;
    this.pendingBytes = 0;
    if (!this.stream.write(chunk) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.gate.hold(
        new Promise<void>((done) => {
          const settle = (): void => {
            this.waitingForDrain = false;
            this.stream.off('drain', settle);
            this.stream.off('close', settle);
            done();
          };
          this.stream.on('drain', settle);
          this.stream.on('close', settle);
        }),
      );
    }
  }

  private rotateIfFull(lineBytes: number): void {
    const used = this.fileBytes + this.pendingBytes;
    if (used === 0 || used + lineBytes <= (this.options.max_bytes ?? Infinity)) return;
    this.writePending();
    this.retired.push(endStream(this.stream));
    this.stream.off('error', this.onError);
    // The old stream writes through its open descriptor, so renaming under it is safe.
    for (let n = this.options.max_files - 1; n >= 1; n--) renameIfExists(`${this.filePath}.${n}`, `${this.filePath}.${n + 1}`);
    renameIfExists(this.filePath, `${this.filePath}.1`);
    this.stream = this.openFile();
    this.stream.on('error', this.onError);
  }

  private openFile(): Writable {
    const fd = openSync(this.filePath, 'a');
    this.fileBytes = fstatSync(fd).size;
    return createWriteStream('', { fd, highWaterMark: 4 * CHUNK_CHARS });
  }

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.closed = true;
    if (err.code !== 'EPIPE') this.log.error(`${this.filePath === '-' ? 'stdout' : this.filePath}: ${err.message}`);
  };
}

function endStream(stream: Writable): Promise<void> {
  return new Promise((done) => {
    stream.once('close', done);
    stream.once('error', () => done());
    stream.end();
  });
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
