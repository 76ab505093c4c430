import { findLf } from './find-lf.js';

const EMPTY = Buffer.alloc(0);

/** `next` met the segment's end before an LF: the line so far is kept. */
export const LINE_KEPT = -1;
/** `next` met the segment's end and the line passed the longest kept: nothing is kept. */
export const LINE_TOO_LONG = -2;

/**
 * Reassembles text lines cut by segment boundaries, for line-based readers (RESP, memcached
 * text). A line's start is kept (copied: the segment is not ours to hold) until the segment
 * holding its LF arrives; `next` then locates the whole line in `line[start, end)`, LF
 * excluded: a view of the segment when nothing was kept, a joined copy otherwise. Fields, not a returned object:
 * this runs once per line on the hot path.
 */
export class LineCarry {
  line: Buffer = EMPTY;
  start = 0;
  end = 0;
  private kept: Buffer | undefined;

  /** @param max longest line kept across segments, in bytes */
  constructor(private readonly max: number) {}

  /** The line from buf[off] on: the offset past its LF (line/start/end then locate it), or LINE_KEPT / LINE_TOO_LONG. */
  next(buf: Buffer, off: number): number {
    const lf = findLf(buf, off, buf.length);
    if (lf < 0) return this.keep(buf, off) ? LINE_KEPT : LINE_TOO_LONG;
    this.take(buf, off, lf);
    return lf + 1;
  }

  private keep(buf: Buffer, off: number): boolean {
    const have = this.kept === undefined ? 0 : this.kept.length;
    if (have + buf.length - off > this.max) {
      this.kept = undefined;
      return false;
    }
    const rest = buf.subarray(off);
    this.kept = this.kept === undefined ? Buffer.from(rest) : Buffer.concat([this.kept, rest]);
    return true;
  }

  private take(buf: Buffer, off: number, lf: number): void {
    if (this.kept === undefined) {
      this.line = buf;
      this.start = off;
      this.end = lf;
      return;
    }
    this.line = Buffer.concat([this.kept, buf.subarray(off, lf)]);
    this.kept = undefined;
    this.start = 0;
    this.end = this.line.length;
  }

  clear(): void {
    this.kept = undefined;
  }
}
