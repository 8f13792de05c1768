/**
 * Zigzag varints as records and headers use them (record-format.md; Java's ByteUtils.readVarint and
 * readVarlong), read at a position instead of through a Reader: the value at `p` is one call and
 * the position after it another, so a caller's cursor can stay a local variable.
 *
 * There are no bounds checks: a read past the end of `buf` yields `undefined`, which turns the
 * value into NaN. Callers check the value (NaN fails every comparison) and the new position
 * against their own limit.
 */

/** The zigzag varint (int32, at most 5 bytes) at buf[p], or NaN if it is malformed or cut off. */
export function varintAt(buf: Uint8Array, p: number): number {
  const b = buf[p]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  const c = buf[p + 1]!;
  if (c < 0x80) return zigzag((b & 0x7f) | (c << 7));
  return longVarintAt(buf, p);
}

/**
 * The zigzag varlong (int64, at most 10 bytes) at buf[p]: a number within ±2^52 (every real
 * timestamp delta: 2^52 ms is 142,000 years), else an exact bigint; NaN if malformed or cut off.
 */
export function varlongAt(buf: Uint8Array, p: number): number | bigint {
  const b = buf[p]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  const c = buf[p + 1]!;
  if (c < 0x80) return zigzag((b & 0x7f) | (c << 7));
  return longVarlongAt(buf, p);
}

/** The position after the varint or varlong at buf[p]; at most p + 10. */
export function varintEnd(buf: Uint8Array, p: number): number {
  if (buf[p]! < 0x80) return p + 1;
  if (buf[p + 1]! < 0x80) return p + 2;
  return longVarintEnd(buf, p);
}

/** The signed value of a zigzag-encoded uint32. */
export function zigzag(u: number): number {
  return (u >>> 1) ^ -(u & 1);
}

function longVarintAt(buf: Uint8Array, p: number): number {
  let u = (buf[p]! & 0x7f) | ((buf[p + 1]! & 0x7f) << 7);
  let b = buf[p + 2]!;
  u |= (b & 0x7f) << 14;
  if (b < 0x80) return zigzag(u);
  b = buf[p + 3]!;
  u |= (b & 0x7f) << 21;
  if (b < 0x80) return zigzag(u);
  b = buf[p + 4]!;
  // A fifth byte with more than 4 payload bits or a continuation bit is not a 32-bit varint.
  if (b === undefined || b > 0x0f) return NaN;
  return zigzag(u | (b << 28));
}

function longVarlongAt(buf: Uint8Array, p: number): number | bigint {
  let u = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[p + i];
    if (b === undefined) return NaN;
    // Exact while the sum stays below 2^53; a larger sum stays above it after rounding.
    u += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) {
      if (u <= Number.MAX_SAFE_INTEGER) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      return bigVarlong(buf, p, p + i + 1);
    }
  }
  return NaN;
}

/** Like Java's readVarlong, bits above 64 in a tenth byte are dropped. */
function bigVarlong(buf: Uint8Array, start: number, end: number): bigint {
  let u = 0n;
  let shift = 0n;
  for (let p = start; p < end; p++) {
    u |= BigInt(buf[p]! & 0x7f) << shift;
    shift += 7n;
  }
  u = BigInt.asUintN(64, u);
  return (u >> 1n) ^ -(u & 1n);
}

function longVarintEnd(buf: Uint8Array, p: number): number {
  for (let q = p + 2; q < p + 10; q++) {
    const b = buf[q];
    if (b === undefined || b < 0x80) return q + 1;
  }
  return p + 10;
}
