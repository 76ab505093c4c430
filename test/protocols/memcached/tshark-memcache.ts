/**
 * tshark's reading of memcached traffic (its MEMCACHE dissector), for the golden tests.
 * tshark 4.0 reads every binary packet, but not every text command (touch, gat, numeric
 * replies, …): text captures are compared by the commands it does read and by bytes.
 */
import { execFileSync } from 'node:child_process';

const AGGREGATOR = '\u001f';

export interface TsharkBinaryPacket {
  fromClient: boolean;
  opcode: number;
  opaque: number;
  /** Responses only. */
  status: number | undefined;
}

export interface TsharkMemcache {
  /** Text command names tshark read, in capture order. */
  textCommands: string[];
  binary: TsharkBinaryPacket[];
  clientBytes: number;
  serverBytes: number;
}

export function tsharkMemcache(file: string, serverPort: number): TsharkMemcache {
  const out = execFileSync(
    'tshark',
    [
      '-r', file, '-n', '-d', `tcp.port==${serverPort},memcache`, '-Y', `tcp.port==${serverPort}`,
      '-T', 'fields', '-E', 'separator=/t', '-E', `aggregator=${AGGREGATOR}`, '-E', 'occurrence=a',
      '-e', 'tcp.srcport', '-e', 'tcp.len', '-e', 'memcache.command',
      '-e', 'memcache.magic', '-e', 'memcache.opcode', '-e', 'memcache.opaque', '-e', 'memcache.status',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const result: TsharkMemcache = { textCommands: [], binary: [], clientBytes: 0, serverBytes: 0 };
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [src = '', len = '0', commands = '', magics = '', opcodes = '', opaques = '', statuses = ''] = line.split('\t');
    const fromClient = Number(src) !== serverPort;
    if (fromClient) result.clientBytes += Number(len);
    else result.serverBytes += Number(len);
    const list = (cell: string) => (cell === '' ? [] : cell.split(AGGREGATOR));
    if (magics !== '') {
      const opcodeList = list(opcodes);
      const opaqueList = list(opaques);
      const statusList = list(statuses);
      list(magics).forEach((_, i) => {
        result.binary.push({
          fromClient,
          opcode: Number(opcodeList[i]),
          opaque: Number(opaqueList[i]),
          status: fromClient ? undefined : Number(statusList[i]),
        });
      });
    } else if (fromClient) {
      result.textCommands.push(...list(commands));
    }
  }
  return result;
}
