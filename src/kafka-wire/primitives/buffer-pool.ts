/**
 * Reuses the memory of large buffers whose owner says when it is done with them. Allocating a
 * large Buffer creates an ArrayBuffer outside V8's heap, and V8 answers a steady stream of those
 * with garbage collections ("external memory pressure"): under load the proxy spent a good part of
 * its CPU in GC started that way, by the 1 MiB Kafka responses and reply frames it allocated and
 * dropped (BENCHMARKS.md, change 1). Pooled buffers take no part in that.
 *
 * Buffers of at least `minBytes` are views of an ArrayBuffer whose capacity is the next size class
 * (eight per power of two, so at most 1/8 is unused); `release(buf)` (any view of it) gives the ArrayBuffer back. At most `maxFreeBytes` of free
 * buffers are kept. Releasing twice, or a buffer the pool did not make, does nothing; a buffer that
 * is never released is simply collected, so callers that cannot know the lifetime may ignore this.
 */
export interface BufferPoolOptions {
  /** Smaller buffers come from Buffer.allocUnsafe and are never pooled. */
  minBytes: number;
  maxFreeBytes: number;
}

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Buffers handed out and not yet released: only these may come back. */
  private readonly inUse = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;
  /** Buffers handed out again after a release, since the pool was made (metrics and tests). */
  reuses = 0;
  readonly minBytes: number;
  private readonly maxFreeBytes: number;

  constructor(options: BufferPoolOptions) {
    this.minBytes = options.minBytes;
    this.maxFreeBytes = options.maxFreeBytes;
  }

  /** A buffer of exactly `size` bytes, uninitialized (callers write every byte they read). */
  readonly take = (size: number): Buffer => {
    if (size < this.minBytes) return Buffer.allocUnsafe(size);
    const capacity = sizeClass(size);
    let ab = this.free.get(capacity)?.pop();
    if (ab !== undefined) {
      this.freeBytes -= capacity;
      this.reuses++;
    } else ab = Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer;
    this.inUse.add(ab);
    return Buffer.from(ab, 0, size);
  };

  /** Gives back the memory of a buffer from `take` (or of any view of it) that nobody reads any more. */
  release(buf: Uint8Array): void {
    const ab = buf.buffer as ArrayBuffer;
    if (ab.byteLength < this.minBytes || !this.inUse.has(ab)) return;
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

/**
 * The capacity a buffer of `size` bytes gets: `size` rounded up to a multiple of an eighth of its
 * power of two. Plain powers of two would give a Kafka response of 1 MiB plus its headers 2 MiB,
 * which callers that never release pay for on every fetch.
 */
export function sizeClass(size: number): number {
  const step = 2 ** Math.max(0, Math.floor(Math.log2(size)) - 3);
  return Math.ceil(size / step) * step;
}

/**
 * Many small buffers with one owner and one lifetime, cut from pooled chunks and all given back
 * with one `release()`: the decompressed batches of one fetch response. A buffer over a quarter of
 * a chunk gets a pooled buffer of its own. Without `release()` the chunks are simply collected.
 */
export class BufferArena {
  private readonly pool: BufferPool;
  private readonly chunkBytes: number;
  private chunks: Buffer[] = [];
  private current: Buffer | undefined;
  private used = 0;

  constructor(pool: BufferPool, chunkBytes = 256 * 1024) {
    this.pool = pool;
    this.chunkBytes = chunkBytes;
  }

  readonly take = (size: number): Buffer => {
    if (size > this.chunkBytes >>> 2) {
      const own = this.pool.take(size);
      this.chunks.push(own);
      return own;
    }
    if (this.current === undefined || this.used + size > this.current.length) {
      this.current = this.pool.take(this.chunkBytes);
      this.chunks.push(this.current);
      this.used = 0;
    }
    const b = this.current.subarray(this.used, this.used + size);
    // 8-byte steps keep every buffer as aligned as the chunk, for word-wise readers.
    this.used += (size + 7) & ~7;
    return b;
  };

  /** Gives every chunk back; nothing taken from this arena may be read after. */
  release(): void {
    for (const c of this.chunks) this.pool.release(c);
    this.chunks = [];
    this.current = undefined;
    this.used = 0;
  }
}
