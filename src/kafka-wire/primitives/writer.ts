import { KafkaWireError } from '../errors.js';

/**
 * Longest string Kafka reads, in bytes: its generated readers refuse more than Short.MAX_VALUE in
 * compact (varint-length) strings too, and a broker that cannot parse a request closes the
 * connection, failing every other request in flight on it (issue 16).
 */
export const MAX_STRING_BYTES = 0x7fff;

function tooLong(n: number): KafkaWireError {
  return new KafkaWireError('KWIRE_ERR_ENCODE', `a string of ${n} bytes is longer than Kafka reads (${MAX_STRING_BYTES})`);
}

/**
 * Appends Kafka's primitive types to a growable buffer. Length prefixes that are only known
 * after the body is written (frame size, record length) are back-patched with `patchInt32`.
 */
export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, p + n));
      this.buf.copy(next, 0, 0, p);
      this.buf = next;
    }
    this.pos = p + n;
    return p;
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  int8(v: number): this {
    const p = this.ensure(1);
    this.buf.writeInt8(v, p);
    return this;
  }

  uint8(v: number): this {
    const p = this.ensure(1);
    this.buf[p] = v;
    return this;
  }

  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }

  int16(v: number): this {
    const p = this.ensure(2);
    this.buf.writeInt16BE(v, p);
    return this;
  }

  uint16(v: number): this {
    const p = this.ensure(2);
    this.buf.writeUInt16BE(v, p);
    return this;
  }

  int32(v: number): this {
    const p = this.ensure(4);
    this.buf.writeInt32BE(v, p);
    return this;
  }

  uint32(v: number): this {
    const p = this.ensure(4);
    this.buf.writeUInt32BE(v, p);
    return this;
  }

  int64(v: bigint): this {
    const p = this.ensure(8);
    this.buf.writeBigInt64BE(v, p);
    return this;
  }

  float64(v: number): this {
    const p = this.ensure(8);
    this.buf.writeDoubleBE(v, p);
    return this;
  }

  uvarint(v: number): this {
    if (!(v >= 0 && v <= 0xffffffff) || !Number.isInteger(v)) {
      throw new KafkaWireError('KWIRE_ERR_ENCODE', `unsigned varint out of range: ${v}`);
    }
    while (v >= 0x80) {
      this.uint8((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    return this.uint8(v);
  }

  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  varlong(v: bigint): this {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      this.uint8(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    return this.uint8(Number(u));
  }

  raw(b: Uint8Array): this {
    const p = this.ensure(b.length);
    this.buf.set(b, p);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const n = Buffer.byteLength(s);
    if (n > MAX_STRING_BYTES) throw tooLong(n);
    this.int16(n);
    const p = this.ensure(n);
    this.buf.write(s, p, 'utf8');
    return this;
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const n = Buffer.byteLength(s);
    if (n > MAX_STRING_BYTES) throw tooLong(n);
    this.uvarint(n + 1);
    const p = this.ensure(n);
    this.buf.write(s, p, 'utf8');
    return this;
  }

  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }

  compactNullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.uvarint(0);
    return this.uvarint(b.length + 1).raw(b);
  }

  arrayLength(n: number, compact: boolean): this {
    return compact ? this.uvarint(n + 1) : this.int32(n);
  }

  /** Writes a UUID given as Kafka's 22-character URL-safe base64 form. */
  uuid(s: string): this {
    const b = Buffer.from(s, 'base64url');
    if (b.length !== 16) throw new KafkaWireError('KWIRE_ERR_ENCODE', `not a Kafka UUID: ${JSON.stringify(s)}`);
    return this.raw(b);
  }

  /** Reserves 4 bytes for an int32 filled in later by patchInt32; returns their position. */
  reserveInt32(): number {
    return this.ensure(4);
  }

  patchInt32(at: number, v: number): this {
    this.buf.writeInt32BE(v, at);
    return this;
  }
}
