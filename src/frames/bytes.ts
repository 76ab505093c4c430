/**
 * Big-endian reads by indexing. Buffer.readUInt16BE/readUInt32BE validate their argument on
 * every call, a measurable share of per-frame time; callers here check bounds beforehand.
 */

export function u16(data: Buffer, offset: number): number {
  return (data[offset]! << 8) | data[offset + 1]!;
}

export function u32(data: Buffer, offset: number): number {
  return data[offset]! * 0x1000000 + ((data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!);
}

/** Little-endian 32-bit read (capture file headers), like u32. */
export function u32le(data: Buffer, offset: number): number {
  return data[offset + 3]! * 0x1000000 + ((data[offset + 2]! << 16) | (data[offset + 1]! << 8) | data[offset]!);
}
