/**
 * TCP sequence numbers are unsigned 32-bit and wrap: compare them by signed distance, never
 * with `<`, so a connection that crosses 2^32 keeps its order.
 */

/** Signed distance from `from` to `to` (positive when `to` is ahead). */
export function seqDiff(to: number, from: number): number {
  return (to - from) | 0;
}

/** `seq + n`, wrapped to 32 bits. */
export function seqAdd(seq: number, n: number): number {
  return (seq + n) >>> 0;
}
