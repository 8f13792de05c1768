/**
 * A growable output buffer shared by the lz4 and zstd decoders. The decoders write straight into
 * `buf` (typed-array stores) after asking for room with {@link OutputBuffer.reserve}; `pos` is the
 * number of bytes produced so far. Capacity never exceeds `max`, the caller's `maxOutputBytes`.
 */
import { CompressionError, type CodecName } from './errors.js';

const EMPTY = Buffer.alloc(0);

export class OutputBuffer {
  buf: Buffer;
  pos: number;
  readonly max: number;
  readonly codec: CodecName;

  constructor(codec: CodecName, max: number) {
    this.codec = codec;
    this.max = max;
    this.buf = EMPTY;
    this.pos = 0;
  }

  /**
   * Makes room for `n` more bytes. Grows to exactly `pos + n` when that is enough for a first
   * reservation (the callers pass exact sizes or tight upper bounds), otherwise by at least 1.5x
   * so that a stream of small reservations stays linear.
   * @param inputOffset where in the input the request came from, for the error
   * @throws CompressionError (`KWIRE_ERR_COMPRESSION_LIMIT`) if `pos + n` exceeds `max`
   */
  reserve(n: number, inputOffset: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > this.max) {
      throw new CompressionError(this.codec, 'limit', `output would exceed maxOutputBytes ${this.max}`, inputOffset);
    }
    const grown = this.buf.length === 0 ? need : Math.min(this.max, Math.max(need, Math.floor(this.buf.length * 1.5)));
    const next = Buffer.allocUnsafe(grown);
    if (this.pos > 0) next.set(this.buf.subarray(0, this.pos), 0);
    this.buf = next;
  }

  /** Room left before `max`, in bytes. */
  remainingAllowed(): number {
    return this.max - this.pos;
  }

  /**
   * The produced bytes as a Buffer of exactly `pos` bytes. A view when the unused tail is small,
   * a copy when keeping the tail alive would waste more than a quarter of the result.
   */
  finish(): Buffer {
    const b = this.buf;
    if (this.pos === b.length) return b;
    const view = b.subarray(0, this.pos);
    return b.length - this.pos <= this.pos >>> 2 ? view : Buffer.from(view);
  }
}
