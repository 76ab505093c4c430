import { BlockList, isIP } from 'node:net';
import { filter as keepWhere } from 'rxjs';
import { z } from 'zod';
import type { RoundTrip } from '../model/roundtrip.js';
import type { ProcessorFactory } from '../pipeline/component.js';
import { portOption } from '../pipeline/schema.js';

/** A list, or a single value standing for a list of one. */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(item));
}

/** "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8" */
const addressOrNetwork = z.string().refine((text) => {
  const [address, prefix, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}, 'expected an IP address or a network like 10.0.0.0/8');

export const filterOptions = z.strictObject({
  protocol: oneOrMany(z.string()).optional(),
  transport: oneOrMany(z.enum(['tcp', 'udp'])).optional(),
  status: oneOrMany(z.enum(['ok', 'error', 'unanswered'])).optional(),
  /** What an incomplete roundtrip misses; `complete` matches the roundtrips that miss nothing. */
  partial: oneOrMany(z.enum(['request_missing', 'gap', 'framing', 'complete'])).optional(),
  /** Client or server address, exact or CIDR. */
  address: oneOrMany(addressOrNetwork).optional(),
  /** Client or server port. */
  port: oneOrMany(portOption).optional(),
  /** Attribute name → accepted value(s); a list-valued attribute matches if any element does. */
  attributes: z.record(z.string(), oneOrMany(z.union([z.string(), z.number(), z.boolean()]))).optional(),
  /** Drop the roundtrips that match instead of keeping them. */
  exclude: z.boolean().default(false),
});
export type FilterOptions = z.output<typeof filterOptions>;

type Test = (rt: RoundTrip) => boolean;

function addressTest(entries: string[]): Test {
  const networks = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) networks.addAddress(address, family);
    else networks.addSubnet(address, Number(prefix), family);
  }
  const contains = (address: string): boolean => networks.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  return (rt) => contains(rt.server.address) || contains(rt.client.address);
}

function attributeTest(name: string, accepted: (string | number | boolean)[]): Test {
  const wanted = new Set(accepted.map(String));
  return (rt) => {
    const value = rt.attributes[name];
    if (value === undefined) return false;
    return Array.isArray(value) ? value.some((v) => wanted.has(v)) : wanted.has(String(value));
  };
}

/** All given criteria must hold (a list means any of its values). */
export function compileFilter(options: Omit<FilterOptions, 'exclude'>): Test {
  const tests: Test[] = [];
  if (options.protocol) {
    const protocols = new Set(options.protocol);
    tests.push((rt) => protocols.has(rt.protocol));
  }
  if (options.transport) {
    const transports = new Set<string>(options.transport);
    tests.push((rt) => transports.has(rt.transport));
  }
  if (options.status) {
    const statuses = new Set<string>(options.status);
    tests.push((rt) => statuses.has(rt.status));
  }
  if (options.partial) {
    const partials = new Set<string>(options.partial);
    tests.push((rt) => partials.has(rt.partial ?? 'complete'));
  }
  if (options.address) tests.push(addressTest(options.address));
  if (options.port) {
    const ports = new Set(options.port);
    tests.push((rt) => ports.has(rt.server.port) || ports.has(rt.client.port));
  }
  for (const [name, accepted] of Object.entries(options.attributes ?? {})) tests.push(attributeTest(name, accepted));
  return (rt) => tests.every((test) => test(rt));
}

/**
 * Keeps the roundtrips that match every given criterion (or, with `exclude: true`, drops them).
 *
 * ```
 * filter({ status: ['error'] })
 * --a(ok)--b(error)--c(unanswered)--d(error)--|
 * ------------b------------------------d------|
 * ```
 */
export const filter: ProcessorFactory<FilterOptions> = (options) => {
  const matches = compileFilter(options);
  const keepIfMatches = !options.exclude;
  return keepWhere((rt) => matches(rt) === keepIfMatches);
};
