const SLAB_BYTES = 1024 * 1024;

/**
 * Copies packets out of a buffer the capture reuses into 1 MiB slabs that are never reused,
 * so a packet can outlive its callback (queued, or kept by reassembly) the way file-source
 * packets outlive their chunk. A slab is freed once no packet refers to it.
 */
export class PacketSlab {
  /** The slab the last copy went to; the copy is buffer[start, start + its length). */
  buffer = Buffer.allocUnsafe(SLAB_BYTES);
  start = 0;
  private used = 0;

  copy(from: Buffer, length: number): void {
    if (length > this.buffer.length - this.used) {
      this.buffer = Buffer.allocUnsafe(Math.max(SLAB_BYTES, length));
      this.used = 0;
    }
    from.copy(this.buffer, this.used, 0, length);
    this.start = this.used;
    this.used += length;
  }
}
