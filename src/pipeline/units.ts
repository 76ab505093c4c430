/**
 * Durations and sizes as people write them in YAML: "30s", "5m", "250ms", "4MiB". A bare
 * number is seconds (durations) or bytes (sizes). Both return undefined for bad input so the
 * schema can report it at the right YAML line.
 */

const MICROS_PER_UNIT: Record<string, number> = {
  us: 1,
  µs: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

const BYTES_PER_UNIT: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Zµ]*)\s*$/;

function parseQuantity(input: string | number, perUnit: Record<string, number>, bareUnit: number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input * bareUnit) : undefined;
  const m = QUANTITY.exec(input);
  if (!m) return undefined;
  const unit = m[2] === '' ? bareUnit : perUnit[m[2].toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** Duration in microseconds ("250ms" → 250000; 2 → 2000000). */
export function parseDuration(input: string | number): number | undefined {
  return parseQuantity(input, MICROS_PER_UNIT, MICROS_PER_UNIT.s);
}

/** Size in bytes ("4MiB" → 4194304, "1kb" → 1000; 512 → 512). */
export function parseSize(input: string | number): number | undefined {
  return parseQuantity(input, BYTES_PER_UNIT, 1);
}
