import { TCP_ACK, TCP_SYN, type Packet } from '../model/packet.js';

/** Who the client of a new conversation is, decided once from its first packet. */
export interface Roles {
  clientIsSource: boolean;
  guessed: boolean;
}

const WELL_KNOWN_PORT_LIMIT = 1024;

/**
 * SYN sender is the client, SYN-ACK sender the server; joined mid-stream, the lower port is the
 * server's (on a tie, the first packet's destination).
 */
export function tcpRoles(p: Packet, flags: number): Roles {
  const handshake = flags & (TCP_SYN | TCP_ACK);
  if (handshake === TCP_SYN) return { clientIsSource: true, guessed: false };
  if (handshake === (TCP_SYN | TCP_ACK)) return { clientIsSource: false, guessed: false };
  return { clientIsSource: p.srcPort >= p.dstPort, guessed: true };
}

/** The first datagram's sender is the client, unless it comes from a well-known port to an ephemeral one. */
export function udpRoles(p: Packet): Roles {
  const fromWellKnown = p.srcPort < WELL_KNOWN_PORT_LIMIT && p.dstPort >= WELL_KNOWN_PORT_LIMIT;
  return { clientIsSource: !fromWellKnown, guessed: true };
}
