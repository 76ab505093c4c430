/** memcached rule options as written in the pipeline YAML (`protocols: - protocol: memcached, options: …`). */
export interface MemcachedOptions {
  /** `include_arguments` (default false): `db.query.text` shows keys and arguments instead of `?`. */
  includeArguments: boolean;
}

export const MEMCACHED_OPTION_NAMES = ['include_arguments'] as const;

export function memcachedOptions(options: Record<string, unknown>): MemcachedOptions {
  return { includeArguments: options['include_arguments'] === true };
}
