import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6 } from '../../src/frames/address.js';

const v6 = (hex: string): Buffer => Buffer.from(hex.replaceAll(' ', ''), 'hex');

describe('formatIPv4', () => {
  it('prints dotted quads at any offset, from the cache on repeats', () => {
    const bytes = Buffer.from([0, 127, 0, 0, 1, 255, 255, 255, 255]);
    expect(formatIPv4(bytes, 1)).toBe('127.0.0.1');
    expect(formatIPv4(bytes, 5)).toBe('255.255.255.255');
    expect(formatIPv4(bytes, 1)).toBe('127.0.0.1');
  });

  it('never returns a stale text when addresses collide in the cache', () => {
    const bytes = Buffer.alloc(4);
    for (let i = 0; i < 20_000; i++) {
      bytes.writeUInt32BE((i * 2654435761) >>> 0, 0);
      expect(formatIPv4(bytes, 0)).toBe([...bytes].join('.'));
    }
  });
});

describe('formatIPv6', () => {
  // Expected texts are what tshark prints for the same bytes (RFC 5952, BSD-style IPv4 tails).
  it.each([
    ['0000 0000 0000 0000 0000 ffff 0102 0304', '::ffff:1.2.3.4'],
    ['0000 0000 0000 0000 0000 0000 0102 0304', '::1.2.3.4'],
    ['0000 0000 0000 0000 0000 0000 0000 0001', '::1'],
    ['0000 0000 0000 0000 0000 0000 0000 0000', '::'],
    ['2001 0db8 0000 0001 0000 0000 0000 0001', '2001:db8:0:1::1'],
    ['2001 0db8 0000 0001 0001 0000 0000 0000', '2001:db8:0:1:1::'],
    ['fe80 0000 0000 0000 0000 5efe 0102 0304', 'fe80::5efe:102:304'],
    ['0000 0000 0000 0000 ffff 0000 0102 0304', '::ffff:0:102:304'],
    ['0064 ff9b 0000 0000 0000 0000 0102 0304', '64:ff9b::102:304'],
    ['2001 0db8 0000 0001 0001 0001 0001 0001', '2001:db8:0:1:1:1:1:1'],
    ['2001 0000 0000 0001 0000 0000 0000 0001', '2001:0:0:1::1'],
    ['2001 0db8 0000 0000 0001 0000 0000 0001', '2001:db8::1:0:0:1'],
    ['fd00 0000 0000 0000 0000 0000 0000 0002', 'fd00::2'],
  ])('%s → %s', (hex, text) => {
    expect(formatIPv6(Buffer.concat([Buffer.from([9]), v6(hex)]), 1)).toBe(text);
    expect(formatIPv6(Buffer.concat([Buffer.from([9]), v6(hex)]), 1)).toBe(text);
  });
});
