/**
 * Backpressure between a file source and asynchronous sinks. RxJS pushes and has no
 * backpressure of its own, so sources read a chunk, push its packets synchronously, then
 * `await gate.ready()` before the next chunk. A sink whose buffer is full `hold`s the gate with
 * a promise that settles when it has drained. Memory is then bounded by one chunk's worth of
 * work plus each sink's own bounded buffer, however fast the file can be read.
 */
export class FlowGate {
  private readonly holds = new Set<Promise<unknown>>();

  hold(until: Promise<unknown>): void {
    const p: Promise<unknown> = until.then(
      () => this.holds.delete(p),
      () => this.holds.delete(p),
    );
    this.holds.add(p);
  }

  get held(): boolean {
    return this.holds.size > 0;
  }

  /** Resolves once no sink holds the gate. Cheap when nothing does. */
  async ready(): Promise<void> {
    while (this.holds.size > 0) await Promise.all([...this.holds]);
  }
}
