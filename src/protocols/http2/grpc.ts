/** gRPC over HTTP/2: what the HTTP/2 decoder reads of it (service/method, status, messages). */

const STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/**
 * Status codes that mark a call as failed, as OpenTelemetry's gRPC conventions list them for
 * the server side: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
 * The others (NOT_FOUND, INVALID_ARGUMENT, …) are the caller's problem and answered correctly.
 * packetd sees both sides but reports one roundtrip, so it takes the server's view.
 */
const ERROR_STATUSES: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);

export function grpcStatusName(code: number): string {
  return STATUS_NAMES[code] ?? String(code);
}

export function isGrpcError(code: number): boolean {
  return ERROR_STATUSES.has(code);
}

export function isGrpcContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.startsWith('application/grpc');
}

/** `/package.Service/Method` → [service, method]; undefined for any other shape. */
export function splitGrpcPath(path: string): [string, string] | undefined {
  const slash = path.indexOf('/', 1);
  if (path[0] !== '/' || slash <= 1 || slash === path.length - 1 || path.indexOf('/', slash + 1) >= 0) return undefined;
  return [path.slice(1, slash), path.slice(slash + 1)];
}

const PERCENT_ENCODED = /%[0-9A-Fa-f]{2}/;
const PERCENT_ESCAPE = /^%[0-9A-Fa-f]{2}$/;

/** grpc-message is percent-encoded UTF-8 (the header value arrives as latin1 text). */
export function decodeGrpcMessage(value: string): string {
  if (!PERCENT_ENCODED.test(value)) return Buffer.from(value, 'latin1').toString('utf8');
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && PERCENT_ESCAPE.test(value.slice(i, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Counts length-prefixed gRPC messages (1-byte compressed flag, 4-byte length, body) in one
 * direction's DATA bytes, across frame boundaries, without keeping any of them.
 */
export class GrpcMessageCounter {
  count = 0;
  /** Bytes at a message boundary were lost: `count` is no longer exact. */
  lost = false;
  /** Prefix bytes still to read (0 inside a body). */
  private prefixLeft = 5;
  private length = 0;
  private bodyLeft = 0;

  /** `n` body bytes were lost: harmless inside a message body, fatal to counting elsewhere. */
  skip(n: number): void {
    if (n <= this.bodyLeft) this.bodyLeft -= n;
    else this.lost = true;
  }

  feed(buf: Buffer, from: number, to: number): void {
    if (this.lost) return;
    let i = from;
    while (i < to) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, to - i);
        this.bodyLeft -= take;
        i += take;
        continue;
      }
      const byte = buf[i++]!;
      // Byte 5 - prefixLeft of the prefix: 0 is the flag, 1..4 the big-endian length.
      if (this.prefixLeft < 5) this.length = this.length * 256 + byte;
      if (--this.prefixLeft === 0) {
        this.count++;
        this.bodyLeft = this.length;
        this.prefixLeft = 5;
        this.length = 0;
      }
    }
  }
}
