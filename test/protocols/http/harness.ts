import type { L7Message } from '../../../src/model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Conversation, type Direction } from '../../../src/model/stream.js';
import { Stats } from '../../../src/pipeline/stats.js';
import { HttpDecoder } from '../../../src/protocols/http/decoder.js';

export const C2S = CLIENT_TO_SERVER;
export const S2C = SERVER_TO_CLIENT;

export function conversation(id = 1): Conversation {
  return {
    id,
    transport: 'tcp',
    client: { address: '10.0.0.1', port: 40000 },
    server: { address: '10.0.0.2', port: 8080 },
    rolesGuessed: false,
    start: 0,
  };
}

/** An HTTP decoder wired to arrays instead of a pipeline. */
export function harness(options: Record<string, unknown> = {}) {
  const messages: L7Message[] = [];
  const errors: string[] = [];
  const released: string[] = [];
  const stats = new Stats();
  const decoder = new HttpDecoder({
    conv: conversation(),
    options,
    stats,
    emit: (msg) => messages.push(msg),
    error: (reason) => errors.push(reason),
    release: (reason) => released.push(reason),
    swapRoles: () => undefined,
  });
  return { decoder, messages, errors, released };
}

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

/** A message without its conversation, for compact expectations. */
export function plain(msg: L7Message) {
  const { conv: _conv, ...rest } = msg;
  return rest;
}
