import { MalformedError, ShortInputError } from '../errors.js';

/**
 * Reads Kafka's primitive types from one buffer. Every length read from the wire is checked
 * against the bytes left before it is used, so hostile input fails with ShortInputError instead
 * of a RangeError or a huge allocation. Bytes are returned as views (subarray), never copies.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available; returns the current position. */
  need(n: number, what: string): number {
    const p = this.pos;
    if (n > this.end - p) {
      throw new ShortInputError(`short input reading ${what}: need ${n} bytes, have ${this.end - p}`, p);
    }
    return p;
  }

  int8(): number {
    const p = this.need(1, 'int8');
    this.pos = p + 1;
    return this.buf.readInt8(p);
  }

  uint8(): number {
    const p = this.need(1, 'uint8');
    this.pos = p + 1;
    return this.buf[p]!;
  }

  bool(): boolean {
    return this.uint8() !== 0;
  }

  int16(): number {
    const p = this.need(2, 'int16');
    this.pos = p + 2;
    return this.buf.readInt16BE(p);
  }

  uint16(): number {
    const p = this.need(2, 'uint16');
    this.pos = p + 2;
    return this.buf.readUInt16BE(p);
  }

  int32(): number {
    const p = this.need(4, 'int32');
    this.pos = p + 4;
    return this.buf.readInt32BE(p);
  }

  uint32(): number {
    const p = this.need(4, 'uint32');
    this.pos = p + 4;
    return this.buf.readUInt32BE(p);
  }

  int64(): bigint {
    const p = this.need(8, 'int64');
    this.pos = p + 8;
    return this.buf.readBigInt64BE(p);
  }

  float64(): number {
    const p = this.need(8, 'float64');
    this.pos = p + 8;
    return this.buf.readDoubleBE(p);
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits), as used for compact lengths and tags. */
  uvarint(): number {
    const buf = this.buf;
    let p = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= this.end) throw new ShortInputError('short input reading varint', p);
      const b = buf[p++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new MalformedError('varint exceeds 32 bits', this.pos);
        this.pos = p;
        return result;
      }
    }
    throw new MalformedError('varint longer than 5 bytes', this.pos);
  }

  /** Zigzag-encoded signed 32-bit varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed 64-bit varint (record timestamps), as bigint. */
  varlong(): bigint {
    const buf = this.buf;
    let p = this.pos;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (p >= this.end) throw new ShortInputError('short input reading varlong', p);
      const b = buf[p++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        this.pos = p;
        if (result > 0xffffffffffffffffn) throw new MalformedError('varlong exceeds 64 bits', p);
        return (result >> 1n) ^ -(result & 1n);
      }
    }
    throw new MalformedError('varlong longer than 10 bytes', this.pos);
  }

  /** A view of the next `n` bytes. */
  raw(n: number, what = 'bytes'): Buffer {
    const p = this.need(n, what);
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  private utf8(n: number): string {
    const p = this.need(n, 'string');
    this.pos = p + n;
    return this.buf.toString('utf8', p, p + n);
  }

  /** Classic string: int16 length, -1 = null. */
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) {
      if (n === -1) return null;
      throw new MalformedError(`negative string length ${n}`, this.pos - 2);
    }
    return this.utf8(n);
  }

  /** Compact string: uvarint length + 1, 0 = null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.utf8(n - 1);
  }

  /** Classic bytes: int32 length, -1 = null. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) {
      if (n === -1) return null;
      throw new MalformedError(`negative bytes length ${n}`, this.pos - 4);
    }
    return this.raw(n);
  }

  /** Compact bytes: uvarint length + 1, 0 = null. */
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.raw(n - 1);
  }

  /**
   * Array length in classic (int32, -1 = null) or compact (uvarint N+1) form; -1 means null.
   * Each element takes at least `minElementSize` bytes, so a count larger than the bytes left
   * is rejected before anything is allocated.
   */
  arrayLength(compact: boolean, minElementSize = 1): number {
    const at = this.pos;
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new MalformedError(`negative array length ${n}`, at);
    if (n > 0 && n * minElementSize > this.end - this.pos) {
      throw new ShortInputError(`array of ${n} elements cannot fit in ${this.end - this.pos} bytes`, at);
    }
    return n;
  }

  /** UUID as Kafka prints it: 22 characters of URL-safe base64 without padding. */
  uuid(): string {
    return this.raw(16, 'uuid').toString('base64url');
  }
}
