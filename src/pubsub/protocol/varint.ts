/**
 * Varint sizing and writing for protobuf int64 fields. Values arrive as JS numbers when they are
 * safe integers (the common case: offsets, millisecond timestamps) and are otherwise split into
 * two uint32 halves from the exact bigint, so nothing is ever rounded. Negative values take ten
 * bytes (two's complement), as protobuf's int64 requires.
 */
const TWO_32 = 4294967296;

export function sizeOfSafe(n: number): number {
  if (n < 0) return 10;
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  if (n < 2 ** 35) return 5;
  if (n < 2 ** 42) return 6;
  if (n < 2 ** 49) return 7;
  return 8;
}

/** Writes a safe integer (possibly negative) at `p`; returns the position after it. */
export function writeSafe(out: Uint8Array, p: number, n: number): number {
  if (n >= 0 && n < 0x80000000) {
    while (n > 0x7f) {
      out[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[p++] = n;
    return p;
  }
  const hi = Math.floor(n / TWO_32);
  return writeHalves(out, p, (n - hi * TWO_32) >>> 0, hi >>> 0);
}

export function sizeOfBig(v: bigint): number {
  const lo = Number(BigInt.asUintN(32, v));
  const hi = Number(BigInt.asUintN(32, v >> 32n));
  let size = 1;
  let l = lo;
  let h = hi;
  while (h !== 0 || l > 0x7f) {
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
    size++;
  }
  return size;
}

export function writeBig(out: Uint8Array, p: number, v: bigint): number {
  return writeHalves(out, p, Number(BigInt.asUintN(32, v)), Number(BigInt.asUintN(32, v >> 32n)));
}

function writeHalves(out: Uint8Array, p: number, lo: number, hi: number): number {
  while (hi !== 0) {
    out[p++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 0x7f) {
    out[p++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  out[p++] = lo;
  return p;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/** The bigint as a number when that is exact, else NaN (callers then take the bigint path). */
export function safeOrNaN(v: bigint): number {
  return v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : NaN;
}

export function sizeOfInt64(v: bigint): number {
  const n = safeOrNaN(v);
  return n === n ? sizeOfSafe(n) : sizeOfBig(v);
}

export function writeInt64(out: Uint8Array, p: number, v: bigint): number {
  const n = safeOrNaN(v);
  return n === n ? writeSafe(out, p, n) : writeBig(out, p, v);
}
