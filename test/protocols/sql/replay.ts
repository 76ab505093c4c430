/**
 * Feeds a bundled capture's TCP payloads straight into an SQL protocol decoder (as tshark reads
 * them, in frame order), so decoder tests can cut, split and corrupt real traffic.
 */
import { execFileSync } from 'node:child_process';
import type { L7Message } from '../../../src/model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../../src/model/stream.js';
import type { DecoderContext, StreamDecoder } from '../../../src/protocols/types.js';
import { harness as decoderHarness } from '../../helpers/decoder-harness.js';

export interface Segment {
  dir: Direction;
  ts: number;
  bytes: Buffer;
}

/** The data segments of the first TCP conversation of `file` holding `serverPort` traffic. */
export function segments(file: string, serverPort: number, stream = 0): Segment[] {
  const out = execFileSync('tshark', ['-r', file, '-n', '-Y', `tcp.stream==${stream} && tcp.len>0`, '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.payload'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.trim().split('\n').map((line, i) => {
    const [port, hex] = line.split('\t');
    return { dir: Number(port) === serverPort ? SERVER_TO_CLIENT : CLIENT_TO_SERVER, ts: i + 1, bytes: Buffer.from(hex!, 'hex') };
  });
}

export const harness = (create: (ctx: DecoderContext) => StreamDecoder, options: Record<string, unknown> = {}) =>
  decoderHarness(create, 5432, options);

/** What a roundtrip pairing reports, without times and the conversation. */
export function pairs(messages: L7Message[]) {
  return messages.map((m) => ({ type: m.type, attributes: m.request?.attributes ?? m.attributes, response: m.type === 'response' ? m.attributes : undefined, size: m.size }));
}
