/**
 * Table-driven CRC-32 (slicing by 16) for the two polynomials Kafka uses: CRC-32C (Castagnoli,
 * record batch v2) and CRC-32 IEEE (legacy magic 0/1 messages). Sixteen 256-entry tables let one
 * loop step consume 16 bytes, which keeps verification within the decode benchmark's CRC target in
 * plain JavaScript (BENCHMARKS.md, "Record decoding").
 * Int32Array tables keep every value a small integer for V8 (Uint32 values above 2^30 box).
 */
const SLICES = 16;

/** The sixteen slicing tables of `poly`, table s advancing a byte s positions further. */
function makeTables(poly: number): Int32Array[] {
  const t: Int32Array[] = [];
  for (let s = 0; s < SLICES; s++) t.push(new Int32Array(256));
  const t0 = t[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[i] = c;
  }
  for (let s = 1; s < SLICES; s++) {
    const prev = t[s - 1]!;
    const cur = t[s]!;
    for (let i = 0; i < 256; i++) cur[i] = t0[prev[i]! & 0xff]! ^ (prev[i]! >>> 8);
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
  const [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, ta, tb, tc, td, te, tf] = makeTables(poly) as [
    Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
    Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
  ];
  return (buf, start = 0, end = buf.length) => {
    let crc = -1;
    let i = start;
    if (LITTLE_ENDIAN && end - start >= WORD_LOOP_MIN_BYTES) {
      const head = i + ((4 - ((buf.byteOffset + i) & 3)) & 3);
      while (i < head) crc = t0[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
      const words = ((end - i) >> 4) << 2;
      const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
      for (let k = 0; k < words; k += 4) {
        const a = w[k]! ^ crc;
        const b = w[k + 1]!;
        const c = w[k + 2]!;
        const d = w[k + 3]!;
        crc =
          tf[a & 0xff]! ^ te[(a >>> 8) & 0xff]! ^ td[(a >>> 16) & 0xff]! ^ tc[a >>> 24]! ^
          tb[b & 0xff]! ^ ta[(b >>> 8) & 0xff]! ^ t9[(b >>> 16) & 0xff]! ^ t8[b >>> 24]! ^
          t7[c & 0xff]! ^ t6[(c >>> 8) & 0xff]! ^ t5[(c >>> 16) & 0xff]! ^ t4[c >>> 24]! ^
          t3[d & 0xff]! ^ t2[(d >>> 8) & 0xff]! ^ t1[(d >>> 16) & 0xff]! ^ t0[d >>> 24]!;
      }
      i += words * 4;
    } else {
      const stop = end - ((end - start) & 15);
      while (i < stop) {
        crc =
          tf[(buf[i]! ^ crc) & 0xff]! ^ te[(buf[i + 1]! ^ (crc >>> 8)) & 0xff]! ^
          td[(buf[i + 2]! ^ (crc >>> 16)) & 0xff]! ^ tc[buf[i + 3]! ^ (crc >>> 24)]! ^
          tb[buf[i + 4]!]! ^ ta[buf[i + 5]!]! ^ t9[buf[i + 6]!]! ^ t8[buf[i + 7]!]! ^
          t7[buf[i + 8]!]! ^ t6[buf[i + 9]!]! ^ t5[buf[i + 10]!]! ^ t4[buf[i + 11]!]! ^
          t3[buf[i + 12]!]! ^ t2[buf[i + 13]!]! ^ t1[buf[i + 14]!]! ^ t0[buf[i + 15]!]!;
        i += 16;
      }
    }
    while (i < end) crc = t0[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
    return ~crc >>> 0;
  };
}

// CRC-32C, which every v2 batch is checked with, has its own copy of the loop over sixteen
// module-level tables: V8 reads module constants much faster than the same tables captured by a
// closure (makeCrc) or one 4096-entry table indexed `s * 256 + byte` (BENCHMARKS.md, "Figures
// behind code comments"). CRC-32 (legacy messages only) keeps the generic closure.
const [C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, CA, CB, CC, CD, CE, CF] = makeTables(0x82f63b78) as [
  Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
  Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
];

/** CRC-32C of buf[start, end), as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  if (LITTLE_ENDIAN && end - start >= WORD_LOOP_MIN_BYTES) {
    const head = i + ((4 - ((buf.byteOffset + i) & 3)) & 3);
    while (i < head) crc = C0[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
    const words = ((end - i) >> 4) << 2;
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let k = 0; k < words; k += 4) {
      const a = w[k]! ^ crc;
      const b = w[k + 1]!;
      const c = w[k + 2]!;
      const d = w[k + 3]!;
      crc =
        CF[a & 0xff]! ^ CE[(a >>> 8) & 0xff]! ^ CD[(a >>> 16) & 0xff]! ^ CC[a >>> 24]! ^
        CB[b & 0xff]! ^ CA[(b >>> 8) & 0xff]! ^ C9[(b >>> 16) & 0xff]! ^ C8[b >>> 24]! ^
        C7[c & 0xff]! ^ C6[(c >>> 8) & 0xff]! ^ C5[(c >>> 16) & 0xff]! ^ C4[c >>> 24]! ^
        C3[d & 0xff]! ^ C2[(d >>> 8) & 0xff]! ^ C1[(d >>> 16) & 0xff]! ^ C0[d >>> 24]!;
    }
    i += words * 4;
  } else {
    const stop = end - ((end - start) & 15);
    while (i < stop) {
      crc =
        CF[(buf[i]! ^ crc) & 0xff]! ^ CE[(buf[i + 1]! ^ (crc >>> 8)) & 0xff]! ^
        CD[(buf[i + 2]! ^ (crc >>> 16)) & 0xff]! ^ CC[buf[i + 3]! ^ (crc >>> 24)]! ^
        CB[buf[i + 4]!]! ^ CA[buf[i + 5]!]! ^ C9[buf[i + 6]!]! ^ C8[buf[i + 7]!]! ^
        C7[buf[i + 8]!]! ^ C6[buf[i + 9]!]! ^ C5[buf[i + 10]!]! ^ C4[buf[i + 11]!]! ^
        C3[buf[i + 12]!]! ^ C2[buf[i + 13]!]! ^ C1[buf[i + 14]!]! ^ C0[buf[i + 15]!]!;
      i += 16;
    }
  }
  while (i < end) crc = C0[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** CRC-32 (IEEE 802.3, zlib's) of buf[start, end), as an unsigned 32-bit number. */
export const crc32 = makeCrc(0xedb88320);
