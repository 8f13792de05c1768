import { CorruptRecordsError } from './errors.js';
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
  /** Kept as a number when it is a safe integer (always, in practice); bigint otherwise. */
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

  get offset(): bigint {
    return this.batch.baseOffset + BigInt(this.offsetDelta);
  }

  /** CreateTime: base timestamp + delta; LogAppendTime: the batch's max timestamp (Kafka's rule). */
  get timestamp(): bigint {
    const b = this.batch;
    if (b.timestampType === 1 && b.magic === 2) return b.maxTimestamp;
    const d = this.timestampDelta;
    return b.baseTimestamp + (typeof d === 'number' ? BigInt(d) : d);
  }

  get key(): Buffer | null {
    return this.keyLength < 0 ? null : this.buf.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  get value(): Buffer | null {
    return this.valueLength < 0 ? null : this.buf.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  /** Parsed on first access. Throws CorruptRecordsError if the header bytes are malformed. */
  get headers(): readonly RecordHeader[] {
    return (this.parsedHeaders ??= parseHeaders(this));
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

function parseHeaders(r: KafkaRecord): RecordHeader[] {
  const buf = r.buf;
  const end = r.end;
  const out = new Array<RecordHeader>(r.headersCount);
  const cursor = { pos: r.headersStart };
  for (let i = 0; i < r.headersCount; i++) {
    const keyLen = readVarint(buf, cursor, end, r);
    if (keyLen < 0 || cursor.pos + keyLen > end) throw corrupt(r, `bad header key length ${keyLen}`);
    const key = buf.toString('utf8', cursor.pos, cursor.pos + keyLen);
    cursor.pos += keyLen;
    const valueLen = readVarint(buf, cursor, end, r);
    if (valueLen < -1 || cursor.pos + valueLen > end) throw corrupt(r, `bad header value length ${valueLen}`);
    const value = valueLen < 0 ? null : buf.subarray(cursor.pos, cursor.pos + valueLen);
    if (valueLen > 0) cursor.pos += valueLen;
    out[i] = { key, value };
  }
  if (cursor.pos !== end) throw corrupt(r, `record has ${end - cursor.pos} bytes after its headers`);
  return out;
}

function readVarint(buf: Buffer, cursor: { pos: number }, end: number, r: KafkaRecord): number {
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (cursor.pos >= end) throw corrupt(r, 'header runs past the record');
    const b = buf[cursor.pos++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) return (u >>> 1) ^ -(u & 1);
  }
  throw corrupt(r, 'header varint longer than 5 bytes');
}

function corrupt(r: KafkaRecord, message: string): CorruptRecordsError {
  return new CorruptRecordsError(message, r.headersStart, r.batch.baseOffset);
}
