/**
 * A growable output buffer shared by the lz4 and zstd decoders. The decoders write straight into
 * `buf` (typed-array stores) after asking for room with {@link OutputBuffer.reserve}; `pos` is the
 * number of bytes produced so far. Capacity never exceeds `max`, the caller's `maxOutputBytes`.
 *
 * Kafka's writers usually do not declare the decompressed size (Java's LZ4 frames and zstd-jni's
 * streaming frames have no content size), so the decoders only know an upper bound: up to 64 KiB
 * (lz4) or 128 KiB (zstd) per block. Allocating that bound for every small batch would churn the
 * heap, so bounded-but-unknown outputs up to SCRATCH_SIZE are decoded into one reused scratch
 * buffer and copied out at their exact size. Decoding is synchronous, so the scratch is never
 * shared between two calls.
 */
import { CompressionError, type CodecName } from './errors.js';

const EMPTY = Buffer.alloc(0);
const SCRATCH_SIZE = 256 * 1024;
let scratch: Buffer | undefined;

export class OutputBuffer {
  buf: Buffer;
  pos: number;
  readonly max: number;
  readonly codec: CodecName;
  /** Memory for an output of known size: a declared content size, or the copy out of the scratch buffer. */
  private readonly alloc: ((size: number) => Buffer) | undefined;

  constructor(codec: CodecName, max: number, alloc?: (size: number) => Buffer) {
    this.codec = codec;
    this.max = max;
    this.alloc = alloc;
    this.buf = EMPTY;
    this.pos = 0;
  }

  /**
   * Makes room for `n` more bytes. The first reservation allocates exactly when `exact` (a
   * declared content size) and otherwise uses the scratch buffer if it fits; later growth is by
   * at least 1.5x so that a stream of reservations stays linear.
   * @param inputOffset where in the input the request came from, for the error
   * @throws CompressionError (`KWIRE_ERR_COMPRESSION_LIMIT`) if `pos + n` exceeds `max`
   */
  reserve(n: number, inputOffset: number, exact = false): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > this.max) {
      throw new CompressionError(this.codec, 'limit', `output would exceed maxOutputBytes ${this.max}`, inputOffset);
    }
    if (this.buf.length === 0) {
      if (!exact && need <= SCRATCH_SIZE) {
        scratch ??= Buffer.allocUnsafe(SCRATCH_SIZE);
        this.buf = scratch;
      } else {
        this.buf = exact && this.alloc !== undefined ? this.alloc(need) : Buffer.allocUnsafe(need);
      }
      return;
    }
    const grown = Math.min(this.max, Math.max(need, Math.floor(this.buf.length * 1.5)));
    const next = Buffer.allocUnsafe(grown);
    next.set(this.buf.subarray(0, this.pos), 0);
    this.buf = next;
  }

  /** Room left before `max`, in bytes. */
  remainingAllowed(): number {
    return this.max - this.pos;
  }

  /**
   * The produced bytes as a Buffer of exactly `pos` bytes that the caller owns: a copy out of the
   * scratch buffer, the buffer itself when it is full, a view when the unused tail is small, and a
   * copy when keeping the tail alive would waste more than a quarter of the result.
   */
  finish(): Buffer {
    const b = this.buf;
    if (b === scratch) {
      if (this.alloc === undefined) return Buffer.from(b.subarray(0, this.pos));
      const out = this.alloc(this.pos);
      b.copy(out, 0, 0, this.pos);
      return out;
    }
    if (this.pos === b.length) return b;
    const view = b.subarray(0, this.pos);
    return b.length - this.pos <= this.pos >>> 2 ? view : Buffer.from(view);
  }
}
