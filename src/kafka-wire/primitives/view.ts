/**
 * Zero-copy Buffer views for the record hot path.
 *
 * `buf.subarray(a, b)` looks up `constructor[Symbol.species]` and goes through the generic
 * TypedArray species-create path on every call; in the decode benchmark that was a large share of
 * the time spent per record (BENCHMARKS.md, "Record decoding", "What changed", 1.). Node's
 * `Buffer[Symbol.species]` is its internal `FastBuffer` class, the one `subarray` ends up
 * constructing, so calling it directly yields exactly the same kind of object (same prototype and
 * hidden class, `Buffer.isBuffer` true) for less than half the cost. If a runtime ever returns
 * `Buffer` itself there, constructing it would hit the deprecated `Buffer()` constructor, so we
 * fall back to an equivalent subclass.
 */
type ViewCtor = new (ab: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

function viewConstructor(): ViewCtor {
  const species = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
  if (typeof species === 'function' && species !== Buffer) {
    const probe = new (species as ViewCtor)(new ArrayBuffer(2), 1, 1);
    if (Buffer.isBuffer(probe) && probe.byteOffset === 1 && probe.length === 1) return species as ViewCtor;
  }
  class BufferView extends Uint8Array {}
  Object.setPrototypeOf(BufferView.prototype, Buffer.prototype);
  // So `view.constructor === Buffer` and view.subarray() yields ordinary Buffers, as for FastBuffer.
  Object.defineProperty(BufferView.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });
  return BufferView as unknown as ViewCtor;
}

const View = viewConstructor();
const EMPTY = new ArrayBuffer(0);

/**
 * Makes views into one source buffer at a time. It remembers the source's ArrayBuffer and
 * byteOffset because reading `buf.buffer` costs about as much as constructing the view (same
 * place); a record batch keeps one of these for all its records.
 */
export class ViewMaker {
  private source: Uint8Array | null = null;
  private arrayBuffer: ArrayBufferLike = EMPTY;
  private byteOffset = 0;

  /** A Buffer sharing memory with buf[start, start + length). Throws RangeError outside buf's ArrayBuffer. */
  view(buf: Uint8Array, start: number, length: number): Buffer {
    if (this.source !== buf) {
      this.source = buf;
      this.arrayBuffer = buf.buffer;
      this.byteOffset = buf.byteOffset;
    }
    return new View(this.arrayBuffer, this.byteOffset + start, length);
  }
}
