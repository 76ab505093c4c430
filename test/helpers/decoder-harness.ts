/** Drives one StreamDecoder by hand, its context wired to arrays instead of a pipeline. */
import { expect } from 'vitest';
import type { L7Message } from '../../src/model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Conversation, type Direction } from '../../src/model/stream.js';
import { Stats } from '../../src/pipeline/stats.js';
import type { DecoderContext, StreamDecoder } from '../../src/protocols/types.js';

export const C2S = CLIENT_TO_SERVER;
export const S2C = SERVER_TO_CLIENT;


/** A TCP conversation from 10.0.0.1:40000 to 10.0.0.2:`port`. */
export function conversation(port: number): Conversation {
  return {
    id: 1,
    transport: 'tcp',
    client: { address: '10.0.0.1', port: 40000 },
    server: { address: '10.0.0.2', port },
    rolesGuessed: false,
    start: 0,
  };
}

export function harness<D extends StreamDecoder>(create: (ctx: DecoderContext) => D, port: number, options: Record<string, unknown> = {}) {
  const messages: L7Message[] = [];
  const errors: string[] = [];
  const released: string[] = [];
  const stats = new Stats();
  const decoder = create({
    conv: conversation(port),
    options,
    stats,
    emit: (msg) => messages.push(msg),
    error: (reason) => errors.push(reason),
    release: (reason) => released.push(reason),
    swapRoles: () => undefined,
  });
  return { decoder, messages, errors, released, stats };
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

/** A fresh decoder fed `parts` (whole or bytewise), then ended at time 99. */
export function decodeParts<D extends StreamDecoder>(create: (ctx: DecoderContext) => D, port: number, parts: Part[], options: Record<string, unknown> = {}, bytewise = false) {
  const h = harness(create, port, options);
  feedParts(h.decoder, parts, bytewise);
  h.decoder.end(99);
  return h;
}

/** Decodes `parts` whole and one byte per packet: the reading must not depend on packet boundaries. */
export function decodeBothWays<D extends StreamDecoder>(create: (ctx: DecoderContext) => D, port: number, parts: Part[], options: Record<string, unknown> = {}) {
  const whole = decodeParts(create, port, parts, options);
  const bytewise = decodeParts(create, port, parts, options, true);
  expect(bytewise.messages.map(summary)).toEqual(whole.messages.map(summary));
  expect(bytewise.errors).toEqual(whole.errors);
  return whole;
}

/** What a message says, without its conversation and times. */
export function summary(msg: L7Message) {
  return { type: msg.type, size: msg.size, attributes: msg.attributes, error: msg.error, noReply: msg.noReply, details: msg.details };
}
