/**
 * HPACK Huffman decoding (RFC 7541 §5.2, code in Appendix B). The RFC's code is canonical
 * (codes of one length are consecutive, in symbol order, and shorter codes sort first), so the
 * symbols grouped by code length below determine every code; that grouping is a fact taken from
 * Appendix B. Symbol 256 is EOS, which must never appear in a string.
 */
const SYMBOLS_BY_LENGTH: Readonly<Record<number, readonly number[]>> = {
  5: [48, 49, 50, 97, 99, 101, 105, 111, 115, 116],
  6: [32, 37, 45, 46, 47, 51, 52, 53, 54, 55, 56, 57, 61, 65, 95, 98, 100, 102, 103, 104, 108, 109, 110, 112, 114, 117],
  7: [58, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 89, 106, 107, 113, 118, 119, 120, 121, 122],
  8: [38, 42, 44, 59, 88, 90],
  10: [33, 34, 40, 41, 63],
  11: [39, 43, 124],
  12: [35, 62],
  13: [0, 36, 64, 91, 93, 126],
  14: [94, 125],
  15: [60, 96, 123],
  19: [92, 195, 208],
  20: [128, 130, 131, 162, 184, 194, 224, 226],
  21: [153, 161, 167, 172, 176, 177, 179, 209, 216, 217, 227, 229, 230],
  22: [129, 132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170, 173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232, 233],
  23: [1, 135, 137, 138, 139, 140, 141, 143, 147, 149, 150, 151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182, 183, 188, 191, 197, 231, 239],
  24: [9, 142, 144, 145, 148, 159, 171, 206, 215, 225, 236, 237],
  25: [199, 207, 234, 235],
  26: [192, 193, 200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243, 255],
  27: [203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254],
  28: [2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127, 220, 249],
  30: [10, 13, 22, 256],
};

const MAX_CODE_LENGTH = 30;
const EOS = 256;

/** Per code length: the first code, how many codes, and where their symbols start in SYMBOLS. */
const FIRST_CODE = new Int32Array(MAX_CODE_LENGTH + 1);
const CODE_COUNT = new Int32Array(MAX_CODE_LENGTH + 1);
const SYMBOL_OFFSET = new Int32Array(MAX_CODE_LENGTH + 1);
const SYMBOLS = new Uint16Array(257);

{
  let code = 0;
  let offset = 0;
  for (let length = 1; length <= MAX_CODE_LENGTH; length++) {
    const symbols = SYMBOLS_BY_LENGTH[length] ?? [];
    FIRST_CODE[length] = code;
    CODE_COUNT[length] = symbols.length;
    SYMBOL_OFFSET[length] = offset;
    for (const symbol of symbols) SYMBOLS[offset++] = symbol;
    code = (code + symbols.length) << 1;
  }
}

/** Decoded bytes land here before becoming a string; grown on demand, never shrunk. */
let scratch = Buffer.allocUnsafe(256);

/**
 * Decodes buf[from, to) to a latin1 string (header bytes as HTTP/1 keeps them), or undefined
 * when it is not valid Huffman: EOS inside, or padding longer than 7 bits or not all ones.
 */
export function decodeHuffman(buf: Buffer, from: number, to: number): string | undefined {
  // The shortest code is 5 bits, so n bytes decode to at most 8n/5 symbols.
  const most = Math.ceil(((to - from) * 8) / 5);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(Math.max(most, scratch.length * 2));
  let out = 0;
  let code = 0;
  let length = 0;
  for (let i = from; i < to; i++) {
    const byte = buf[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      length++;
      const index = code - FIRST_CODE[length]!;
      if (index >= 0 && index < CODE_COUNT[length]!) {
        const symbol = SYMBOLS[SYMBOL_OFFSET[length]! + index]!;
        if (symbol === EOS) return undefined;
        scratch[out++] = symbol;
        code = 0;
        length = 0;
      } else if (length === MAX_CODE_LENGTH) {
        return undefined;
      }
    }
  }
  // What is left must be a prefix of EOS (all ones) shorter than a byte.
  if (length > 7 || code !== (1 << length) - 1) return undefined;
  return scratch.toString('latin1', 0, out);
}
