const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into Kafka frames (int32 size + payload) over a list of received chunks.
 * Chunks are never concatenated as they arrive: a frame that lies inside one chunk is returned as
 * a view of it, and only a frame spanning several chunks is copied once into a buffer of its own.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  /** Bytes buffered, not counting the consumed part of chunks[0]. */
  private buffered = 0;
  /** Size of the frame being assembled, or -1 until its 4-byte prefix is in. */
  private need = -1;

  /**
   * @param maxFrameBytes frames announcing more than this are rejected before any is buffered
   * @param onOversize called with the announced size; the caller is expected to close the stream
   */
  private readonly maxFrameBytes: number;
  private readonly onOversize: (size: number, prefix: Buffer) => void;

  constructor(maxFrameBytes: number, onOversize: (size: number, prefix: Buffer) => void) {
    this.maxFrameBytes = maxFrameBytes;
    this.onOversize = onOversize;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds a chunk and calls `onFrame` for every frame now complete (payload without the size). */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) return;
        const prefix = this.take(4);
        const size = prefix.readInt32BE(0);
        if (size < 0 || size > this.maxFrameBytes) {
          this.reset();
          this.onOversize(size, prefix);
          return;
        }
        this.need = size;
      }
      if (this.buffered < this.need) return;
      const frame = this.take(this.need);
      this.need = -1;
      onFrame(frame);
      if (this.chunks.length === 0) return; // the callback may have reset us (connection closed)
    }
  }

  reset(): void {
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    this.need = -1;
  }

  /** Removes `n` buffered bytes (n <= buffered): a view when they sit in one chunk, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    const left = first.length - this.head;
    if (n <= left) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n, left);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const avail = c.length - this.head;
      const k = Math.min(avail, n - filled);
      c.copy(out, filled, this.head, this.head + k);
      filled += k;
      this.advance(k, avail);
    }
    return out;
  }

  private advance(k: number, availInHead: number): void {
    this.buffered -= k;
    if (k === availInHead) {
      this.chunks.shift();
      this.head = 0;
    } else {
      this.head += k;
    }
  }
}
