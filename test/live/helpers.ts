import { Agent as HttpAgent, request } from 'node:http';
import { Socket } from 'node:net';
import { capAvailable } from '../../src/sources/live/index.js';

export { freePort } from '../helpers/net.js';

/** Why live tests cannot run here, or undefined when they can. Printed, so a skip is never silent. */
export function liveSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'live capture tests need root (CAP_NET_RAW, CAP_NET_ADMIN); CI runs them as root';
  if (!capAvailable()) return 'live capture tests need the cap addon (install libpcap-dev, then npm rebuild cap)';
  return undefined;
}

export function skipNote(suite: string, reason: string | undefined): boolean {
  if (reason !== undefined) console.warn(`SKIPPED ${suite}: ${reason}`);
  return reason !== undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` GETs over `connections` keep-alive connections; resolves to the responses received. */
export async function httpGets(port: number, count: number, connections = 4, path = '/'): Promise<number> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: connections });
  let received = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume().on('end', () => {
          received++;
          resolve();
        });
      })
        .on('error', reject)
        .end();
    });
  for (let sent = 0; sent < count; sent += connections) {
    await Promise.all(Array.from({ length: Math.min(connections, count - sent) }, one));
  }
  agent.destroy();
  return received;
}

/** `count` Redis commands, one at a time on one connection (PING, SET, GET in turn); resolves to the replies read. */
export function redisCommands(port: number, count: number): Promise<number> {
  const commands = ['*1\r\n$4\r\nPING\r\n', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n', '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'];
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let replies = 0;
    socket.on('error', reject);
    socket.on('data', (data) => {
      // Every reply here is one line ("+PONG", "+OK") or a bulk string's two ("$5", "value").
      replies += data.toString().split('\r\n').filter((line) => line !== '' && !line.startsWith('$')).length;
      if (replies < count) socket.write(commands[replies % commands.length]);
      else socket.end(() => resolve(replies));
    });
    socket.connect(port, '127.0.0.1', () => socket.write(commands[0]));
  });
}
