/** Mnemonics of DNS numbers (IANA "Domain Name System (DNS) Parameters"), as dig and tshark print them. */

const TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [13, 'HINFO'], [15, 'MX'], [16, 'TXT'],
  [17, 'RP'], [18, 'AFSDB'], [24, 'SIG'], [25, 'KEY'], [28, 'AAAA'], [29, 'LOC'], [33, 'SRV'],
  [35, 'NAPTR'], [36, 'KX'], [37, 'CERT'], [39, 'DNAME'], [41, 'OPT'], [42, 'APL'], [43, 'DS'],
  [44, 'SSHFP'], [45, 'IPSECKEY'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'], [49, 'DHCID'],
  [50, 'NSEC3'], [51, 'NSEC3PARAM'], [52, 'TLSA'], [53, 'SMIMEA'], [55, 'HIP'], [59, 'CDS'],
  [60, 'CDNSKEY'], [61, 'OPENPGPKEY'], [62, 'CSYNC'], [63, 'ZONEMD'], [64, 'SVCB'], [65, 'HTTPS'],
  [99, 'SPF'], [108, 'EUI48'], [109, 'EUI64'], [249, 'TKEY'], [250, 'TSIG'], [251, 'IXFR'],
  [252, 'AXFR'], [255, 'ANY'], [256, 'URI'], [257, 'CAA'],
]);

const RESPONSE_CODES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET',
  'NOTAUTH', 'NOTZONE', 'DSOTYPENI',
];
/** Extended (EDNS) response codes above 15. */
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
