/**
 * Runs tshark from tests, to compare packetd's readings of a capture with Wireshark's.
 * tshark is the reference: Debian package `tshark` (installed by .ci/run).
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** Whether tshark can be run here (tests comparing with it skip otherwise). */
export function tsharkRuns(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Separates repeated occurrences of a field in one frame (pipelined messages). */
const AGGREGATOR = '\u001f';

export interface TsharkOptions {
  /** Display filter (`-Y`). */
  filter?: string;
  /** TCP ports tshark should dissect as HTTP (`-d tcp.port==P,http`). */
  httpPorts?: number[];
  /** Other decode-as rules, e.g. `tcp.port==50051,http2` (`-d`). */
  decodeAs?: string[];
}

function decodeAsArgs(httpPorts: number[] = []): string[] {
  return httpPorts.flatMap((port) => ['-d', `tcp.port==${port},http`]);
}

/**
 * One row per displayed frame, one cell per field; a field present several times in a frame
 * is split into its occurrences, so every cell is a list (empty when the field is absent).
 */
export function tsharkFields(file: string, fields: string[], options: TsharkOptions = {}): string[][][] {
  const args = ['-r', file, '-n', ...decodeAsArgs(options.httpPorts)];
  for (const rule of options.decodeAs ?? []) args.push('-d', rule);
  if (options.filter) args.push('-Y', options.filter);
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', `aggregator=${AGGREGATOR}`, '-E', 'occurrence=a');
  for (const field of fields) args.push('-e', field);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t').map((cell) => (cell === '' ? [] : cell.split(AGGREGATOR))));
}

/** `frame.time_epoch` ("1700000000.123456789") as integer microseconds, without float rounding. */
export function epochToMicros(text: string): number {
  const [seconds, fraction = ''] = text.split('.');
  return Number(seconds) * 1_000_000 + Number(fraction.slice(0, 6).padEnd(6, '0'));
}

/**
 * Frames in each file by capinfos (one run for all files). A file capinfos cannot read to the
 * end (unknown format, truncated or unsupported record) maps to undefined.
 */
export function capinfosFrameCounts(files: string[]): Map<string, number | undefined> {
  const run = spawnSync('capinfos', ['-T', '-r', '-c', '-M', ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const counts = new Map<string, number | undefined>();
  for (const line of run.stdout.split('\n')) {
    const [file, frames] = line.split('\t');
    if (file && frames !== undefined) counts.set(file, Number(frames));
  }
  for (const file of files) {
    if (run.stderr.includes(`"${file}"`)) counts.set(file, undefined);
  }
  return counts;
}

/** Destination ports of connection-opening SYNs: the servers' ports in a capture. */
export function tsharkServerPorts(file: string): number[] {
  const rows = tsharkFields(file, ['tcp.dstport'], { filter: 'tcp.flags.syn==1 && tcp.flags.ack==0' });
  return [...new Set(rows.map((row) => Number(row[0][0])))].sort((a, b) => a - b);
}

export interface TsharkFrame {
  ts: number;
  /** TCP payload bytes in the frame. */
  tcpLen: number;
}

/** Time and TCP payload length of every TCP frame, by frame number. */
export function tsharkTcpFrames(file: string): Map<number, TsharkFrame> {
  const frames = new Map<number, TsharkFrame>();
  for (const [[num], [time], [len]] of tsharkFields(file, ['frame.number', 'frame.time_epoch', 'tcp.len'], { filter: 'tcp' })) {
    frames.set(Number(num), { ts: epochToMicros(time), tcpLen: Number(len ?? 0) });
  }
  return frames;
}

export interface TsharkHttpMessage {
  /** Frame where tshark completed (displays) the message. */
  frame: number;
  stream: number;
  src: { address: string; port: number };
  dst: { address: string; port: number };
  /** Time of the first frame carrying bytes of the message. */
  firstTs: number;
  /** Time of the last frame carrying bytes of the message (a bare FIN does not count). */
  lastTs: number;
  /** Message bytes (headers and body); only exact when no other message shares its frames. */
  size: number;
}

export interface TsharkHttpRequest extends TsharkHttpMessage {
  method: string;
  uri: string;
  host: string | undefined;
  /** Frame of the response tshark paired with this request. */
  responseIn: number | undefined;
}

export interface TsharkHttpResponse extends TsharkHttpMessage {
  status: number;
  /** Frame of the request tshark paired with this response. */
  requestIn: number | undefined;
  /** tshark's `http.time`: response frame time minus request frame time, in µs. */
  httpTimeUs: number | undefined;
}

export interface TsharkHttp {
  /** In frame order; several requests of one frame (pipelining) keep their order. */
  requests: TsharkHttpRequest[];
  responses: TsharkHttpResponse[];
}

const MESSAGE_FIELDS = [
  'frame.number', 'tcp.stream', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport',
  'tcp.len', 'tcp.segment', 'tcp.reassembled.length',
];

/** Every HTTP request and response tshark decodes, with frame times of their first and last bytes. */
export function tsharkHttp(file: string, httpPorts: number[]): TsharkHttp {
  const frames = tsharkTcpFrames(file);
  const fields = [
    ...MESSAGE_FIELDS,
    'http.request.method', 'http.request.uri', 'http.host', 'http.response_in',
    'http.response.code', 'http.request_in', 'http.time',
  ];
  const requests: TsharkHttpRequest[] = [];
  const responses: TsharkHttpResponse[] = [];
  for (const row of tsharkFields(file, fields, { filter: 'http', httpPorts })) {
    const [num, stream, ip4src, ip6src, ip4dst, ip6dst, sport, dport, len, segments, reassembledLen] = row;
    const [methods, uris, hosts, responseIn, codes, requestIn, httpTime] = row.slice(MESSAGE_FIELDS.length);
    const frame = Number(num[0]);
    // Frames carrying the message's bytes: the reassembled segments (less a bare FIN that
    // completed a close-delimited body), or the frame alone.
    const withBytes = segments.map(Number).filter((n) => (frames.get(n)?.tcpLen ?? 0) > 0);
    const carrying = withBytes.length > 0 ? withBytes : [frame];
    const base: TsharkHttpMessage = {
      frame,
      stream: Number(stream[0]),
      src: { address: (ip4src[0] ?? ip6src[0]) as string, port: Number(sport[0]) },
      dst: { address: (ip4dst[0] ?? ip6dst[0]) as string, port: Number(dport[0]) },
      firstTs: frames.get(Math.min(...carrying))!.ts,
      lastTs: frames.get(Math.max(...carrying))!.ts,
      size: Number(reassembledLen[0] ?? len[0]),
    };
    methods.forEach((method, i) =>
      requests.push({
        ...base,
        method,
        uri: uris[i],
        host: hosts[i],
        responseIn: responseIn[i] === undefined ? undefined : Number(responseIn[i]),
      }),
    );
    codes.forEach((code, i) =>
      responses.push({
        ...base,
        status: Number(code),
        requestIn: requestIn[i] === undefined ? undefined : Number(requestIn[i]),
        httpTimeUs: httpTime[i] === undefined ? undefined : Math.round(Number(httpTime[i]) * 1_000_000),
      }),
    );
  }
  return { requests, responses };
}

/** A request and the response tshark paired with it (none when unanswered). */
export interface TsharkHttpTransaction {
  request: TsharkHttpRequest;
  response: TsharkHttpResponse | undefined;
}

/**
 * Requests paired with responses by tshark's `http.request_in`. tshark cannot pair pipelined
 * requests (several in one frame): only the first of a frame gets the response tshark names;
 * callers check `requests` and `responses` themselves there.
 */
export function tsharkHttpTransactions(file: string, httpPorts: number[]): TsharkHttpTransaction[] {
  const { requests, responses } = tsharkHttp(file, httpPorts);
  const responseByRequestFrame = new Map<number, TsharkHttpResponse>();
  for (const response of responses) {
    if (response.requestIn !== undefined) responseByRequestFrame.set(response.requestIn, response);
  }
  return requests.map((request) => {
    const response = responseByRequestFrame.get(request.frame);
    responseByRequestFrame.delete(request.frame);
    return { request, response };
  });
}
