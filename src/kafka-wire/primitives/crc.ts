/**
 * Table-driven CRC-32 (slicing by 16) for the two polynomials Kafka uses: CRC-32C (Castagnoli,
 * record batch v2) and CRC-32 IEEE (legacy magic 0/1 messages). Sixteen 256-entry tables let one
 * loop step consume 16 bytes, which keeps verification within the decode benchmark's CRC target in
 * plain JavaScript (BENCHMARKS.md, "Record decoding").
 * Int32Array tables keep every value a small integer for V8 (Uint32 values above 2^30 box).
 */
const SLICES = 16;

function makeTables(poly: number): Int32Array {
  const t = new Int32Array(256 * SLICES);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!;
    for (let s = 1; s < SLICES; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + i] = c;
    }
  }
  return t;
}

/**
 * Reading the input 32 bits at a time through an Int32Array needs a quarter of the element loads
 * of the byte loop (BENCHMARKS.md, "Record decoding", "What changed", 2.).
 * The words must be little-endian, so that a word's low byte is the first byte in the stream, and
 * 4-aligned in the ArrayBuffer; big-endian hosts and short inputs (where creating the Int32Array
 * costs more than it saves) take the byte loop.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const WORD_LOOP_MIN_BYTES = 64;

function makeCrc(poly: number): (buf: Uint8Array, start?: number, end?: number) => number {
  const t = makeTables(poly);
  return (buf, start = 0, end = buf.length) => {
    let crc = -1;
    let i = start;
    if (LITTLE_ENDIAN && end - start >= WORD_LOOP_MIN_BYTES) {
      const head = i + ((4 - ((buf.byteOffset + i) & 3)) & 3);
      while (i < head) crc = t[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
      const words = ((end - i) >> 4) << 2;
      const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
      for (let k = 0; k < words; k += 4) {
        const a = w[k]! ^ crc;
        const b = w[k + 1]!;
        const c = w[k + 2]!;
        const d = w[k + 3]!;
        crc =
          t[0xf00 | (a & 0xff)]! ^ t[0xe00 | ((a >>> 8) & 0xff)]! ^ t[0xd00 | ((a >>> 16) & 0xff)]! ^ t[0xc00 | (a >>> 24)]! ^
          t[0xb00 | (b & 0xff)]! ^ t[0xa00 | ((b >>> 8) & 0xff)]! ^ t[0x900 | ((b >>> 16) & 0xff)]! ^ t[0x800 | (b >>> 24)]! ^
          t[0x700 | (c & 0xff)]! ^ t[0x600 | ((c >>> 8) & 0xff)]! ^ t[0x500 | ((c >>> 16) & 0xff)]! ^ t[0x400 | (c >>> 24)]! ^
          t[0x300 | (d & 0xff)]! ^ t[0x200 | ((d >>> 8) & 0xff)]! ^ t[0x100 | ((d >>> 16) & 0xff)]! ^ t[d >>> 24]!;
      }
      i += words * 4;
    } else {
      const stop = end - ((end - start) & 15);
      while (i < stop) {
        crc =
          t[0xf00 | ((buf[i]! ^ crc) & 0xff)]! ^ t[0xe00 | ((buf[i + 1]! ^ (crc >>> 8)) & 0xff)]! ^
          t[0xd00 | ((buf[i + 2]! ^ (crc >>> 16)) & 0xff)]! ^ t[0xc00 | (buf[i + 3]! ^ (crc >>> 24))]! ^
          t[0xb00 | buf[i + 4]!]! ^ t[0xa00 | buf[i + 5]!]! ^ t[0x900 | buf[i + 6]!]! ^ t[0x800 | buf[i + 7]!]! ^
          t[0x700 | buf[i + 8]!]! ^ t[0x600 | buf[i + 9]!]! ^ t[0x500 | buf[i + 10]!]! ^ t[0x400 | buf[i + 11]!]! ^
          t[0x300 | buf[i + 12]!]! ^ t[0x200 | buf[i + 13]!]! ^ t[0x100 | buf[i + 14]!]! ^ t[buf[i + 15]!]!;
        i += 16;
      }
    }
    while (i < end) crc = t[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
    return ~crc >>> 0;
  };
}

/** CRC-32C of buf[start, end), as an unsigned 32-bit number. */
export const crc32c = makeCrc(0x82f63b78);

/** CRC-32 (IEEE 802.3, zlib's) of buf[start, end), as an unsigned 32-bit number. */
export const crc32 = makeCrc(0xedb88320);
