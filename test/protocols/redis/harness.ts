import type { L7Message } from '../../../src/model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Conversation, type Direction } from '../../../src/model/stream.js';
import { Stats } from '../../../src/pipeline/stats.js';
import type { StreamDecoder } from '../../../src/protocols/types.js';
import type { DecoderContext } from '../../../src/protocols/types.js';

export const C2S = CLIENT_TO_SERVER;
export const S2C = SERVER_TO_CLIENT;

function conversation(port: number): Conversation {
  return {
    id: 1,
    transport: 'tcp',
    client: { address: '10.0.0.1', port: 40000 },
    server: { address: '10.0.0.2', port },
    rolesGuessed: false,
    start: 0,
  };
}

/** A decoder wired to arrays instead of a pipeline. */
export function harness(create: (ctx: DecoderContext) => StreamDecoder, port: number, options: Record<string, unknown> = {}) {
  const messages: L7Message[] = [];
  const errors: string[] = [];
  const stats = new Stats();
  const decoder = create({
    conv: conversation(port),
    options,
    stats,
    emit: (msg) => messages.push(msg),
    error: (reason) => errors.push(reason),
    release: () => undefined,
    swapRoles: () => undefined,
  });
  return { decoder, messages, errors, stats };
}

export type Part = [Direction, string | Buffer];

const bytesOf = (data: string | Buffer): Buffer => (typeof data === 'string' ? Buffer.from(data, 'latin1') : data);

/** Feeds each part whole (part i at time i + 1), or one byte per call when `bytewise`. */
export function feedParts(decoder: StreamDecoder, parts: Part[], bytewise = false): void {
  parts.forEach(([dir, data], i) => {
    const bytes = bytesOf(data);
    if (!bytewise) decoder.data(dir, bytes, i + 1);
    else for (let b = 0; b < bytes.length; b++) decoder.data(dir, bytes.subarray(b, b + 1), i + 1);
  });
}

/** What a message says, without its conversation and times. */
export function summary(msg: L7Message) {
  return { type: msg.type, size: msg.size, attributes: msg.attributes, error: msg.error, noReply: msg.noReply, details: msg.details };
}
