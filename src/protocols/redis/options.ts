/** Redis rule options as written in the pipeline YAML (`protocols: - protocol: redis, options: …`). */
export interface RedisOptions {
  /** `include_arguments` (default false): `db.query.text` shows argument values instead of `?`. */
  includeArguments: boolean;
}

export const REDIS_OPTION_NAMES = ['include_arguments'] as const;

export function redisOptions(options: Record<string, unknown>): RedisOptions {
  return { includeArguments: options['include_arguments'] === true };
}
