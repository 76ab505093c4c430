import { TCP_ACK, TCP_FIN, TCP_SYN, type TcpFacts } from '../model/packet.js';
import type { Direction } from '../model/stream.js';
import type { TcpFlow } from './flow.js';
import { seqDiff } from './seq.js';

/**
 * How far from where a direction stands a packet may be and still continue it after a reset:
 * 1 MiB, more than the data in flight on most paths, while a packet of an unrelated connection
 * lands this close by chance about once in 2000.
 */
const CONTINUATION_WINDOW = 1 << 20;

/**
 * Whether the receiver of a RST sent in `dir` acts on it, as far as the capture shows the
 * receiver's state. RFC 5961 §3 (as Linux and FreeBSD implement it): a RST resets only when its
 * sequence number is exactly the next one the receiver expects; one elsewhere in the window
 * gets a challenge ACK (and a real peer then answers with an exact RST), one outside is
 * dropped. In SYN-SENT (RFC 793 §3.9) a RST counts only with an ACK of the SYN.
 *
 * The receiver expects what the capture delivered in `dir`, or what it last acknowledged (it may
 * have received bytes the capture missed), or the end of what is buffered past a hole; after
 * the sender's FIN, the FIN's own number too (Linux, in CLOSE-WAIT, LAST-ACK and CLOSING).
 * With nothing known of the sender's numbers (a conversation joined mid-stream), the RST is
 * taken.
 */
export function resetAcceptable(flow: TcpFlow, dir: Direction, tcp: TcpFacts): boolean {
  const sender = flow.halves[dir];
  const receiver = flow.halves[dir ^ 1];
  if (receiver.isn !== -1 && !sender.synced && sender.peerAck === -1) {
    // The receiver sent a SYN and has heard nothing of the sender's: SYN-SENT.
    if ((tcp.flags & TCP_ACK) === 0) return false;
    return seqDiff(tcp.ack, receiver.isn) > 0 && seqDiff(tcp.ack, receiver.nextSeq) <= 0;
  }
  const seq = tcp.seq;
  if (sender.peerAck !== -1 && seq === sender.peerAck) return true;
  if (!sender.synced) return sender.peerAck === -1;
  if (seq === sender.nextSeq || seq === sender.finSeq) return true;
  const segments = sender.segments;
  if (segments.length === 0) return false;
  const last = segments[segments.length - 1];
  return seq === ((last.seq + last.length) >>> 0);
}

/**
 * Whether a packet on a conversation held after a reset shows that the endpoints went on: it
 * carries data, a SYN or a FIN, and its sequence number continues its direction (or, for a
 * direction not heard from yet, its ACK continues the other one). Pure ACKs do not count: one
 * sent before the reset arrived crosses it on the wire.
 */
export function continuesAfterReset(flow: TcpFlow, dir: Direction, tcp: TcpFacts, payloadLength: number): boolean {
  if (payloadLength === 0 && (tcp.flags & (TCP_SYN | TCP_FIN)) === 0) return false;
  const half = flow.halves[dir];
  if (half.synced) return near(tcp.seq, half.nextSeq);
  const peer = flow.halves[dir ^ 1];
  return (tcp.flags & TCP_ACK) !== 0 && peer.synced && near(tcp.ack, peer.nextSeq);
}

function near(seq: number, expected: number): boolean {
  const distance = seqDiff(seq, expected);
  return distance <= CONTINUATION_WINDOW && distance >= -CONTINUATION_WINDOW;
}
