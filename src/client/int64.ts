/**
 * Exact int64 without the `long` package. protobufjs decodes an int64 through a Long class, or a
 * lossy JS number when it has none (our browser bundle has none), so the codec reads varints into
 * bigints itself; for encoding, protobufjs's `LongBits.from` accepts any `{ low, high }` object
 * (src/util/longbits.js), so no Long instance is needed on the way out either.
 */

const TWO_32 = 32n;

/** The int64 with these two's-complement halves (each taken as 32 raw bits). */
export function bigintFromBits(low: number, high: number, unsigned = false): bigint {
  const bits = (BigInt(high >>> 0) << TWO_32) | BigInt(low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

/** A decoded protobufjs int64 (a Long-like `{low, high}`, a number when it was absent, or a bigint) as a bigint. */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return BigInt(value);
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) {
    const { low, high } = value as { low: unknown; high: unknown };
    if (typeof low === 'number' && typeof high === 'number') return bigintFromBits(low, high);
  }
  throw new TypeError(`not an int64 value: ${String(value)}`);
}

/** What protobufjs's writer accepts for an int64 field, without a Long class. */
export interface LongBitsLike {
  low: number;
  high: number;
  unsigned: false;
}

/**
 * `value` as the `{low, high}` halves protobufjs writes (LongBits.from).
 * @throws RangeError when `value` is outside int64, or a number that is not a safe integer.
 */
export function toLongBits(value: bigint | number, what: string): LongBitsLike {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`${what} must be a safe integer or a bigint, got ${value}`);
  const v = BigInt(value);
  if (BigInt.asIntN(64, v) !== v) throw new RangeError(`${what} ${v} is outside int64`);
  return { low: Number(BigInt.asIntN(32, v)), high: Number(BigInt.asIntN(32, v >> TWO_32)), unsigned: false };
}
