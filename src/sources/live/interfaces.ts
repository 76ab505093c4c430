import { networkInterfaces } from 'node:os';
import { loadCap } from './cap-binding.js';
import type { InterfaceSelection } from './config.js';

export interface InterfaceInfo {
  name: string;
  description: string | undefined;
  addresses: string[];
  loopback: boolean;
}

/**
 * Interfaces libpcap can capture on, with their addresses. Without the cap addon, the
 * interfaces the OS reports addresses for (what `packetd ifaces` can still show).
 */
export function listInterfaces(): InterfaceInfo[] {
  let devices;
  try {
    devices = loadCap().Cap.deviceList();
  } catch {
    return Object.entries(networkInterfaces()).map(([name, addresses]) => ({
      name,
      description: undefined,
      addresses: (addresses ?? []).map((a) => a.cidr ?? a.address),
      loopback: (addresses ?? []).some((a) => a.internal),
    }));
  }
  return devices.map((d) => ({
    name: d.name,
    description: d.description,
    addresses: d.addresses.filter((a) => a.addr !== undefined).map((a) => (a.netmask ? `${a.addr}/${prefixLength(a.netmask)}` : a.addr)),
    loopback: (d.flags ?? '').includes('LOOPBACK'),
  }));
}

/** "255.255.255.0" → 24, "ffff:ffff::" → 32. */
function prefixLength(netmask: string): number {
  let bits = 0;
  const groups = netmask.includes(':') ? netmask.split(':').map((g) => parseInt(g || '0', 16)) : netmask.split('.').map(Number);
  for (const g of groups) bits += g.toString(2).replace(/0/g, '').length;
  return bits;
}

/**
 * The interface names a selection means. Names must exist; a regex must match at least one;
 * "any" is libpcap's pseudo-interface (every interface, Linux cooked framing). Throws a
 * one-line error naming the interfaces there are.
 */
export function selectInterfaces(selection: InterfaceSelection, available: string[]): string[] {
  if (selection === 'any') return ['any'];
  const known = `interfaces: ${available.join(', ')}`;
  if (Array.isArray(selection)) {
    const missing = selection.filter((name) => !available.includes(name));
    if (missing.length > 0) throw new Error(`no interface named ${missing.map((n) => `"${n}"`).join(', ')} (${known})`);
    return [...new Set(selection)];
  }
  const pattern = new RegExp(selection.regex);
  const matched = available.filter((name) => name !== 'any' && pattern.test(name));
  if (matched.length === 0) throw new Error(`no interface matches /${selection.regex}/ (${known})`);
  return matched;
}
