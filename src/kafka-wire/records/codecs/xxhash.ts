import { readU32LE } from './bytes.js';
/**
 * xxHash32 and xxHash64 (Yann Collet's xxHash specification, doc/xxhash_spec.md, v0.1.1).
 * LZ4 frames use xxHash32 for header, block and content checksums (LZ4 Frame Format 1.6.x);
 * zstd uses the low 32 bits of xxHash64 as its content checksum (RFC 8878 section 3.1.1).
 *
 * JavaScript has no fast unsigned 64-bit integer, and BigInt arithmetic allocates per operation,
 * so xxHash64 works on (high, low) pairs of uint32 values. Results of the 64-bit helpers are
 * returned through two module-level registers (`rHi`, `rLo`) to keep the hot loop allocation-free.
 */

const P32_1 = 0x9e3779b1;
const P32_2 = 0x85ebca77;
const P32_3 = 0xc2b2ae3d;
const P32_4 = 0x27d4eb2f;
const P32_5 = 0x165667b1;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}


/**
 * xxHash32 of `data[start, end)`.
 * @param seed uint32 seed (lz4 always uses 0)
 * @returns the hash as an unsigned 32-bit number
 */
export function xxHash32(data: Uint8Array, seed = 0, start = 0, end = data.length): number {
  const len = end - start;
  let i = start;
  let h: number;
  // One DataView load per word instead of four byte loads is faster (BENCHMARKS.md, "Figures
  // behind code comments"), and lz4 frames from the lz4 CLI checksum every byte.
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  if (len >= 16) {
    let v1 = (seed + P32_1 + P32_2) | 0;
    let v2 = (seed + P32_2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P32_1) | 0;
    const limit = end - 16;
    let a: number;
    while (i <= limit) {
      a = (v1 + Math.imul(view.getInt32(i, true), P32_2)) | 0;
      v1 = Math.imul((a << 13) | (a >>> 19), P32_1);
      a = (v2 + Math.imul(view.getInt32(i + 4, true), P32_2)) | 0;
      v2 = Math.imul((a << 13) | (a >>> 19), P32_1);
      a = (v3 + Math.imul(view.getInt32(i + 8, true), P32_2)) | 0;
      v3 = Math.imul((a << 13) | (a >>> 19), P32_1);
      a = (v4 + Math.imul(view.getInt32(i + 12, true), P32_2)) | 0;
      v4 = Math.imul((a << 13) | (a >>> 19), P32_1);
      i += 16;
    }
    h = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) | 0;
  } else {
    h = (seed + P32_5) | 0;
  }
  // The spec adds the input length modulo 2^32.
  h = (h + len) | 0;
  while (i + 4 <= end) {
    h = Math.imul(rotl32((h + Math.imul(view.getInt32(i, true), P32_3)) | 0, 17), P32_4);
    i += 4;
  }
  while (i < end) {
    h = Math.imul(rotl32((h + Math.imul(data[i]!, P32_5)) | 0, 11), P32_1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P32_2);
  h ^= h >>> 13;
  h = Math.imul(h, P32_3);
  h ^= h >>> 16;
  return h >>> 0;
}

// xxHash64 primes, split into (high, low) uint32 halves.
const P64_1H = 0x9e3779b1;
const P64_1L = 0x85ebca87;
const P64_2H = 0xc2b2ae3d;
const P64_2L = 0x27d4eb4f;
const P64_3H = 0x165667b1;
const P64_3L = 0x9e3779f9;
const P64_4H = 0x85ebca77;
const P64_4L = 0xc2b2ae63;
const P64_5H = 0x27d4eb2f;
const P64_5L = 0x165667c5;

// Result registers of the 64-bit helpers below.
let rHi = 0;
let rLo = 0;

/** (aH:aL) * (bH:bL) mod 2^64 into rHi:rLo. */
function mul64(aH: number, aL: number, bH: number, bL: number): void {
  // Full 32x32 -> 64 product of the low halves from 16-bit limbs (each partial product < 2^32 is
  // exact in a double); the cross terms only affect the high half, mod 2^32, so Math.imul works.
  const a0 = aL & 0xffff;
  const a1 = aL >>> 16;
  const b0 = bL & 0xffff;
  const b1 = bL >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  rLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  rHi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(aH, bL) + Math.imul(aL, bH)) >>> 0;
}

/** (aH:aL) + (bH:bL) mod 2^64 into rHi:rLo. */
function add64(aH: number, aL: number, bH: number, bL: number): void {
  const lo = aL + bL;
  rLo = lo >>> 0;
  rHi = (aH + bH + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** rotate-left of (h:l) by r bits, 0 < r < 32, into rHi:rLo. */
function rotl64(h: number, l: number, r: number): void {
  rHi = ((h << r) | (l >>> (32 - r))) >>> 0;
  rLo = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** The xxHash64 round: acc = rotl(acc + input * P2, 31) * P1, into rHi:rLo. */
function round64(accH: number, accL: number, inH: number, inL: number): void {
  mul64(inH, inL, P64_2H, P64_2L);
  add64(accH, accL, rHi, rLo);
  rotl64(rHi, rLo, 31);
  mul64(rHi, rLo, P64_1H, P64_1L);
}

/** mergeRound: acc = (acc ^ round(0, val)) * P1 + P4, into rHi:rLo. */
function merge64(accH: number, accL: number, vH: number, vL: number): void {
  round64(0, 0, vH, vL);
  mul64((accH ^ rHi) >>> 0, (accL ^ rLo) >>> 0, P64_1H, P64_1L);
  add64(rHi, rLo, P64_4H, P64_4L);
}

// 16-bit limbs of the low halves of P1 and P2, for the inlined multiplications below.
const P64_1L0 = P64_1L & 0xffff;
const P64_1L1 = P64_1L >>> 16;
const P64_2L0 = P64_2L & 0xffff;
const P64_2L1 = P64_2L >>> 16;

/** Computes xxHash64 of data[start, end) with the seed given as halves; result in rHi:rLo. */
function xxh64Core(data: Uint8Array, seedH: number, seedL: number, start: number, end: number): void {
  const len = end - start;
  let i = start;
  let hH: number;
  let hL: number;
  if (len >= 32) {
    add64(seedH, seedL, P64_1H, P64_1L);
    add64(rHi, rLo, P64_2H, P64_2L);
    let v1H = rHi;
    let v1L = rLo;
    add64(seedH, seedL, P64_2H, P64_2L);
    let v2H = rHi;
    let v2L = rLo;
    let v3H = seedH;
    let v3L = seedL;
    // seed - P1 == seed + (2^64 - P1) == seed + 0x61C8864E7A143579.
    add64(seedH, seedL, 0x61c8864e, 0x7a143579);
    let v4H = rHi;
    let v4L = rLo;
    const limit = end - 32;
    // The four lanes are written out with locals: this loop dominates the hash's cost.
    let iL: number, iH: number, a0: number, a1: number, p00: number, p01: number, p10: number, mid: number;
    let tL: number, tH: number, sL: number, sH: number, xH: number, xL: number;
    while (i <= limit) {
      // lane 1: v = rotl64(v + input * P2, 31) * P1
      iL = data[i + 0]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      iH = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
      a0 = iL & 0xffff;
      a1 = iL >>> 16;
      p00 = a0 * P64_2L0;
      p01 = a0 * P64_2L1;
      p10 = a1 * P64_2L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      tL = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      tH = a1 * P64_2L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(iH, P64_2L) + Math.imul(iL, P64_2H);
      sL = v1L + tL;
      sH = v1H + tH + (sL > 0xffffffff ? 1 : 0);
      xH = (sH << 31) | ((sL >>> 0) >>> 1);
      xL = ((sL >>> 0) << 31) | ((sH >>> 0) >>> 1);
      a0 = xL & 0xffff;
      a1 = xL >>> 16;
      p00 = a0 * P64_1L0;
      p01 = a0 * P64_1L1;
      p10 = a1 * P64_1L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v1L = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      v1H = (a1 * P64_1L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(xH, P64_1L) + Math.imul(xL, P64_1H)) >>> 0;
      // lane 2: v = rotl64(v + input * P2, 31) * P1
      iL = data[i + 8]! | (data[i + 9]! << 8) | (data[i + 10]! << 16) | (data[i + 11]! << 24);
      iH = data[i + 12]! | (data[i + 13]! << 8) | (data[i + 14]! << 16) | (data[i + 15]! << 24);
      a0 = iL & 0xffff;
      a1 = iL >>> 16;
      p00 = a0 * P64_2L0;
      p01 = a0 * P64_2L1;
      p10 = a1 * P64_2L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      tL = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      tH = a1 * P64_2L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(iH, P64_2L) + Math.imul(iL, P64_2H);
      sL = v2L + tL;
      sH = v2H + tH + (sL > 0xffffffff ? 1 : 0);
      xH = (sH << 31) | ((sL >>> 0) >>> 1);
      xL = ((sL >>> 0) << 31) | ((sH >>> 0) >>> 1);
      a0 = xL & 0xffff;
      a1 = xL >>> 16;
      p00 = a0 * P64_1L0;
      p01 = a0 * P64_1L1;
      p10 = a1 * P64_1L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v2L = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      v2H = (a1 * P64_1L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(xH, P64_1L) + Math.imul(xL, P64_1H)) >>> 0;
      // lane 3: v = rotl64(v + input * P2, 31) * P1
      iL = data[i + 16]! | (data[i + 17]! << 8) | (data[i + 18]! << 16) | (data[i + 19]! << 24);
      iH = data[i + 20]! | (data[i + 21]! << 8) | (data[i + 22]! << 16) | (data[i + 23]! << 24);
      a0 = iL & 0xffff;
      a1 = iL >>> 16;
      p00 = a0 * P64_2L0;
      p01 = a0 * P64_2L1;
      p10 = a1 * P64_2L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      tL = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      tH = a1 * P64_2L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(iH, P64_2L) + Math.imul(iL, P64_2H);
      sL = v3L + tL;
      sH = v3H + tH + (sL > 0xffffffff ? 1 : 0);
      xH = (sH << 31) | ((sL >>> 0) >>> 1);
      xL = ((sL >>> 0) << 31) | ((sH >>> 0) >>> 1);
      a0 = xL & 0xffff;
      a1 = xL >>> 16;
      p00 = a0 * P64_1L0;
      p01 = a0 * P64_1L1;
      p10 = a1 * P64_1L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v3L = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      v3H = (a1 * P64_1L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(xH, P64_1L) + Math.imul(xL, P64_1H)) >>> 0;
      // lane 4: v = rotl64(v + input * P2, 31) * P1
      iL = data[i + 24]! | (data[i + 25]! << 8) | (data[i + 26]! << 16) | (data[i + 27]! << 24);
      iH = data[i + 28]! | (data[i + 29]! << 8) | (data[i + 30]! << 16) | (data[i + 31]! << 24);
      a0 = iL & 0xffff;
      a1 = iL >>> 16;
      p00 = a0 * P64_2L0;
      p01 = a0 * P64_2L1;
      p10 = a1 * P64_2L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      tL = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      tH = a1 * P64_2L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(iH, P64_2L) + Math.imul(iL, P64_2H);
      sL = v4L + tL;
      sH = v4H + tH + (sL > 0xffffffff ? 1 : 0);
      xH = (sH << 31) | ((sL >>> 0) >>> 1);
      xL = ((sL >>> 0) << 31) | ((sH >>> 0) >>> 1);
      a0 = xL & 0xffff;
      a1 = xL >>> 16;
      p00 = a0 * P64_1L0;
      p01 = a0 * P64_1L1;
      p10 = a1 * P64_1L0;
      mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      v4L = ((mid << 16) | (p00 & 0xffff)) >>> 0;
      v4H = (a1 * P64_1L1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(xH, P64_1L) + Math.imul(xL, P64_1H)) >>> 0;
      i += 32;
    }
    rotl64(v1H, v1L, 1);
    hH = rHi;
    hL = rLo;
    rotl64(v2H, v2L, 7);
    add64(hH, hL, rHi, rLo);
    hH = rHi;
    hL = rLo;
    rotl64(v3H, v3L, 12);
    add64(hH, hL, rHi, rLo);
    hH = rHi;
    hL = rLo;
    rotl64(v4H, v4L, 18);
    add64(hH, hL, rHi, rLo);
    merge64(rHi, rLo, v1H, v1L);
    merge64(rHi, rLo, v2H, v2L);
    merge64(rHi, rLo, v3H, v3L);
    merge64(rHi, rLo, v4H, v4L);
    hH = rHi;
    hL = rLo;
  } else {
    add64(seedH, seedL, P64_5H, P64_5L);
    hH = rHi;
    hL = rLo;
  }
  // Length is added as a 64-bit value; inputs here are below 2^53 so the split is exact.
  add64(hH, hL, Math.floor(len / 0x100000000) >>> 0, len >>> 0);
  hH = rHi;
  hL = rLo;
  while (i + 8 <= end) {
    round64(0, 0, readU32LE(data, i + 4), readU32LE(data, i));
    rotl64((hH ^ rHi) >>> 0, (hL ^ rLo) >>> 0, 27);
    mul64(rHi, rLo, P64_1H, P64_1L);
    add64(rHi, rLo, P64_4H, P64_4L);
    hH = rHi;
    hL = rLo;
    i += 8;
  }
  if (i + 4 <= end) {
    mul64(0, readU32LE(data, i), P64_1H, P64_1L);
    rotl64((hH ^ rHi) >>> 0, (hL ^ rLo) >>> 0, 23);
    mul64(rHi, rLo, P64_2H, P64_2L);
    add64(rHi, rLo, P64_3H, P64_3L);
    hH = rHi;
    hL = rLo;
    i += 4;
  }
  while (i < end) {
    mul64(0, data[i]!, P64_5H, P64_5L);
    rotl64((hH ^ rHi) >>> 0, (hL ^ rLo) >>> 0, 11);
    mul64(rHi, rLo, P64_1H, P64_1L);
    hH = rHi;
    hL = rLo;
    i++;
  }
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  hL = (hL ^ (hH >>> 1)) >>> 0;
  mul64(hH, hL, P64_2H, P64_2L);
  hH = rHi;
  hL = (rLo ^ ((rHi << 3) | (rLo >>> 29))) >>> 0;
  hH = (hH ^ (hH >>> 29)) >>> 0;
  mul64(hH, hL, P64_3H, P64_3L);
  rLo = (rLo ^ rHi) >>> 0;
}

/**
 * xxHash64 of `data[start, end)`.
 * @param seed uint64 seed (zstd always uses 0)
 * @returns the hash as an unsigned 64-bit bigint
 */
export function xxHash64(data: Uint8Array, seed = 0n, start = 0, end = data.length): bigint {
  const s = BigInt.asUintN(64, seed);
  xxh64Core(data, Number(s >> 32n), Number(s & 0xffffffffn), start, end);
  return (BigInt(rHi) << 32n) | BigInt(rLo);
}

/**
 * Low 32 bits of xxHash64 (seed 0) of `data[start, end)`, as stored in a zstd Content_Checksum
 * (RFC 8878 section 3.1.1). Avoids the BigInt conversion of {@link xxHash64}.
 * @returns an unsigned 32-bit number
 */
export function xxHash64Low32(data: Uint8Array, start = 0, end = data.length): number {
  xxh64Core(data, 0, 0, start, end);
  return rLo;
}
