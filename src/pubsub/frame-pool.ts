import { BufferPool } from '../kafka-wire/index.js';

/**
 * Reuses the memory of large reply frames. A fetch reply is up to the route's max_frame_bytes (1 MiB
 * by default), written once per fetch and dropped once sent; allocating each one anew kept V8's
 * garbage collector busy with "external memory pressure" collections (see BufferPool). The
 * session releases a frame when its channel reports it written; in-use frames are bounded by the
 * session's backpressure limits like any other frame.
 *
 * From 8 KiB, not only the large ones: with thousands of 16 KiB replies per second, each young
 * ArrayBuffer also costs every scavenge time to sweep (`--trace-gc-nvp`), which showed in the
 * proxy's p99 at 100 clients (BENCHMARKS.md, change 6).
 */
export const MIN_POOLED = 8 * 1024;

export class FramePool extends BufferPool {
  constructor(maxFreeBytes = 32 * 1024 * 1024) {
    super({ minBytes: MIN_POOLED, maxFreeBytes });
  }
}

/** The pool every WebSocket session of the process shares (attachSession). */
export const sharedFramePool = new FramePool();
