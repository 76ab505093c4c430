const SPACE = 0x20;
const DOT = 0x2e;
const VERSION_PREFIX = Buffer.from('HTTP/', 'latin1');

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isUpper(c: number | undefined): boolean {
  return c !== undefined && c >= 0x41 && c <= 0x5a;
}

/** Digits from `at`: where they end (`at` when there are none). */
function digitsEnd(buf: Buffer, at: number, end: number): number {
  while (at < end && isDigit(buf[at])) at++;
  return at;
}

/**
 * Whether `buf[from, end)` (a line without its line end) is an HTTP/1 request line as servers
 * read them: `METHOD target HTTP/d.d`, the target possibly holding spaces, the version
 * possibly odd (`HTTP/1.10`); the HTTP/2 preface's `PRI * HTTP/2.0` too. Text protocols whose
 * commands are plain lines (Redis inline commands, memcached) would read it as a command, yet
 * no client of theirs sends one.
 */
export function isHttpRequestLine(buf: Buffer, from: number, end: number): boolean {
  let method = from;
  while (method < end && isUpper(buf[method])) method++;
  if (method === from || buf[method] !== SPACE) return false;
  const lastSpace = buf.lastIndexOf(SPACE, end - 1);
  if (lastSpace <= method + 1 || lastSpace >= end) return false;
  const version = lastSpace + 1;
  if (end - version < VERSION_PREFIX.length + 3 || buf.compare(VERSION_PREFIX, 0, VERSION_PREFIX.length, version, version + VERSION_PREFIX.length) !== 0) return false;
  const major = version + VERSION_PREFIX.length;
  const dot = digitsEnd(buf, major, end);
  if (dot === major || buf[dot] !== DOT) return false;
  const minorEnd = digitsEnd(buf, dot + 1, end);
  return minorEnd > dot + 1 && minorEnd === end;
}
