import type { Attributes } from '../../model/message.js';
import { CLASS_IN, OPCODE_QUERY, RCODE_NOERROR, RCODE_NXDOMAIN, opcodeName, responseCodeName, typeName } from './codes.js';
import type { DnsMessage } from './message.js';

/**
 * NOERROR and NXDOMAIN are answers: the server did its job, and NXDOMAIN is as routine as an
 * HTTP 404 (resolvers walking a search list get one per suffix). Every other code (SERVFAIL,
 * REFUSED, FORMERR, NOTIMP, …) is a failure of the exchange.
 */
export function isErrorResponseCode(rcode: number): boolean {
  return rcode !== RCODE_NOERROR && rcode !== RCODE_NXDOMAIN;
}

/** What the query asks: the first question, EDNS when offered, the opcode when not a plain QUERY. */
export function requestAttributes(query: DnsMessage): Attributes {
  const attributes: Attributes = {};
  const question = query.question;
  if (question !== undefined) {
    attributes['dns.question.name'] = question.name;
    attributes['dns.question.type'] = typeName(question.type);
    if (question.class !== CLASS_IN) attributes['dns.question.class'] = question.class;
  }
  if (query.opcode !== OPCODE_QUERY) attributes['dns.opcode'] = opcodeName(query.opcode);
  if (query.edns !== undefined) {
    attributes['dns.edns.udp_payload_size'] = query.edns.udpPayloadSize;
    attributes['dns.edns.dnssec_ok'] = query.edns.dnssecOk;
  }
  return attributes;
}

/** What the answer says: response code (extended by EDNS), answer count, truncation. */
export function responseAttributes(response: DnsMessage): Attributes {
  const code = responseCodeName(response.rcode);
  const attributes: Attributes = {
    'dns.response_code': code,
    'dns.answer.count': response.answerCount,
    'dns.flags.truncated': response.truncated,
  };
  if (isErrorResponseCode(response.rcode)) attributes['error.type'] = code;
  return attributes;
}

/** The kept answer records, and the authority ones when there are any (SOA of a negative answer, referrals). */
export function responseDetails(response: DnsMessage): Record<string, unknown> {
  return response.authorities.length === 0
    ? { answers: response.answers }
    : { answers: response.answers, authorities: response.authorities };
}
