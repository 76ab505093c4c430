/** A parsed start line and header block of one HTTP/1.x message. */
export interface MessageHead {
  /** Request only. */
  method: string;
  target: string;
  /** Response only (0 for requests). */
  statusCode: number;
  /** "1.0" or "1.1". */
  version: string;
  /** Lower-case names; repeated headers joined with ", " except Set-Cookie, kept as a list. */
  headers: Record<string, string | string[]>;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]+(\S+)[ \t]+HTTP\/(1\.\d)[ \t]*$/;
const STATUS_LINE = /^HTTP\/(1\.\d)[ \t]+(\d{3})(?:[ \t].*)?$/;
const LINE_BREAK = /\r?\n/;

function addHeader(headers: Record<string, string | string[]>, name: string, value: string): void {
  const previous = headers[name];
  if (previous === undefined) headers[name] = value;
  else if (name === 'set-cookie') headers[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  else headers[name] = `${previous as string}, ${value}`;
}

/**
 * Parses a header block (start line through the last header line, without the empty line).
 * Tolerates bare LF line ends, extra spaces in the start line, obsolete line folding and header
 * lines without a colon (skipped). Returns undefined when the start line is not HTTP/1.x.
 */
export function parseHead(block: string, isRequest: boolean): MessageHead | undefined {
  const lines = block.split(LINE_BREAK);
  const startLine = lines[0]!;
  let method = '';
  let target = '';
  let statusCode = 0;
  let version: string;
  if (isRequest) {
    const m = REQUEST_LINE.exec(startLine);
    if (!m) return undefined;
    method = m[1]!;
    target = m[2]!;
    version = m[3]!;
  } else {
    const m = STATUS_LINE.exec(startLine);
    if (!m) return undefined;
    version = m[1]!;
    statusCode = Number(m[2]);
  }
  // A null prototype keeps header names like "__proto__" plain keys.
  const headers = Object.create(null) as Record<string, string | string[]>;
  let lastName: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    const first = line.charCodeAt(0);
    if ((first === 0x20 || first === 0x09) && lastName !== undefined) {
      const previous = headers[lastName];
      if (typeof previous === 'string') headers[lastName] = `${previous} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    lastName = line.slice(0, colon).trim().toLowerCase();
    addHeader(headers, lastName, line.slice(colon + 1).trim());
  }
  return { method, target, statusCode, version, headers };
}

/** The single value of a header (the last one when repeated as a list). */
export function headerValue(head: MessageHead, name: string): string | undefined {
  const value = head.headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * Content-Length as a number, undefined when absent, NaN when invalid (non-digits, or
 * repeated with different values).
 */
export function contentLength(head: MessageHead): number | undefined {
  const value = headerValue(head, 'content-length');
  if (value === undefined) return undefined;
  let length = NaN;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^\d{1,15}$/.test(text)) return NaN;
    const n = Number(text);
    if (!Number.isNaN(length) && n !== length) return NaN;
    length = n;
  }
  return length;
}

/** Transfer-Encoding whose last coding is chunked. */
export function isChunked(head: MessageHead): boolean {
  const value = headerValue(head, 'transfer-encoding');
  return value !== undefined && /(?:^|,)\s*chunked\s*$/i.test(value);
}
