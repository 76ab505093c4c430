const LF = 0x0a;

/**
 * Lines up to this long are scanned in JavaScript: most protocol lines are short (`+OK`, `$5`,
 * an HTTP header), and Buffer#indexOf's call cost more than such a scan in profiles. Past it
 * the search goes native.
 */
const SHORT_LINE = 64;

/** The first LF in buf[from, end), or -1. */
export function findLf(buf: Buffer, from: number, end: number): number {
  const scanEnd = Math.min(end, from + SHORT_LINE);
  for (let i = from; i < scanEnd; i++) if (buf[i] === LF) return i;
  if (scanEnd >= end) return -1;
  const lf = buf.indexOf(LF, scanEnd);
  return lf < end ? lf : -1;
}
