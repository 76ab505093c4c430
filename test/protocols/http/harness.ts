import type { L7Message } from '../../../src/model/message.js';
import type { Direction } from '../../../src/model/stream.js';
import { HttpDecoder } from '../../../src/protocols/http/decoder.js';
import { harness as decoderHarness } from '../../helpers/decoder-harness.js';

export { C2S, S2C } from '../../helpers/decoder-harness.js';

/** An HTTP decoder wired to arrays instead of a pipeline. */
export const harness = (options: Record<string, unknown> = {}) => decoderHarness((ctx) => new HttpDecoder(ctx), 8080, options);

/** Feeds each [dir, text] part whole, timestamps 1, 2, 3, … */
export function feed(parts: [Direction, string][], options: Record<string, unknown> = {}) {
  const h = harness(options);
  parts.forEach(([dir, text], i) => h.decoder.data(dir, Buffer.from(text, 'latin1'), i + 1));
  return h;
}

/** The same parts one byte per call (all bytes of part i at time i + 1). */
export function feedBytewise(parts: [Direction, string][], options: Record<string, unknown> = {}) {
  const h = harness(options);
  parts.forEach(([dir, text], i) => {
    const bytes = Buffer.from(text, 'latin1');
    for (let b = 0; b < bytes.length; b++) h.decoder.data(dir, bytes.subarray(b, b + 1), i + 1);
  });
  return h;
}

/** A message without its conversation and the request a response names, for compact expectations. */
export function plain(msg: L7Message) {
  const { conv: _conv, request: _request, ...rest } = msg;
  return rest;
}
