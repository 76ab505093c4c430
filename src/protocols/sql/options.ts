import { parseSize } from '../../pipeline/units.js';

/** Rule options shared by the SQL protocols (`protocols: - protocol: postgresql, options: …`). */
export interface SqlOptions {
  /** `include_literals` (default false): keep string and number literals in `db.query.text`. */
  includeLiterals: boolean;
  /** `max_query_bytes` (default 2 KiB): `db.query.text` is cut to this many characters. */
  maxQueryBytes: number;
}

export const SQL_OPTION_NAMES = ['include_literals', 'max_query_bytes'] as const;

const DEFAULT_MAX_QUERY_BYTES = 2048;

export function sqlOptions(options: Record<string, unknown>): SqlOptions {
  const size = options['max_query_bytes'];
  const parsed = typeof size === 'number' || typeof size === 'string' ? parseSize(size) : undefined;
  return {
    includeLiterals: options['include_literals'] === true,
    maxQueryBytes: parsed ?? DEFAULT_MAX_QUERY_BYTES,
  };
}

/**
 * Bytes of a statement worth keeping while it is framed: literals shrink to `?`, so more than
 * the text cap is read, but never an unbounded amount.
 */
export function statementBytesToKeep(options: SqlOptions): number {
  return Math.max(4096, options.maxQueryBytes * 4);
}
