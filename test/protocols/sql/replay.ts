/**
 * Feeds a bundled capture's TCP payloads straight into an SQL protocol decoder (as tshark reads
 * them, in frame order), so decoder tests can cut, split and corrupt real traffic.
 */
import { execFileSync } from 'node:child_process';
import type { L7Message } from '../../../src/model/message.js';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT, type Direction } from '../../../src/model/stream.js';
import { Stats } from '../../../src/pipeline/stats.js';
import type { DecoderContext, StreamDecoder } from '../../../src/protocols/types.js';

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

export function harness(create: (ctx: DecoderContext) => StreamDecoder, options: Record<string, unknown> = {}) {
  const messages: L7Message[] = [];
  const errors: string[] = [];
  const released: string[] = [];
  const decoder = create({
    conv: { id: 1, transport: 'tcp', client: { address: '10.0.0.1', port: 40000 }, server: { address: '10.0.0.2', port: 5432 }, rolesGuessed: false, start: 0 },
    options,
    stats: new Stats(),
    emit: (msg) => messages.push(msg),
    error: (reason) => errors.push(reason),
    release: (reason) => released.push(reason),
    swapRoles: () => undefined,
  });
  return { decoder, messages, errors, released };
}

/** What a roundtrip pairing reports, without times and the conversation. */
export function pairs(messages: L7Message[]) {
  return messages.map((m) => ({ type: m.type, attributes: m.request?.attributes ?? m.attributes, response: m.type === 'response' ? m.attributes : undefined, size: m.size }));
}
