import { u16, u32 } from './bytes.js';

/**
 * Printable IP addresses. Formatting a string per packet is one of the costlier steps of frame
 * decoding, and a capture holds few distinct addresses, so address text is cached by the
 * address bytes and repeated packets share one string.
 */

/*
 * Direct-mapped caches: a slot per hash of the address bytes, holding the bytes and their
 * text. A colliding address replaces the slot's entry, so memory stays fixed and a lookup is
 * a few array reads, with no allocation and no Map of heap-number keys.
 */
const IPV4_CACHE_BITS = 12;
const ipv4Keys = new Int32Array(1 << IPV4_CACHE_BITS);
const ipv4Texts: Array<string | undefined> = new Array<string | undefined>(1 << IPV4_CACHE_BITS).fill(undefined);

/** Dotted-quad text of the IPv4 address at `offset` (4 bytes must be in bounds). */
export function formatIPv4(data: Buffer, offset: number): string {
  const value = u32(data, offset) | 0;
  const slot = Math.imul(value, 0x9e3779b1) >>> (32 - IPV4_CACHE_BITS);
  let text = ipv4Texts[slot];
  if (text === undefined || ipv4Keys[slot] !== value) {
    text = ipv4Text(value >>> 0);
    ipv4Keys[slot] = value;
    ipv4Texts[slot] = text;
  }
  return text;
}

function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

const IPV6_CACHE_BITS = 10;
/** Four 32-bit words of the address per slot. */
const ipv6Keys = new Int32Array(4 << IPV6_CACHE_BITS);
const ipv6Texts: Array<string | undefined> = new Array<string | undefined>(1 << IPV6_CACHE_BITS).fill(undefined);

/** RFC 5952 text of the IPv6 address at `offset` (16 bytes must be in bounds), as tshark prints it. */
export function formatIPv6(data: Buffer, offset: number): string {
  const w0 = u32(data, offset) | 0;
  const w1 = u32(data, offset + 4) | 0;
  const w2 = u32(data, offset + 8) | 0;
  const w3 = u32(data, offset + 12) | 0;
  const hash = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1);
  const slot = hash >>> (32 - IPV6_CACHE_BITS);
  const key = slot * 4;
  let text = ipv6Texts[slot];
  if (text === undefined || ipv6Keys[key] !== w0 || ipv6Keys[key + 1] !== w1 || ipv6Keys[key + 2] !== w2 || ipv6Keys[key + 3] !== w3) {
    text = ipv6Text(data, offset);
    ipv6Keys[key] = w0;
    ipv6Keys[key + 1] = w1;
    ipv6Keys[key + 2] = w2;
    ipv6Keys[key + 3] = w3;
    ipv6Texts[slot] = text;
  }
  return text;
}

/**
 * Lowercase hex groups without leading zeros; the longest run of two or more zero groups (the
 * first on a tie) becomes "::"; an IPv4-compatible (::a.b.c.d) or IPv4-mapped
 * (::ffff:a.b.c.d) address ends in dotted-quad form.
 */
function ipv6Text(data: Buffer, offset: number): string {
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let group = 0; group < 8; group++) {
    if (u16(data, offset + group * 2) === 0) {
      if (runStart < 0) runStart = group;
      const runLength = group - runStart + 1;
      if (runLength > bestLength) {
        bestStart = runStart;
        bestLength = runLength;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLength < 2) bestStart = -1;

  const embedsIPv4 = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && u16(data, offset + 10) === 0xffff));
  const hexGroups = embedsIPv4 ? 6 : 8;
  let text = '';
  for (let group = 0; group < hexGroups; group++) {
    if (group === bestStart) {
      text += '::';
      group += bestLength - 1;
      continue;
    }
    if (text.length !== 0 && !text.endsWith(':')) text += ':';
    text += u16(data, offset + group * 2).toString(16);
  }
  if (embedsIPv4) text += (text.endsWith(':') ? '' : ':') + ipv4Text(u32(data, offset + 12));
  return text;
}
