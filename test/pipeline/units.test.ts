import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../../src/pipeline/units.js';

describe('parseDuration', () => {
  it('reads units into microseconds', () => {
    expect(parseDuration('250ms')).toBe(250_000);
    expect(parseDuration('30s')).toBe(30_000_000);
    expect(parseDuration('5m')).toBe(300_000_000);
    expect(parseDuration('1h')).toBe(3_600_000_000);
    expect(parseDuration('100us')).toBe(100);
    expect(parseDuration('1.5s')).toBe(1_500_000);
  });
  it('reads bare numbers as seconds', () => {
    expect(parseDuration(2)).toBe(2_000_000);
    expect(parseDuration('2')).toBe(2_000_000);
    expect(parseDuration(0.25)).toBe(250_000);
  });
  it('rejects what it cannot read', () => {
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('5 parsecs')).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});

describe('parseSize', () => {
  it('reads binary and decimal units into bytes', () => {
    expect(parseSize('4MiB')).toBe(4 * 1024 * 1024);
    expect(parseSize('512KiB')).toBe(512 * 1024);
    expect(parseSize('10MB')).toBe(10_000_000);
    expect(parseSize('1gib')).toBe(1024 ** 3);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('100')).toBe(100);
  });
  it('rejects what it cannot read', () => {
    expect(parseSize('big')).toBeUndefined();
    expect(parseSize('4XB')).toBeUndefined();
  });
});
