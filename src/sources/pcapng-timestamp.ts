/**
 * pcapng timestamps are 64-bit counts of units of the interface's `if_tsresol` (10^-k or 2^-k
 * seconds) plus `if_tsoffset` seconds. Converting to integer microseconds must not go through a
 * 64-bit float: nanosecond counts since 1970 are ~2^61, past the 2^53 a double holds exactly.
 */
export interface TimestampScale {
  /** Microseconds per unit when a unit is a whole number of microseconds (else 0). */
  readonly multiplier: number;
  /** Units per microsecond when that is an integer up to 10^6 (else 0). */
  readonly divisor: number;
  /** Units per second for the rare resolutions the fast paths cannot do exactly. */
  readonly unitsPerSecond: bigint;
  readonly offsetUs: number;
}

const TWO_POW_32 = 4294967296;
/** Largest divisor for which `remainder * 2^32 + low` stays below 2^53. */
const MAX_SPLIT_DIVISOR = 1_000_000;

/** `tsresol` is the raw if_tsresol byte (default 6: microseconds). */
export function timestampScale(tsresol: number, offsetSeconds: number): TimestampScale {
  const exponent = tsresol & 0x7f;
  const binary = (tsresol & 0x80) !== 0;
  const unitsPerSecond = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
  let multiplier = 0;
  let divisor = 0;
  if (!binary && exponent <= 6) multiplier = 10 ** (6 - exponent);
  else if (!binary && 10 ** (exponent - 6) <= MAX_SPLIT_DIVISOR) divisor = 10 ** (exponent - 6);
  return { multiplier, divisor, unitsPerSecond, offsetUs: offsetSeconds * 1_000_000 };
}

/** Microseconds since the epoch (truncated) of the timestamp `high * 2^32 + low`. */
export function unitsToMicros(scale: TimestampScale, high: number, low: number): number {
  if (scale.multiplier !== 0) return (high * TWO_POW_32 + low) * scale.multiplier + scale.offsetUs;
  const d = scale.divisor;
  if (d !== 0) {
    // floor((high * 2^32 + low) / d) split so every intermediate is exact.
    const highQuotient = Math.floor(high / d);
    const highRemainder = high - highQuotient * d;
    return highQuotient * TWO_POW_32 + Math.floor((highRemainder * TWO_POW_32 + low) / d) + scale.offsetUs;
  }
  const units = (BigInt(high) << 32n) | BigInt(low);
  return Number((units * 1_000_000n) / scale.unitsPerSecond) + scale.offsetUs;
}
