import type { Conversation } from '../../model/stream.js';

/**
 * DNS-shaped protocols with their own port, decoded by the DNS decoder and told apart by
 * `network.protocol.name`: Multicast DNS (RFC 6762) and LLMNR (RFC 4795). Plain DNS has none.
 */
export type DnsVariant = 'mdns' | 'llmnr';

export const MDNS_PORT = 5353;
export const LLMNR_PORT = 5355;

/**
 * By the server's port, once the roles are known: the responder's port, also for a legacy
 * unicast mDNS query sent from another port and for an LLMNR answer sent back to the asker's.
 */
export function variantOf(conv: Conversation): DnsVariant | undefined {
  const port = conv.server.port;
  return port === MDNS_PORT ? 'mdns' : port === LLMNR_PORT ? 'llmnr' : undefined;
}

/** 224.0.0.0/4 or ff00::/8, as addresses are written in the record. */
export function isMulticastAddress(address: string): boolean {
  if (address.includes(':')) return address.length > 2 && (address.charCodeAt(0) | 0x20) === 0x66 && (address.charCodeAt(1) | 0x20) === 0x66;
  const firstOctet = Number.parseInt(address, 10);
  return firstOctet >= 224 && firstOctet <= 239;
}

/** mDNS questions use the class's top bit to ask for a unicast answer (RFC 6762 §5.4). */
export const MDNS_UNICAST_RESPONSE_BIT = 0x8000;
