import { type Attributes, type L7Message, newMessage } from '../../model/message.js';
import type { Conversation } from '../../model/stream.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT } from '../../model/stream.js';
import { recordedHeaders, requestAttributes } from '../http/attributes.js';
import { newHead } from '../http/head.js';
import { parseTraceparent } from '../trace-context.js';
import { decodeGrpcMessage, grpcStatusName, isGrpcContentType, isGrpcError, splitGrpcPath } from './grpc.js';
import type { Http2Options } from './options.js';
import { fieldValue, type H2Stream, type StreamHalf } from './stream.js';

/** Builds the L7 messages of a finished (or abandoned) stream. */

const VERSION = '2';


function recorded(half: StreamHalf, options: Http2Options, details: Record<string, unknown>): void {
  if (options.captureHeaders) {
    details['headers'] = recordedHeaders(half.headers ?? {}, options.includeSensitiveHeaders);
    if (half.trailers !== undefined) details['trailers'] = recordedHeaders(half.trailers, options.includeSensitiveHeaders);
  }
  if (half.incomplete) details['headers_incomplete'] = true;
}

/**
 * HTTP attributes as HTTP/1 names them. The pseudo-headers become an absolute-form target
 * (`scheme://authority/path`), which the HTTP/1 attribute code already splits; a request whose
 * method or path could not be decoded gets only what is known.
 */
function httpRequestAttributes(half: StreamHalf, conv: Conversation): Attributes {
  const authority = half.authority ?? fieldValue(half.headers, 'host') ?? '';
  const method = half.method;
  if (method !== undefined && (half.path !== undefined || method === 'CONNECT')) {
    const target = method === 'CONNECT' ? authority : `${half.scheme ?? 'http'}://${authority}${half.path}`;
    const head = newHead(method, target, 0, VERSION, false);
    head.host = fieldValue(half.headers, 'host');
    head.userAgent = fieldValue(half.headers, 'user-agent');
    return requestAttributes(head, conv.server, half.bodySize);
  }
  const attributes: Attributes = {};
  if (method !== undefined) attributes['http.request.method'] = method;
  attributes['network.protocol.name'] = 'http';
  attributes['network.protocol.version'] = VERSION;
  attributes['http.request.body.size'] = half.bodySize;
  return attributes;
}

export function isGrpcStream(stream: H2Stream): boolean {
  return (
    isGrpcContentType(fieldValue(stream.request.headers, 'content-type')) ||
    isGrpcContentType(fieldValue(stream.response.headers, 'content-type'))
  );
}

export function requestMessage(stream: H2Stream, conv: Conversation, grpc: boolean, options: Http2Options): L7Message {
  const half = stream.request;
  const protocol = grpc ? 'grpc' : 'http2';
  const seed = stream.upgradeRequest;
  if (seed !== undefined) return { ...seed, protocol, attributes: { ...seed.attributes } };
  const attributes = httpRequestAttributes(half, conv);
  const details: Record<string, unknown> = {};
  recorded(half, options, details);
  if (grpc) {
    attributes['rpc.system'] = 'grpc';
    const parts = half.path === undefined ? undefined : splitGrpcPath(half.path);
    if (parts !== undefined) {
      attributes['rpc.service'] = parts[0];
      attributes['rpc.method'] = parts[1];
    }
    if (!half.grpc.lost) details['grpc_messages'] = half.grpc.count;
  }
  const msg = newMessage(protocol, conv, CLIENT_TO_SERVER, 'request', half.start, half.end, half.size, attributes);
  msg.id = stream.id;
  if (Object.keys(details).length > 0) msg.details = details;
  const traceparent = fieldValue(half.headers, 'traceparent');
  const trace = traceparent === undefined ? undefined : parseTraceparent(traceparent, fieldValue(half.headers, 'tracestate'));
  if (trace !== undefined) msg.trace = trace;
  return msg;
}

/**
 * The response, with `request` attached (the 'stream' match strategy). gRPC's status comes from
 * the trailers, or from the headers of a trailers-only response; a gRPC error status, else an
 * HTTP 5xx, else a RST_STREAM other than NO_ERROR or CANCEL makes it an error.
 */
export function responseMessage(stream: H2Stream, request: L7Message, grpc: boolean, options: Http2Options): L7Message {
  const half = stream.response;
  const attributes: Attributes = {};
  const details: Record<string, unknown> = {};
  recorded(half, options, details);
  let errorType: string | undefined;
  if (half.status !== undefined) {
    attributes['http.response.status_code'] = half.status;
    if (half.status >= 500) errorType = String(half.status);
  }
  attributes['http.response.body.size'] = half.bodySize;
  if (grpc) {
    const statusText = fieldValue(half.trailers, 'grpc-status') ?? fieldValue(half.headers, 'grpc-status');
    const code = statusText === undefined || !/^\d{1,3}$/.test(statusText) ? undefined : Number(statusText);
    if (code !== undefined) {
      attributes['rpc.grpc.status_code'] = code;
      errorType = isGrpcError(code) ? grpcStatusName(code) : undefined;
    }
    const message = fieldValue(half.trailers, 'grpc-message') ?? fieldValue(half.headers, 'grpc-message');
    if (message) details['grpc_message'] = decodeGrpcMessage(message);
    if (!half.grpc.lost) details['grpc_messages'] = half.grpc.count;
  }
  if (stream.reset !== undefined) {
    details['rst_stream'] = stream.reset;
    if (errorType === undefined && stream.reset !== 'NO_ERROR' && stream.reset !== 'CANCEL') errorType = stream.reset;
  }
  if (errorType !== undefined) attributes['error.type'] = errorType;
  const start = half.start < 0 ? request.end : half.start;
  const msg = newMessage(request.protocol, request.conv, SERVER_TO_CLIENT, 'response', start, Math.max(half.end, start), half.size, attributes);
  msg.id = stream.id;
  msg.request = request;
  if (errorType !== undefined) msg.error = true;
  if (Object.keys(details).length > 0) msg.details = details;
  return msg;
}
