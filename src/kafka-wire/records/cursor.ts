import { varintAt, varintEnd, varlongAt, zigzag } from '../primitives/varint.js';
import type { RecordBatch } from './batch.js';
import { CorruptRecordsError } from './errors.js';
import { parseHeaders, recordTimestamp, type KafkaRecord, type RecordHeader } from './record.js';

/** Smallest possible v2 record: length, attributes, timestampDelta, offsetDelta, key -1, value -1, 0 headers. */
export const MIN_RECORD_SIZE = 7;

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Walks the records of one batch without an object per record. After each `next()` that returns
 * true, the public fields describe the current record exactly as a KafkaRecord's fields would
 * (positions in `buf`). v2 bytes are validated as they are read, with the same checks and the same
 * CorruptRecordsError as decoding; a lazily decoded batch (DecodeOptions.lazy) is checked here and
 * only here. Batches decoded into records (legacy ones always are) are walked over those records.
 *
 * One cursor is reused for every batch: that is the point. A proxy copying keys and values straight
 * into an outgoing frame needs positions, not objects.
 */
export class RecordCursor {
  buf: Buffer = EMPTY;
  offsetDelta = 0;
  /** A number when exact (always, in practice), else an exact bigint; as KafkaRecord's. */
  timestampDelta: number | bigint = 0;
  keyStart = 0;
  /** -1 for a null key. */
  keyLength = 0;
  valueStart = 0;
  /** -1 for a null value. */
  valueLength = 0;
  headersStart = 0;
  headersCount = 0;
  end = 0;
  private p = 0;
  private stop = 0;
  private index = 0;
  private count = 0;
  private minDelta = 0;
  private batchStart = 0;
  private baseOffset = 0n;
  private decoded: readonly KafkaRecord[] | null = null;
  private batch: RecordBatch | null = null;

  /**
   * Positions the cursor before the batch's first record at or after `fromOffset` (all records
   * when omitted): records below it are still read and checked, but skipped.
   */
  reset(batch: RecordBatch, fromOffset?: bigint): this {
    const base = batch.baseOffset;
    this.minDelta = fromOffset === undefined || fromOffset <= base ? -Infinity : Number(fromOffset - base);
    this.baseOffset = base;
    this.batch = batch;
    this.index = 0;
    if (batch.lazyBody === null) {
      this.decoded = batch.records;
      this.count = batch.records.length;
      return this;
    }
    this.decoded = null;
    this.buf = batch.lazyBody;
    this.p = batch.lazyStart;
    this.stop = batch.lazyEnd;
    this.count = batch.recordsCount;
    this.batchStart = batch.lazyBatchStart;
    return this;
  }

  /** @internal Decoding's entry: walk buf[from, end) as the records section of a v2 batch. */
  start(buf: Buffer, from: number, end: number, count: number, batchStart: number, baseOffset: bigint): this {
    this.decoded = null;
    this.batch = null;
    this.buf = buf;
    this.p = from;
    this.stop = end;
    this.count = count;
    this.index = 0;
    this.minDelta = -Infinity;
    this.batchStart = batchStart;
    this.baseOffset = baseOffset;
    return this;
  }

  /** Moves to the next record; false after the last. @throws CorruptRecordsError */
  next(): boolean {
    for (;;) {
      if (this.index >= this.count) {
        if (this.decoded === null && this.p !== this.stop) {
          throw new CorruptRecordsError(`${this.stop - this.p} bytes left after ${this.count} records`, this.batchStart, this.baseOffset);
        }
        return false;
      }
      if (this.decoded !== null) this.take(this.decoded[this.index++]!);
      else this.read();
      if (this.offsetDelta >= this.minDelta) return true;
    }
  }

  /**
   * Lets go of the batch and its memory (a module-level cursor would otherwise keep the last
   * response alive until its next use, or a released response's pooled memory in view).
   */
  clear(): void {
    this.buf = EMPTY;
    this.decoded = null;
    this.batch = null;
    this.index = this.count = 0;
    this.p = this.stop = 0;
  }

  /** The current record's exact offset. */
  get offset(): bigint {
    return this.baseOffset + BigInt(this.offsetDelta);
  }

  /** The current record's exact timestamp (KafkaRecord.timestamp). */
  get timestamp(): bigint {
    if (this.batch === null) throw new Error('RecordCursor.timestamp needs a cursor set with reset()');
    return recordTimestamp(this.batch, this.timestampDelta);
  }

  /** The current record's headers, parsed (KafkaRecord.headers). @throws CorruptRecordsError */
  headers(): RecordHeader[] {
    if (this.batch === null) throw new Error('RecordCursor.headers() needs a cursor set with reset()');
    return parseHeaders(this.batch, this.buf, this.headersStart, this.headersCount, this.end);
  }

  private take(r: KafkaRecord): void {
    this.buf = r.buf;
    this.offsetDelta = r.offsetDelta;
    this.timestampDelta = r.timestampDelta;
    this.keyStart = r.keyStart;
    this.keyLength = r.keyLength;
    this.valueStart = r.valueStart;
    this.valueLength = r.valueLength;
    this.headersStart = r.headersStart;
    this.headersCount = r.headersCount;
    this.end = r.end;
  }

  // The six varints of a record are read inline with a local cursor: one- and two-byte encodings
  // (lengths below 8 KiB, deltas within ±8191), most fields of most records, never leave the loop.
  // Calling varintAt/varintEnd for every field measured slower per record on the decode benchmark
  // (BENCHMARKS.md, "Record decoding", "What changed", 3.); longer encodings still take them.
  private read(): void {
    const buf = this.buf;
    const i = this.index++;
    let p = this.p;
    let b = 0;
    let c = 0;
    let length: number;
    b = buf[p]!;
    if (b < 0x80) { length = zigzag(b); p += 1; }
    else if ((c = buf[p + 1]!) < 0x80) { length = zigzag((b & 0x7f) | (c << 7)); p += 2; }
    else { length = varintAt(buf, p); p = varintEnd(buf, p); }
    const recordStart = p;
    const recordEnd = recordStart + length;
    if (!(length >= MIN_RECORD_SIZE - 1) || recordEnd > this.stop) {
      throw new CorruptRecordsError(`record ${i} has bad length ${length}`, recordStart, this.baseOffset);
    }
    p++; // record attributes: unused
    let timestampDelta: number | bigint;
    b = buf[p]!;
    if (b < 0x80) { timestampDelta = zigzag(b); p += 1; }
    else if ((c = buf[p + 1]!) < 0x80) { timestampDelta = zigzag((b & 0x7f) | (c << 7)); p += 2; }
    else { timestampDelta = varlongAt(buf, p); p = varintEnd(buf, p); }
    let offsetDelta: number;
    b = buf[p]!;
    if (b < 0x80) { offsetDelta = zigzag(b); p += 1; }
    else if ((c = buf[p + 1]!) < 0x80) { offsetDelta = zigzag((b & 0x7f) | (c << 7)); p += 2; }
    else { offsetDelta = varintAt(buf, p); p = varintEnd(buf, p); }
    let keyLength: number;
    b = buf[p]!;
    if (b < 0x80) { keyLength = zigzag(b); p += 1; }
    else if ((c = buf[p + 1]!) < 0x80) { keyLength = zigzag((b & 0x7f) | (c << 7)); p += 2; }
    else { keyLength = varintAt(buf, p); p = varintEnd(buf, p); }
    const keyStart = p;
    if (keyLength > 0) p += keyLength;
    let valueLength: number;
    b = buf[p]!;
    if (b < 0x80) { valueLength = zigzag(b); p += 1; }
    else if ((c = buf[p + 1]!) < 0x80) { valueLength = zigzag((b & 0x7f) | (c << 7)); p += 2; }
    else { valueLength = varintAt(buf, p); p = varintEnd(buf, p); }
    const valueStart = p;
    if (valueLength > 0) p += valueLength;
    let headersCount: number;
    b = buf[p]!;
    if (b < 0x80) { headersCount = zigzag(b); p += 1; }
    else if ((c = buf[p + 1]!) < 0x80) { headersCount = zigzag((b & 0x7f) | (c << 7)); p += 2; }
    else { headersCount = varintAt(buf, p); p = varintEnd(buf, p); }
    // One comparison chain catches NaN (bad varints), lengths below -1, and fields past the record.
    // Headers are parsed lazily, but a count that cannot fit (each header takes at least 2 bytes) or
    // bytes left over after a header-less record are caught here, as the Java reader does.
    if (!(p <= recordEnd && keyLength >= -1 && valueLength >= -1 && offsetDelta === offsetDelta &&
      timestampDelta === timestampDelta && (headersCount === 0 ? p === recordEnd : headersCount > 0 && headersCount * 2 <= recordEnd - p))) {
      throw new CorruptRecordsError(`record ${i} is malformed`, recordStart, this.baseOffset);
    }
    this.offsetDelta = offsetDelta;
    this.timestampDelta = timestampDelta;
    this.keyStart = keyStart;
    this.keyLength = keyLength;
    this.valueStart = valueStart;
    this.valueLength = valueLength;
    this.headersStart = p;
    this.headersCount = headersCount;
    this.end = recordEnd;
    this.p = recordEnd;
  }
}
