/**
 * tshark's reading of HTTP/2 captures, per stream: the reference the HTTP/2 and gRPC golden
 * tests compare packetd's roundtrips with. Frame fields (`http2.streamid`, `http2.type`,
 * `http2.length`, `http2.flags`) occur once per HTTP/2 frame, in order, so they line up; the
 * pseudo-header fields occur once per header block that has them.
 */
import type { RoundTrip } from '../../src/model/roundtrip.js';
import { epochToMicros, tsharkFields } from '../helpers/tshark.js';

export interface TsharkStream {
  /** Set once the server ended the stream (END_STREAM) or either side reset it: later frames are not the exchange's. */
  closed?: boolean;
  client: string;
  streamId: number;
  method: string | undefined;
  path: string | undefined;
  status: number | undefined;
  /** Packet time of the first client frame and of the last server frame of the stream. */
  start: number;
  end: number;
  /** Frame bytes (9 + length) of HEADERS, CONTINUATION, DATA and RST_STREAM per side. */
  requestSize: number;
  responseSize: number;
}

const STREAM_FRAME_TYPES = new Set([0, 1, 3, 9]);
const HEADERS = 1;
const RST_STREAM = 3;
const END_STREAM = 0x1;

/**
 * Every client-initiated stream tshark sees on `port`, in order of first appearance. `decodeAs`
 * (default true) tells tshark the port is HTTP/2; leave it off when tshark should follow an
 * HTTP/1.1 Upgrade itself.
 */
export function tsharkHttp2Streams(file: string, port: number, decodeAs = true): TsharkStream[] {
  const rows = tsharkFields(
    file,
    ['frame.time_epoch', 'tcp.srcport', 'tcp.dstport', 'http2.streamid', 'http2.type', 'http2.length', 'http2.flags', 'http2.headers.method', 'http2.headers.path', 'http2.headers.status'],
    { filter: 'http2', decodeAs: decodeAs ? [`tcp.port==${port},http2`] : [] },
  );
  const streams = new Map<string, TsharkStream>();
  for (const [[time], [sport], [dport], ids, types, lengths, flags, methods, paths, statuses] of rows) {
    const ts = epochToMicros(time!);
    const fromClient = Number(dport) === port;
    const client = fromClient ? sport! : dport!;
    let nextRequestHead = 0;
    let nextStatus = 0;
    ids.forEach((idText, i) => {
      const id = Number(idText);
      const type = Number(types[i]);
      if (id === 0 || !STREAM_FRAME_TYPES.has(type)) return;
      const key = `${client} ${id}`;
      let stream = streams.get(key);
      if (stream === undefined) {
        if (!fromClient) return;
        stream = { client, streamId: id, method: undefined, path: undefined, status: undefined, start: ts, end: ts, requestSize: 0, responseSize: 0 };
        streams.set(key, stream);
      }
      if (stream.closed) return;
      const bytes = 9 + Number(lengths[i]);
      const endStream = type !== RST_STREAM && (Number(flags[i]) & END_STREAM) !== 0;
      if (type === RST_STREAM || (!fromClient && endStream)) stream.closed = true;
      if (fromClient) {
        stream.requestSize += bytes;
        if (type === HEADERS && stream.method === undefined) {
          stream.method = methods[nextRequestHead];
          stream.path = paths[nextRequestHead];
          nextRequestHead++;
        }
      } else {
        stream.responseSize += bytes;
        stream.end = ts;
        if (type === HEADERS && stream.status === undefined) stream.status = Number(statuses[nextStatus++]);
      }
    });
  }
  return [...streams.values()].map(({ closed: _closed, ...stream }) => stream);
}

/** A roundtrip in tshark's shape (stream id 0: packetd does not report it). */
export function asTshark(rt: RoundTrip): TsharkStream {
  const a = rt.attributes;
  const url = a['url.path'] === undefined ? undefined : `${String(a['url.path'])}${a['url.query'] === undefined ? '' : `?${String(a['url.query'])}`}`;
  return {
    client: String(rt.client.port),
    streamId: 0,
    method: a['http.request.method'] === undefined ? undefined : String(a['http.request.method']),
    path: url,
    status: a['http.response.status_code'] === undefined ? undefined : Number(a['http.response.status_code']),
    start: rt.start,
    end: rt.end,
    requestSize: rt.request!.size,
    responseSize: rt.response?.size ?? 0,
  };
}

export const withoutStreamId = ({ streamId: _id, ...rest }: TsharkStream) => rest;
export const order = (a: { start: number; client: string; end: number }, b: { start: number; client: string; end: number }) =>
  a.start - b.start || a.client.localeCompare(b.client) || a.end - b.end;
