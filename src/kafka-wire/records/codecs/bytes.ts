/** Byte helpers shared by the hand-written decoders (lz4, zstd, xxHash). */

/** Little-endian uint32 at b[i..i+4). The caller has checked the bounds. */
export function readU32LE(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

// The 16-byte "wild copy" of literals is written out in each decoder's loop (lz4, snappy, zstd)
// on purpose: one shared copyLiterals() called from all three made every decoder slower
// (bench/codecs.ts; BENCHMARKS.md, "Figures behind code comments"), most likely because the one
// call site then sees three buffer shapes and V8 no longer inlines it.
