import type { ProtocolModule } from '../types.js';
import { DnsDecoder } from './decoder.js';
import { detectDns } from './detect.js';
import { DNS_OPTION_NAMES } from './options.js';

/**
 * DNS (RFC 1035) over UDP, a message per datagram, and over TCP, length-prefixed with any
 * number of messages per connection. A response is paired with the pending query of its
 * conversation (5-tuple) carrying the same id; a query with none is `unanswered` after
 * `match.request_timeout`.
 *
 * Attributes, on the query:
 * - `dns.question.name`: the first question's name as dig prints it, without the trailing dot
 *   ("www.example.com"; "." for the root; unprintable bytes as `\DDD`)
 * - `dns.question.type`: "A", "AAAA", "MX", …; a type without a mnemonic is its number as text ("65280")
 * - `dns.question.class`: the class number, only when not IN
 * - `dns.opcode`: "NOTIFY", "UPDATE", …, only when not a standard QUERY
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
 * response object holds `answers` (and `authorities` when the authority section has records):
 * `{ name, type, ttl, data }` each, `data` in presentation form for A, AAAA, NS, CNAME, PTR,
 * DNAME, MX, SRV, SOA, TXT, SPF and URI, the first `max_records` (option, default 16) of each
 * section. `size` is the message's bytes on the wire, with the two-byte length prefix over TCP.
 *
 * Malformed messages are counted decode errors (`packetd_decode_errors_total{protocol=dns}`,
 * reason `short_message`, `truncated`, `bad_label_type`, `name_pointer_loop` for compression
 * pointers that do not point strictly backwards, `name_too_long` past 255 bytes, `bad_rdata`;
 * over TCP also `bad_length` and `gap_in_message`, after which it resyncs on a segment that
 * starts with a message). A message whose header or question cannot be read is skipped; one
 * whose later records cannot is kept with what was read (not an error for a reply flagged TC,
 * which may stop short).
 */
export const dns: ProtocolModule = {
  name: 'dns',
  transport: 'both',
  defaultPorts: [53],
  match: 'id',
  detect: detectDns,
  createDecoder: (ctx) => new DnsDecoder(ctx),
  optionNames: DNS_OPTION_NAMES,
};
