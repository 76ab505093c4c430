import { describe, expect, it } from 'vitest';
import { HpackDecoder } from '../../../src/protocols/http2/hpack/decoder.js';
import { decodeHuffman } from '../../../src/protocols/http2/hpack/huffman.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decode(decoder: HpackDecoder, block: string) {
  const fields: [string, string][] = [];
  const result = decoder.decode(hex(block), (name, value) => fields.push([name, value]));
  return { result, fields };
}

// RFC 7541 Appendix C.4: three requests on one connection, Huffman-coded, sharing the table.
const C4 = [
  '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
  '8286 84be 5886 a8eb 1064 9cbf',
  '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
];

describe('HPACK', () => {
  it('decodes RFC 7541 C.3.1 (literal strings, incremental indexing)', () => {
    expect(decode(new HpackDecoder(), '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')).toEqual({
      result: 'ok',
      fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
    });
  });

  it('decodes RFC 7541 C.4 (Huffman), the later blocks indexing entries the earlier added', () => {
    const decoder = new HpackDecoder();
    expect(C4.map((block) => decode(decoder, block))).toEqual([
      { result: 'ok', fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']] },
      {
        result: 'ok',
        fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
      },
      {
        result: 'ok',
        fields: [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
      },
    ]);
  });

  it('joined mid-stream: fields from unseen entries are left out, never guessed, and the block is incomplete', () => {
    const decoder = new HpackDecoder();
    expect(decode(decoder, C4[1]!)).toEqual({
      result: 'incomplete',
      fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], ['cache-control', 'no-cache']],
    });
    // cache-control was added while joined: exact from then on; the authority stays unknown.
    const third = decode(decoder, C4[2]!);
    expect(third.result).toBe('incomplete');
    expect(third.fields).toContainEqual(['custom-key', 'custom-value']);
    expect(third.fields.map(([name]) => name)).not.toContain(':authority');
  });

  it('forgets the table after lost bytes', () => {
    const decoder = new HpackDecoder();
    decode(decoder, C4[0]!);
    decoder.forget();
    expect(decode(decoder, C4[1]!).result).toBe('incomplete');
  });

  it('applies dynamic table size updates (evicting) and rejects one above the peer setting', () => {
    const decoder = new HpackDecoder();
    decode(decoder, C4[0]!);
    // Size update to 0 then back to 4096: every entry is evicted.
    expect(decode(decoder, '20 3fe1 1f be').result).toBe('incomplete');
    decoder.setSettingsLimit(4096);
    expect(decode(decoder, '3fe2 1f').result).toBe('malformed'); // 4097 > 4096
  });

  it('reports truncated or invalid bytes as malformed', () => {
    expect(decode(new HpackDecoder(), '41 8c f1e3').result).toBe('malformed');
    expect(decode(new HpackDecoder(), '80').result).toBe('malformed'); // index 0
  });
});

describe('Huffman', () => {
  it('decodes the RFC examples', () => {
    expect(decodeHuffman(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'), 0, 12)).toBe('www.example.com');
    expect(decodeHuffman(hex('a8eb 1064 9cbf'), 0, 6)).toBe('no-cache');
    expect(decodeHuffman(hex('6402'), 0, 2)).toBe('302');
  });

  it('rejects padding that is not a short run of ones, and EOS inside', () => {
    expect(decodeHuffman(hex('f1e3 c2e5 f23a 6ba0 ab90 f4fe'), 0, 12)).toBeUndefined();
    expect(decodeHuffman(hex('ffff ffff'), 0, 4)).toBeUndefined();
  });
});
