import type { ProtocolModule } from '../types.js';
import { HttpDecoder } from './decoder.js';
import { detectHttp } from './detect.js';
import { HTTP_OPTION_NAMES } from './options.js';

/**
 * HTTP/1.0 and 1.1. Responses come in request order (pipelining), so the matcher pairs them
 * in order; a 5xx response marks the roundtrip as an error (set by the decoder on the message).
 */
export const http: ProtocolModule = {
  name: 'http',
  transport: 'tcp',
  // 8000 is left out: it is as often something else (databases, admin consoles); detection finds HTTP there.
  defaultPorts: [80, 3000, 8008, 8080, 8888],
  match: 'ordered',
  detect: detectHttp,
  createDecoder: (ctx) => new HttpDecoder(ctx),
  optionNames: HTTP_OPTION_NAMES,
};
