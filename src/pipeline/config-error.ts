/** One problem in a pipeline file, located by its YAML path and (when known) line. */
export interface ConfigIssue {
  /** Path into the document, e.g. ['pipelines', 'log', 'sinks', 0, 'path']. */
  path: PropertyKey[];
  message: string;
  line?: number;
}

const IDENTIFIER = /^[A-Za-z_][\w-]*$/;

/** ['pipelines', 'log', 'sinks', 0, 'path'] → "pipelines.log.sinks[0].path". */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += IDENTIFIER.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** An invalid pipeline: every issue found, each printable as `file:line: path: message`. */
export class PipelineConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(issues.map((issue) => formatConfigIssue(file, issue)).join('\n'));
    this.name = 'PipelineConfigError';
  }
}

export function formatConfigIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  const path = formatConfigPath(issue.path);
  return path === '' ? `${where}: ${issue.message}` : `${where}: ${path}: ${issue.message}`;
}
