import type { ProtocolModule } from '../types.js';
import { Http2Decoder } from './decoder.js';
import { detectHttp2 } from './detect.js';
import { HTTP2_OPTION_NAMES } from './options.js';

/**
 * HTTP/2 without TLS (h2c): prior knowledge (the client preface) or an Upgrade from HTTP/1.1
 * (the HTTP/1 decoder hands the conversation over). Streams pair up inside the decoder, by id.
 * A stream carrying `application/grpc*` is reported as protocol `grpc` (the module below).
 */
export const http2: ProtocolModule = {
  name: 'http2',
  transport: 'tcp',
  // gRPC's customary port; other h2c servers are found by detection (the preface is unmistakable).
  defaultPorts: [50051],
  match: 'stream',
  detect: detectHttp2,
  createDecoder: (ctx) => new Http2Decoder(ctx),
  optionNames: HTTP2_OPTION_NAMES,
};

/**
 * gRPC: the same decoder (gRPC is HTTP/2 underneath, and one connection may carry both). Named
 * in a pipeline, it decodes HTTP/2 on its ports; its roundtrips are the gRPC calls.
 */
export const grpc: ProtocolModule = { ...http2, name: 'grpc' };
