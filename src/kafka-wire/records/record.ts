import { varintAt, varintEnd } from '../primitives/varint.js';
import { CorruptRecordsError } from './errors.js';
import { headerKey } from './header-keys.js';
import type { RecordBatch } from './batch.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/**
 * One record. Decoding stores positions only; `key`, `value` and `headers` are built when first
 * read, as views into the (response or decompressed) buffer. A proxy that copies bytes straight
 * into an outgoing frame can use `buf` with the `*Start`/`*Length` fields and allocate nothing.
 *
 * `offset` and `timestamp` are exact int64 bigints computed from the batch on access.
 */
export class KafkaRecord {
  readonly batch: RecordBatch;
  readonly buf: Buffer;
  readonly offsetDelta: number;
  /** A number when that is exact (always, in practice: v2 deltas within ±2^52); an exact bigint otherwise. */
  readonly timestampDelta: number | bigint;
  readonly keyStart: number;
  /** -1 for a null key. */
  readonly keyLength: number;
  readonly valueStart: number;
  /** -1 for a null value. */
  readonly valueLength: number;
  readonly headersStart: number;
  readonly headersCount: number;
  /** End of this record in `buf`; headers are parsed lazily within it. */
  readonly end: number;
  private parsedHeaders: readonly RecordHeader[] | undefined;

  constructor(
    batch: RecordBatch, buf: Buffer, offsetDelta: number, timestampDelta: number | bigint,
    keyStart: number, keyLength: number, valueStart: number, valueLength: number,
    headersStart: number, headersCount: number, end: number,
  ) {
    this.batch = batch;
    this.buf = buf;
    this.offsetDelta = offsetDelta;
    this.timestampDelta = timestampDelta;
    this.keyStart = keyStart;
    this.keyLength = keyLength;
    this.valueStart = valueStart;
    this.valueLength = valueLength;
    this.headersStart = headersStart;
    this.headersCount = headersCount;
    this.end = end;
    this.parsedHeaders = headersCount === 0 ? NO_HEADERS : undefined;
  }

  // `bigint + BigInt(smallInteger)` is one 64-bit add in optimized code. Summing as doubles and
  // converting once looks cheaper but is not: BigInt() of a non-Smi number goes through the runtime
  // (BENCHMARKS.md, "Record decoding", "What changed", 4.).
  get offset(): bigint {
    return this.batch.baseOffset + BigInt(this.offsetDelta);
  }

  /** CreateTime: base timestamp + delta; LogAppendTime: the batch's max timestamp (Kafka's rule). */
  get timestamp(): bigint {
    return recordTimestamp(this.batch, this.timestampDelta);
  }

  get key(): Buffer | null {
    return this.keyLength < 0 ? null : this.batch.views.view(this.buf, this.keyStart, this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0 ? null : this.batch.views.view(this.buf, this.valueStart, this.valueLength);
  }

  /** Parsed on first access. Throws CorruptRecordsError if the header bytes are malformed. */
  get headers(): readonly RecordHeader[] {
    return (this.parsedHeaders ??= parseHeaders(this.batch, this.buf, this.headersStart, this.headersCount, this.end));
  }

  toJSON(): { offset: string; timestamp: string; key: string | null; value: string | null; headers: Array<{ key: string; value: string | null }> } {
    return {
      offset: this.offset.toString(),
      timestamp: this.timestamp.toString(),
      key: this.key?.toString('base64') ?? null,
      value: this.value?.toString('base64') ?? null,
      headers: this.headers.map((h) => ({ key: h.key, value: h.value?.toString('base64') ?? null })),
    };
  }
}

/** @internal A record's exact timestamp from its batch and delta (KafkaRecord, RecordCursor). */
export function recordTimestamp(b: RecordBatch, delta: number | bigint): bigint {
  if (b.timestampType === 1 && b.magic === 2) return b.maxTimestamp;
  return b.baseTimestamp + (typeof delta === 'number' ? BigInt(delta) : delta);
}

/**
 * The `count` headers at buf[start, end) (the end of their record), as views of `batch`'s memory.
 * @internal Shared with RecordCursor. @throws CorruptRecordsError
 */
export function parseHeaders(batch: RecordBatch, buf: Buffer, start: number, count: number, end: number): RecordHeader[] {
  const out = new Array<RecordHeader>(count);
  let p = start;
  const corrupt = (message: string): CorruptRecordsError => new CorruptRecordsError(message, start, batch.baseOffset);
  for (let i = 0; i < count; i++) {
    const keyLen = varintAt(buf, p);
    p = varintEnd(buf, p);
    if (!(keyLen >= 0) || p + keyLen > end) throw corrupt(`bad header key length ${keyLen}`);
    const key = headerKey(buf, p, keyLen);
    p += keyLen;
    const valueLen = varintAt(buf, p);
    p = varintEnd(buf, p);
    if (!(valueLen >= -1) || p > end || p + valueLen > end) throw corrupt(`bad header value length ${valueLen}`);
    const value = valueLen < 0 ? null : batch.views.view(buf, p, valueLen);
    if (valueLen > 0) p += valueLen;
    out[i] = { key, value };
  }
  if (p !== end) throw corrupt(`record has ${end - p} bytes after its headers`);
  return out;
}
