import type { Counter, Stats } from '../pipeline/stats.js';

/**
 * Why a frame could not be decoded. Parsers return one of these codes (0 = fine) so the hot
 * path never builds strings; the decoder turns a code into a counter bump.
 */
export const OK = 0;
export const LINK_HEADER_TRUNCATED = 1;
export const VLAN_TOO_MANY_TAGS = 2;
export const IPV4_TRUNCATED = 3;
export const IPV4_BAD_VERSION = 4;
export const IPV4_BAD_HEADER_LENGTH = 5;
export const IPV4_BAD_TOTAL_LENGTH = 6;
export const IPV6_TRUNCATED = 7;
export const IPV6_BAD_VERSION = 8;
export const IPV6_BAD_PAYLOAD_LENGTH = 9;
export const IPV6_EXTENSION_TRUNCATED = 10;
export const IPV6_TOO_MANY_EXTENSIONS = 11;
export const FRAGMENT_TRUNCATED = 12;
export const FRAGMENT_BAD_LENGTH = 13;
export const FRAGMENT_TOO_LARGE = 14;
export const FRAGMENT_INCONSISTENT = 15;
export const TCP_TRUNCATED = 16;
export const TCP_BAD_HEADER_LENGTH = 17;
export const UDP_TRUNCATED = 18;
export const UDP_BAD_LENGTH = 19;
export const TUNNEL_TOO_DEEP = 20;
export const VXLAN_TRUNCATED = 21;
export const GENEVE_TRUNCATED = 22;
export const GRE_TRUNCATED = 23;
export const GRE_UNSUPPORTED = 24;
export const ERSPAN_TRUNCATED = 25;
export const ERSPAN_BAD_VERSION = 26;
export const MPLS_TRUNCATED = 27;
export const MPLS_TOO_MANY_LABELS = 28;
export const PPPOE_TRUNCATED = 29;

/** Layer and reason labels of each code, at index code - 1. */
const LABELS: ReadonlyArray<readonly [layer: string, reason: string]> = [
  ['link', 'truncated'],
  ['vlan', 'too_many_tags'],
  ['ipv4', 'truncated'],
  ['ipv4', 'bad_version'],
  ['ipv4', 'bad_header_length'],
  ['ipv4', 'bad_total_length'],
  ['ipv6', 'truncated'],
  ['ipv6', 'bad_version'],
  ['ipv6', 'bad_payload_length'],
  ['ipv6', 'extension_truncated'],
  ['ipv6', 'too_many_extensions'],
  ['ip_fragment', 'truncated'],
  ['ip_fragment', 'bad_length'],
  ['ip_fragment', 'too_large'],
  ['ip_fragment', 'inconsistent'],
  ['tcp', 'truncated'],
  ['tcp', 'bad_header_length'],
  ['udp', 'truncated'],
  ['udp', 'bad_length'],
  ['tunnel', 'too_deep'],
  ['vxlan', 'truncated'],
  ['geneve', 'truncated'],
  ['gre', 'truncated'],
  ['gre', 'unsupported'],
  ['erspan', 'truncated'],
  ['erspan', 'bad_version'],
  ['mpls', 'truncated'],
  ['mpls', 'too_many_labels'],
  ['pppoe', 'truncated'],
];

/** One counter per code (at index code - 1), created once so counting is a field increment. */
export function decodeErrorCounters(stats: Stats): Counter[] {
  return LABELS.map(([layer, reason]) =>
    stats.counter('packetd_decode_errors_total', 'Frames or fragments skipped as malformed or truncated', { layer, reason }),
  );
}
