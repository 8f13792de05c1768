import type { BufferPool } from '../primitives/buffer-pool.js';

const EMPTY = Buffer.alloc(0);
const SCRATCH_BYTES = 64 * 1024;
/** Less free room than this at the end of the scratch buffer moves its content to the front. */
const MIN_READ_ROOM = 4 * 1024;

/**
 * Splits a broker's byte stream (int32 size + payload) into frames, choosing where the socket
 * writes each read (Node's `onread`: `target()` before a read, `filled(n)` after it).
 *
 * Node otherwise allocates a fresh chunk for every read, and a frame spanning chunks is copied once
 * more into a buffer of its own: a 1 MiB fetch response cost some seventeen allocations outside
 * V8's heap and a full copy, both visible in the proxy's profile under load (BENCHMARKS.md,
 * change 1). Here, a frame
 * that fits the connection's 64 KiB scratch buffer is assembled there and copied out once; a
 * larger one gets its own buffer from `pool` as soon as its size prefix is in, and the socket reads
 * the rest of it in place. Every frame handed to `onFrame` belongs to the receiver.
 */
export class SocketFrameReader {
  private scratch: Buffer | undefined;
  /** Unparsed bytes are scratch[start, end). */
  private start = 0;
  private end = 0;
  /** A frame larger than the scratch buffer, being read in place, and how much of it is in. */
  private frame: Buffer | undefined;
  private have = 0;

  private readonly maxFrameBytes: number;
  private readonly pool: BufferPool;
  private readonly onFrame: (frame: Buffer) => void;
  private readonly onOversize: (size: number, prefix: Buffer) => void;

  /**
   * @param maxFrameBytes frames announcing more than this are rejected before any is buffered
   * @param onOversize called with the announced size; the caller is expected to close the stream
   */
  constructor(maxFrameBytes: number, pool: BufferPool, onFrame: (frame: Buffer) => void, onOversize: (size: number, prefix: Buffer) => void) {
    this.maxFrameBytes = maxFrameBytes;
    this.pool = pool;
    this.onFrame = onFrame;
    this.onOversize = onOversize;
  }

  /** Where the next read should put its bytes. */
  readonly target = (): Buffer => {
    if (this.frame !== undefined) return this.frame.subarray(this.have);
    this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
    return this.scratch.subarray(this.end);
  };

  /** `n` bytes were read into the last `target()`. Always true: keep reading (Node's onread contract). */
  readonly filled = (n: number): boolean => {
    if (this.frame !== undefined) {
      this.have += n;
      if (this.have < this.frame.length) return true;
      const f = this.frame;
      this.frame = undefined;
      this.onFrame(f);
      return true;
    }
    this.end += n;
    this.parse();
    return true;
  };

  /** Bytes received and not yet part of a delivered frame. */
  get bufferedBytes(): number {
    return this.frame !== undefined ? this.have + 4 : this.end - this.start;
  }

  reset(): void {
    this.frame = undefined;
    this.have = 0;
    this.start = 0;
    this.end = 0;
  }

  private parse(): void {
    const s = this.scratch!;
    // Where the scratch buffer must reach for the next frame to be complete.
    let need = this.start + 4;
    while (this.end - this.start >= 4) {
      const size = s.readInt32BE(this.start);
      if (size < 0 || size > this.maxFrameBytes) {
        const prefix = Buffer.from(s.subarray(this.start, this.start + 4));
        this.reset();
        this.onOversize(size, prefix);
        return;
      }
      const body = this.start + 4;
      const avail = this.end - body;
      if (avail < size) {
        if (size > SCRATCH_BYTES - 4) {
          // Large: its own buffer now, and the socket fills the rest of it directly.
          const f = this.pool.take(size);
          s.copy(f, 0, body, this.end);
          this.frame = f;
          this.have = avail;
          this.start = this.end = 0;
          return;
        }
        need = body + size;
        break;
      }
      this.start = body + size;
      need = this.start + 4;
      this.onFrame(size === 0 ? EMPTY : this.copyOut(s, body, size));
      if (this.end === 0) return; // the callback reset us (the connection closed)
    }
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (need > SCRATCH_BYTES || SCRATCH_BYTES - this.end < MIN_READ_ROOM) {
      // What is left is under one frame, and a frame here fits the scratch buffer: move it to the front.
      s.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
  }

  private copyOut(s: Buffer, from: number, size: number): Buffer {
    const f = this.pool.take(size);
    s.copy(f, 0, from, from + size);
    return f;
  }
}
