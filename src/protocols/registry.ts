import { dns } from './dns/index.js';
import { http } from './http/index.js';
import { memcached } from './memcached/index.js';
import { mysql } from './mysql/index.js';
import { postgresql } from './postgresql/index.js';
import { grpc, http2 } from './http2/index.js';
import { redis } from './redis/index.js';
import type { ProtocolModule } from './types.js';

const modules = new Map<string, ProtocolModule>();

/** Adds (or replaces) a protocol; built-in ones are registered when this module loads. */
export function registerProtocol(mod: ProtocolModule): void {
  modules.set(mod.name, mod);
}

export function getProtocol(name: string): ProtocolModule | undefined {
  return modules.get(name);
}

/** Registered protocol names, in registration order. */
export function protocolNames(): string[] {
  return [...modules.keys()];
}

registerProtocol(http);
registerProtocol(dns);
registerProtocol(redis);
registerProtocol(memcached);
registerProtocol(http2);
registerProtocol(grpc);
registerProtocol(postgresql);
registerProtocol(mysql);
