import type { ProtocolModule } from '../types.js';
import { DnsDecoder } from './decoder.js';
import { detectDns } from './detect.js';
import { DNS_OPTION_NAMES } from './options.js';
import { LLMNR_PORT, MDNS_PORT } from './variants.js';

/**
 * DNS (RFC 1035) over UDP, a message per datagram, and over TCP, length-prefixed with any
 * number of messages per connection. A response is paired with the pending query of its
 * conversation (5-tuple) carrying the same id; a query with none is `unanswered` after
 * `match.request_timeout`. A response with no pending query (an unsolicited or duplicate
 * answer, a one-sided tap) is a roundtrip of its own with `partial: "request_missing"`.
 *
 * mDNS (RFC 6762, port 5353) and LLMNR (RFC 4795, port 5355) are DNS-shaped protocols of their
 * own: decoded here, recorded as `dns` with `network.protocol.name` "mdns" or "llmnr" (by the
 * server's port). A query sent to a multicast group gets its answers on other conversations
 * (mDNS: from each responder to the group; LLMNR: from each responder back to the asker's
 * port): it is a roundtrip of its own at once (status ok, no response, like a no-reply
 * request), and each answer a lone response (`partial: "request_missing"`), as are mDNS
 * announcements, which no query asked for. A unicast query (mDNS legacy unicast, LLMNR to a
 * unicast address) pairs by id as in DNS. NetBIOS name service (udp/137) has a DNS-shaped
 * header but is not DNS: content detection says no to its encoded names.
 *
 * Attributes, on the query and the response (which repeats its query's question):
 * - `dns.question.name`: the first question's name as dig prints it, without the trailing dot
 *   ("www.example.com"; "." for the root; unprintable bytes as `\DDD`)
 * - `dns.question.type`: "A", "AAAA", "NULL", …, every mnemonic of the IANA registry; a type
 *   without one is its number as text ("65280")
 * - `dns.question.class`: the class number, only when not IN (mDNS: its top bit aside)
 * - `dns.question.unicast_response`: mDNS only, true when the question asks for a unicast answer
 * - `dns.opcode`: "NOTIFY", "UPDATE", …, only when not a standard QUERY
 * - `network.protocol.name`: "mdns" or "llmnr"; absent for DNS
 * - `dns.name_truncated`: true when a name of the message ran past 255 bytes on the wire: the
 *   message is kept, that name cut after the labels that fit (also counted, `name_too_long`)
 *
 * on the query:
 * - `dns.edns.udp_payload_size`, `dns.edns.dnssec_ok`: when the query carries an OPT record (EDNS)
 *
 * and on the response:
 * - `dns.response_code`: "NOERROR", "NXDOMAIN", "SERVFAIL", … (extended by the OPT record, e.g.
 *   "BADVERS"); a code without a mnemonic is its number as text
 * - `dns.answer.count`: the answer section's record count
 * - `dns.flags.truncated`: the TC bit (the client is expected to retry over TCP)
 * - `error.type`: the response code, when the roundtrip is an error
 *
 * Status: `error` for every response code but NOERROR and NXDOMAIN. NXDOMAIN is `ok`: the
 * server answered, and "no such name" is as routine as an HTTP 404 (a resolver walking its
 * search list gets one per suffix); filter on `dns.response_code` to find them.
 *
 * The request object of the record holds the message `id` (decimal, as dig prints it); the
 * response object holds the `id` too, and `answers` (and `authorities` when the authority
 * section has records): `{ name, type, ttl, data }` each, `data` in presentation form for A,
 * AAAA, NS, CNAME, PTR, DNAME, MX, SRV, SOA, TXT, SPF and URI, the first `max_records` (option,
 * default 16) of each section. `size` is the message's bytes on the wire, with the two-byte
 * length prefix over TCP.
 *
 * Compression pointers may point backwards or forwards; a name that comes back to a place it
 * already read is a loop. Malformed messages are counted decode errors
 * (`packetd_decode_errors_total{protocol=dns}`, reason `short_message`, `truncated`,
 * `bad_label_type`, `bad_pointer` (past the message's end), `name_pointer_loop`,
 * `name_pointer_chain` (more than 127 jumps in one name), `bad_rdata`; over TCP also
 * `bad_length` and `gap_in_message`, after which it resyncs on a segment that starts with a
 * message). A message whose header or question cannot be read is skipped; one whose later
 * records cannot is kept with what was read (not an error for a reply flagged TC, which may
 * stop short). `name_too_long` counts messages kept with a cut name.
 */
export const dns: ProtocolModule = {
  name: 'dns',
  transport: 'both',
  defaultPorts: [53, MDNS_PORT, LLMNR_PORT],
  match: 'id',
  detect: detectDns,
  createDecoder: (ctx) => new DnsDecoder(ctx),
  optionNames: DNS_OPTION_NAMES,
};
