/**
 * Reuses the memory of large reply frames. A fetch reply is up to the route's max_frame_bytes (1 MiB
 * by default), and the proxy wrote one per fetch and dropped it once sent. Profiling the proxy under
 * 100 clients (bench/e2e, `--cpu-prof` and `--trace-gc`) showed a quarter of its CPU in the garbage
 * collector, mostly scavenges V8 starts on "external memory pressure" when a large ArrayBuffer is
 * allocated: allocating the reply frame started one while the reply's decoded records were still
 * alive, so each of them was copied, and then promoted to the old generation to die there.
 *
 * Frames of at least MIN_POOLED bytes are views of a buffer whose capacity is the next power of two;
 * `release(frame)` gives the buffer back once the channel has written the frame. At most
 * `maxFreeBytes` of free buffers are kept; in-use buffers are bounded by the session's backpressure
 * limits like any other frame. Releasing a frame twice, or one the pool did not make, does nothing.
 */
export const MIN_POOLED = 64 * 1024;

export class FramePool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Buffers handed out and not yet released: only these may come back. */
  private readonly inUse = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;
  private readonly maxFreeBytes: number;

  constructor(maxFreeBytes = 32 * 1024 * 1024) {
    this.maxFreeBytes = maxFreeBytes;
  }

  /** A frame of exactly `size` bytes, uninitialized (callers write every byte). */
  readonly take = (size: number): Buffer => {
    if (size < MIN_POOLED) return Buffer.allocUnsafe(size);
    const capacity = 2 ** Math.ceil(Math.log2(size));
    let ab = this.free.get(capacity)?.pop();
    if (ab !== undefined) this.freeBytes -= capacity;
    else ab = Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer;
    this.inUse.add(ab);
    return Buffer.from(ab, 0, size);
  };

  /** Gives back a frame from `take` whose bytes nobody reads any more. */
  release(frame: Buffer): void {
    if (frame.length < MIN_POOLED) return;
    const ab = frame.buffer as ArrayBuffer;
    if (!this.inUse.has(ab)) return;
    this.inUse.delete(ab);
    if (this.freeBytes + ab.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(ab.byteLength);
    if (list === undefined) this.free.set(ab.byteLength, (list = []));
    list.push(ab);
    this.freeBytes += ab.byteLength;
  }

  /** Bytes held in free buffers. */
  get pooledBytes(): number {
    return this.freeBytes;
  }
}

/** The pool every WebSocket session of the process shares (attachSession). */
export const sharedFramePool = new FramePool();
