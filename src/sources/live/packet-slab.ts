const SLAB_BYTES = 1024 * 1024;

/**
 * Copies packets out of a buffer the capture reuses into 1 MiB slabs that are never reused,
 * so a packet can outlive its callback (queued, or kept by reassembly) the way file-source
 * packets outlive their chunk. A slab is freed once no packet view into it is left.
 */
export class PacketSlab {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private used = 0;

  copy(from: Buffer, length: number): Buffer {
    if (length > this.slab.length - this.used) {
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, length));
      this.used = 0;
    }
    from.copy(this.slab, this.used, 0, length);
    const view = this.slab.subarray(this.used, this.used + length);
    this.used += length;
    return view;
  }
}
