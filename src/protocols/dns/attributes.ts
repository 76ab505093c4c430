import type { Attributes } from '../../model/message.js';
import { CLASS_IN, OPCODE_QUERY, RCODE_NOERROR, RCODE_NXDOMAIN, opcodeName, responseCodeName, typeName } from './codes.js';
import type { DnsMessage } from './message.js';
import { MDNS_UNICAST_RESPONSE_BIT, type DnsVariant } from './variants.js';

/**
 * NOERROR and NXDOMAIN are answers: the server did its job, and NXDOMAIN is as routine as an
 * HTTP 404 (resolvers walking a search list get one per suffix). Every other code (SERVFAIL,
 * REFUSED, FORMERR, NOTIMP, …) is a failure of the exchange.
 */
export function isErrorResponseCode(rcode: number): boolean {
  return rcode !== RCODE_NOERROR && rcode !== RCODE_NXDOMAIN;
}

/**
 * What both a query and its response say: the first question, the opcode when not a plain
 * QUERY, the variant, a name cut at 255 bytes. A response repeats its query's question, so a
 * response whose query was not seen still says what was asked.
 */
function messageAttributes(message: DnsMessage, variant: DnsVariant | undefined): Attributes {
  const attributes: Attributes = {};
  const question = message.question;
  if (question !== undefined) {
    attributes['dns.question.name'] = question.name;
    attributes['dns.question.type'] = typeName(question.type);
    let questionClass = question.class;
    if (variant === 'mdns' && (questionClass & MDNS_UNICAST_RESPONSE_BIT) !== 0) {
      questionClass &= ~MDNS_UNICAST_RESPONSE_BIT;
      attributes['dns.question.unicast_response'] = true;
    }
    if (questionClass !== CLASS_IN) attributes['dns.question.class'] = questionClass;
  }
  if (message.opcode !== OPCODE_QUERY) attributes['dns.opcode'] = opcodeName(message.opcode);
  if (variant !== undefined) attributes['network.protocol.name'] = variant;
  if (message.nameTruncated) attributes['dns.name_truncated'] = true;
  return attributes;
}

/** What the query asks, and EDNS when offered. */
export function requestAttributes(query: DnsMessage, variant: DnsVariant | undefined): Attributes {
  const attributes = messageAttributes(query, variant);
  if (query.edns !== undefined) {
    attributes['dns.edns.udp_payload_size'] = query.edns.udpPayloadSize;
    attributes['dns.edns.dnssec_ok'] = query.edns.dnssecOk;
  }
  return attributes;
}

/** What the answer says: response code (extended by EDNS), answer count, truncation. */
export function responseAttributes(response: DnsMessage, variant: DnsVariant | undefined): Attributes {
  const attributes = messageAttributes(response, variant);
  const code = responseCodeName(response.rcode);
  attributes['dns.response_code'] = code;
  attributes['dns.answer.count'] = response.answerCount;
  attributes['dns.flags.truncated'] = response.truncated;
  if (isErrorResponseCode(response.rcode)) attributes['error.type'] = code;
  return attributes;
}

/**
 * The message id, the kept answer records, and the authority ones when there are any (SOA of
 * a negative answer, referrals).
 */
export function responseDetails(response: DnsMessage): Record<string, unknown> {
  return response.authorities.length === 0
    ? { id: response.id, answers: response.answers }
    : { id: response.id, answers: response.answers, authorities: response.authorities };
}
