import { FrameDecodeError } from '../errors.js';

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/#structure). */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

const TWO_32 = 4294967296;

/**
 * A minimal protobuf reader over one frame: just what PubSubReq needs, with every length checked
 * against the bytes left. int64 values come out as exact bigints (two's complement over 10 bytes),
 * so no JavaScript number ever rounds a sequence, offset or timestamp.
 */
export class WireReader {
  pos = 0;
  readonly buf: Uint8Array;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A field key: returns `fieldNumber << 3 | wireType`, checked. */
  key(): number {
    const at = this.pos;
    const k = this.uint32();
    if (k >>> 3 === 0) throw new FrameDecodeError('field number 0', at);
    return k;
  }

  /** A varint truncated to its low 32 bits (int32, uint32, enum, lengths, keys). */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (p >= this.end) throw new FrameDecodeError('varint runs past the end', this.pos);
      const byte = b[p++]!;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = p;
        return result >>> 0;
      }
    }
    throw new FrameDecodeError('varint longer than 10 bytes', this.pos);
  }

  int32(): number {
    return this.uint32() | 0;
  }

  /** A varint as a signed 64-bit bigint (int64). */
  int64(): bigint {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= this.end) throw new FrameDecodeError('varint runs past the end', this.pos);
      const byte = b[p++]!;
      const bits = byte & 0x7f;
      // Bits 0-27 go to lo whole; byte 4 straddles lo (4 bits) and hi (3 bits); the rest is hi.
      if (i < 4) lo += bits * 2 ** (7 * i);
      else if (i === 4) {
        lo += (bits & 0x0f) * 2 ** 28;
        hi += bits >> 4;
      } else hi += bits * 2 ** (7 * i - 32);
      if (byte < 0x80) {
        this.pos = p;
        hi = hi % TWO_32;
        if (hi === 0) return BigInt(lo);
        return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
      }
    }
    throw new FrameDecodeError('varint longer than 10 bytes', this.pos);
  }

  /** A length-delimited field: returns [start, end) within `buf`. */
  bytes(): [number, number] {
    const at = this.pos;
    const len = this.uint32();
    if (len > this.end - this.pos) throw new FrameDecodeError(`length ${len} runs past the end`, at);
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  /** Skips a field of an unknown number, as protobuf requires of readers. */
  skip(wireType: number): void {
    const at = this.pos;
    switch (wireType) {
      case VARINT:
        this.uint32();
        return;
      case I64:
        this.advance(8, at);
        return;
      case LEN:
        this.bytes();
        return;
      case I32:
        this.advance(4, at);
        return;
      default:
        // Groups (3, 4) are proto2-only and never appear in PubSubReq; 6 and 7 do not exist.
        throw new FrameDecodeError(`unsupported wire type ${wireType}`, at);
    }
  }

  private advance(n: number, at: number): void {
    if (n > this.end - this.pos) throw new FrameDecodeError('fixed-width field runs past the end', at);
    this.pos += n;
  }
}
