/**
 * Capture time for packets whose capture program does not hand over a timestamp (cap):
 * microseconds since the epoch from the monotonic clock, anchored to the wall clock once at
 * process start (`performance.timeOrigin`). It never steps back when NTP adjusts the wall
 * clock; it is the time the packet callback ran, not the kernel's receive time (docs/live.md,
 * "Timestamps").
 */
export function monotonicMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
