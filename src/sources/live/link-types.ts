import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NULL, LINKTYPE_RAW } from '../../frames/link.js';

/** cap names the link types it knows; anything else comes back as libpcap's own description. */
const CAP_LINK_TYPES: Record<string, number> = {
  ETHERNET: LINKTYPE_ETHERNET,
  NULL: LINKTYPE_NULL,
  LINKTYPE_LINUX_SLL: LINKTYPE_LINUX_SLL,
  RAW: LINKTYPE_RAW,
};

/** The LINKTYPE_* number for cap's name, or undefined for a link type packetd cannot decode. */
export function linkTypeOf(capName: string): number | undefined {
  return CAP_LINK_TYPES[capName];
}
