import type { Packet } from '../model/packet.js';

/**
 * Canonical 5-tuple key: both directions of a conversation map to the same string, the
 * lower endpoint first. Built only when a packet finds no tracked flow (see flowHash).
 */
export function flowKey(p: Packet): string {
  const srcFirst = p.src < p.dst || (p.src === p.dst && p.srcPort <= p.dstPort);
  return srcFirst
    ? p.src + ' ' + p.srcPort + ' ' + p.dst + ' ' + p.dstPort
    : p.dst + ' ' + p.dstPort + ' ' + p.src + ' ' + p.srcPort;
}

/** Last two characters of an address, the part that differs most between hosts. */
function addressTail(address: string): number {
  const n = address.length;
  return address.charCodeAt(n - 1) * 31 + address.charCodeAt(n - 2);
}

/**
 * The same 32-bit number for both directions of a conversation, from the ports and the tails
 * of the addresses. Looking flows up by it costs no string building or string hashing (which
 * a string key pays per packet, as the addresses are fresh strings); equal hashes are told
 * apart by comparing endpoints.
 */
export function flowHash(p: Packet): number {
  const low = p.srcPort < p.dstPort ? p.srcPort : p.dstPort;
  const high = p.srcPort < p.dstPort ? p.dstPort : p.srcPort;
  return ((high << 16) | low) ^ Math.imul(addressTail(p.src) + addressTail(p.dst), 0x9e3779b1);
}
