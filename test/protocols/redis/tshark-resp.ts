/**
 * tshark's reading of Redis traffic (its RESP dissector), for the golden tests. tshark 4.0
 * reads RESP2 arrays of bulk strings (every command) but not inline commands, and marks the
 * RESP3-only reply types as fragments, so only commands and byte counts are compared with it.
 */
import { execFileSync } from 'node:child_process';

const AGGREGATOR = '\u001f';

export interface TsharkCommand {
  /** The client's port: the conversation. */
  clientPort: number;
  /** Arguments as sent (the command name first). */
  args: string[];
}

export interface TsharkRedis {
  commands: TsharkCommand[];
  /** TCP payload bytes per client port, sent by the client / by the server. */
  clientBytes: Map<number, number>;
  serverBytes: Map<number, number>;
}

function add(map: Map<number, number>, key: number, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/**
 * Commands in capture order, from the frames where tshark read them whole: a frame that ends
 * a command cut over several segments repeats the arguments of the earlier segments, and only
 * the frame where the bulk strings add up to the arrays' lengths holds complete commands.
 */
export function tsharkRedis(file: string, serverPort: number): TsharkRedis {
  const out = execFileSync(
    'tshark',
    [
      '-r', file, '-n', '-d', `tcp.port==${serverPort},resp`, '-Y', `tcp.port==${serverPort}`,
      '-T', 'fields', '-E', 'separator=/t', '-E', `aggregator=${AGGREGATOR}`, '-E', 'occurrence=a',
      '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.len', '-e', 'resp.array.length', '-e', 'resp.bulk_string.value',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const result: TsharkRedis = { commands: [], clientBytes: new Map(), serverBytes: new Map() };
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [src = '', dst = '', len = '0', lengths = '', values = ''] = line.split('\t');
    const fromServer = Number(src) === serverPort;
    const clientPort = Number(fromServer ? dst : src);
    add(fromServer ? result.serverBytes : result.clientBytes, clientPort, Number(len));
    if (fromServer || lengths === '') continue;
    const counts = lengths.split(AGGREGATOR).map(Number);
    const bulks = values === '' ? [] : values.split(AGGREGATOR);
    if (counts.reduce((a, b) => a + b, 0) !== bulks.length) continue;
    let at = 0;
    for (const n of counts) {
      result.commands.push({ clientPort, args: bulks.slice(at, at + n).map((hex) => Buffer.from(hex.replace(/:/g, ''), 'hex').toString('latin1')) });
      at += n;
    }
  }
  return result;
}
