/** Mnemonics of DNS numbers (IANA "Domain Name System (DNS) Parameters"), as dig and tshark print them. */

/**
 * Every assigned TYPE of the IANA "Resource Record (RR) TYPEs" registry, obsolete and
 * experimental ones included (a capture may hold anything). 255 is "*" in the registry;
 * dig and tshark call it ANY.
 */
const TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'A'], [2, 'NS'], [3, 'MD'], [4, 'MF'], [5, 'CNAME'], [6, 'SOA'], [7, 'MB'], [8, 'MG'], [9, 'MR'],
  [10, 'NULL'], [11, 'WKS'], [12, 'PTR'], [13, 'HINFO'], [14, 'MINFO'], [15, 'MX'], [16, 'TXT'], [17, 'RP'],
  [18, 'AFSDB'], [19, 'X25'], [20, 'ISDN'], [21, 'RT'], [22, 'NSAP'], [23, 'NSAP-PTR'], [24, 'SIG'],
  [25, 'KEY'], [26, 'PX'], [27, 'GPOS'], [28, 'AAAA'], [29, 'LOC'], [30, 'NXT'], [31, 'EID'], [32, 'NIMLOC'],
  [33, 'SRV'], [34, 'ATMA'], [35, 'NAPTR'], [36, 'KX'], [37, 'CERT'], [38, 'A6'], [39, 'DNAME'], [40, 'SINK'],
  [41, 'OPT'], [42, 'APL'], [43, 'DS'], [44, 'SSHFP'], [45, 'IPSECKEY'], [46, 'RRSIG'], [47, 'NSEC'],
  [48, 'DNSKEY'], [49, 'DHCID'], [50, 'NSEC3'], [51, 'NSEC3PARAM'], [52, 'TLSA'], [53, 'SMIMEA'], [55, 'HIP'],
  [56, 'NINFO'], [57, 'RKEY'], [58, 'TALINK'], [59, 'CDS'], [60, 'CDNSKEY'], [61, 'OPENPGPKEY'], [62, 'CSYNC'],
  [63, 'ZONEMD'], [64, 'SVCB'], [65, 'HTTPS'], [66, 'DSYNC'], [67, 'HHIT'], [68, 'BRID'],
  [99, 'SPF'], [100, 'UINFO'], [101, 'UID'], [102, 'GID'], [103, 'UNSPEC'], [104, 'NID'], [105, 'L32'],
  [106, 'L64'], [107, 'LP'], [108, 'EUI48'], [109, 'EUI64'], [128, 'NXNAME'],
  [249, 'TKEY'], [250, 'TSIG'], [251, 'IXFR'], [252, 'AXFR'], [253, 'MAILB'], [254, 'MAILA'], [255, 'ANY'],
  [256, 'URI'], [257, 'CAA'], [258, 'AVC'], [259, 'DOA'], [260, 'AMTRELAY'], [261, 'RESINFO'], [262, 'WALLET'],
  [263, 'CLA'], [264, 'IPN'], [32768, 'TA'], [32769, 'DLV'],
]);

const RESPONSE_CODES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET',
  'NOTAUTH', 'NOTZONE', 'DSOTYPENI',
];
/** Extended (EDNS, TSIG, TKEY) response codes above 15 (12–15 are unassigned). */
const EXTENDED_RESPONSE_CODES: ReadonlyMap<number, string> = new Map([
  [16, 'BADVERS'], [17, 'BADKEY'], [18, 'BADTIME'], [19, 'BADMODE'], [20, 'BADNAME'], [21, 'BADALG'],
  [22, 'BADTRUNC'], [23, 'BADCOOKIE'],
]);

const OPCODES: readonly (string | undefined)[] = ['QUERY', 'IQUERY', 'STATUS', undefined, 'NOTIFY', 'UPDATE', 'DSO'];

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_PTR = 12;
export const TYPE_MX = 15;
export const TYPE_TXT = 16;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
export const TYPE_DNAME = 39;
export const TYPE_OPT = 41;
export const TYPE_SPF = 99;
export const TYPE_URI = 256;

export const CLASS_IN = 1;
export const OPCODE_QUERY = 0;
export const RCODE_NOERROR = 0;
export const RCODE_NXDOMAIN = 3;

/** "A", "AAAA", …; a type without a mnemonic is its number as text ("65280"). */
export function typeName(type: number): string {
  return TYPES.get(type) ?? String(type);
}

/** "NOERROR", "NXDOMAIN", …; a code without a mnemonic is its number as text. */
export function responseCodeName(rcode: number): string {
  return RESPONSE_CODES[rcode] ?? EXTENDED_RESPONSE_CODES.get(rcode) ?? String(rcode);
}

export function opcodeName(opcode: number): string {
  return OPCODES[opcode] ?? String(opcode);
}
