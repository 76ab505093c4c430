/** DNS rule options as written in the pipeline YAML (`protocols: - protocol: dns, options: …`). */
export interface DnsOptions {
  /** `max_records` (default 16): answer and authority records kept per response in the record's details. */
  maxRecords: number;
}

export const DNS_OPTION_NAMES = ['max_records'] as const;

const DEFAULT_MAX_RECORDS = 16;

export function dnsOptions(options: Record<string, unknown>): DnsOptions {
  const maxRecords = options['max_records'];
  return {
    maxRecords: typeof maxRecords === 'number' && Number.isInteger(maxRecords) && maxRecords >= 0 ? maxRecords : DEFAULT_MAX_RECORDS,
  };
}
