/**
 * A capture file that is not a pcap/pcapng file, or is malformed or truncated. `offset` is the
 * byte offset in the input of the record (or file header) that could not be read.
 */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';

  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at byte ${offset}`);
  }
}
