/**
 * Exact int64 with protobufjs, without depending on the `long` package.
 *
 * protobufjs decodes an int64 with `LongBits.toLong()`, which is `new util.Long(lo, hi, unsigned)`
 * when `util.Long` is set and a lossy JS number otherwise (src/util/longbits.js, src/reader.js).
 * In Node, `util.Long` is the `long` package (src/util/minimal.js `require("long")`); our browser
 * bundle stubs that require out, so there it is absent and we install `BigIntLong` instead.
 * Either way the SDK reads only `low`/`high` and turns them into a bigint. For encoding,
 * `LongBits.from` accepts any `{ low, high }` object (src/util/longbits.js), so we never need a
 * Long instance on the way out.
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

/**
 * A bigint-backed stand-in for long.js's `Long`, with exactly what protobufjs calls on
 * `util.Long`: the constructor and `fromBits` (reader, longFromHash), `fromString` (LongBits.from
 * for string input, Field.resolve for defaults), `fromNumber` (Field.resolve, map decoding),
 * `fromValue` (converter.fromObject), and `toString`/`toNumber`/`toBigInt` (converter.toObject).
 */
export class BigIntLong {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;

  constructor(low: number, high: number, unsigned?: boolean) {
    this.low = low | 0;
    this.high = high | 0;
    this.unsigned = unsigned === true;
  }

  static fromBits(low: number, high: number, unsigned?: boolean): BigIntLong {
    return new BigIntLong(low, high, unsigned);
  }

  static fromBigInt(value: bigint, unsigned?: boolean): BigIntLong {
    const bits = BigInt.asUintN(64, value);
    return new BigIntLong(Number(bits & 0xffffffffn), Number(bits >> TWO_32), unsigned);
  }

  /** long.js also takes a radix as the second or third argument; protobufjs only passes decimal. */
  static fromString(text: string, unsigned?: boolean | number): BigIntLong {
    return BigIntLong.fromBigInt(BigInt(text.trim()), unsigned === true);
  }

  /** Like long.js: NaN is 0, fractions truncate, values beyond the range saturate. */
  static fromNumber(value: number, unsigned?: boolean): BigIntLong {
    if (Number.isNaN(value)) return new BigIntLong(0, 0, unsigned);
    const min = unsigned === true ? 0n : -(1n << 63n);
    const max = unsigned === true ? (1n << 64n) - 1n : (1n << 63n) - 1n;
    if (!Number.isFinite(value)) return BigIntLong.fromBigInt(value > 0 ? max : min, unsigned);
    const v = BigInt(Math.trunc(value));
    return BigIntLong.fromBigInt(v < min ? min : v > max ? max : v, unsigned);
  }

  static fromValue(value: unknown, unsigned?: boolean): BigIntLong {
    if (typeof value === 'number') return BigIntLong.fromNumber(value, unsigned);
    if (typeof value === 'string') return BigIntLong.fromString(value, unsigned);
    if (typeof value === 'bigint') return BigIntLong.fromBigInt(value, unsigned);
    const bits = value as { low: number; high: number; unsigned?: boolean };
    return new BigIntLong(bits.low, bits.high, typeof unsigned === 'boolean' ? unsigned : bits.unsigned);
  }

  // Each reads only low/high/unsigned: protobufjs's converter calls
  // `util.Long.prototype.toString.call(x)` on plain `{low, high, unsigned}` objects too.
  toBigInt(): bigint {
    return bigintFromBits(this.low, this.high, this.unsigned);
  }

  toNumber(): number {
    return Number(bigintFromBits(this.low, this.high, this.unsigned));
  }

  toString(): string {
    return bigintFromBits(this.low, this.high, this.unsigned).toString();
  }
}

/** The parts of protobufjs (any build) that choose the Long class. */
export interface ProtobufLongHost {
  util: { Long: unknown };
  configure(): void;
}

/**
 * Installs `BigIntLong` as protobufjs's Long class when none was found, so int64 decodes exactly.
 * Must run before any `Type`/`Field` is created: `Field` reads `util.Long` in its constructor.
 * `configure()` hands the class to LongBits and rebuilds the reader's int64 methods.
 * Returns the Long class protobufjs uses from now on.
 */
export function ensureLong(protobuf: ProtobufLongHost): unknown {
  if (protobuf.util.Long === null || protobuf.util.Long === undefined) {
    protobuf.util.Long = BigIntLong;
    protobuf.configure();
  }
  return protobuf.util.Long;
}
