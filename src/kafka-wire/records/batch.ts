import { crc32c } from '../primitives/crc.js';
import { ViewMaker } from '../primitives/view.js';
import { decompress } from './codecs/index.js';
import { MIN_RECORD_SIZE, RecordCursor } from './cursor.js';
import { CorruptRecordsError, CrcMismatchError } from './errors.js';
import { KafkaRecord } from './record.js';

/** Attribute bits of a v2 batch (record-format.md, "Attributes"). */
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;

/** Size of the v2 batch header up to and including recordsCount. */
export const V2_HEADER_SIZE = 61;
/** Byte offsets inside a v2 batch. */
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
/** Decoding is synchronous, so one cursor serves every batch. */
const decoding = new RecordCursor();

export interface DecodeOptions {
  /** Verify CRC-32C (v2) / CRC-32 (legacy). Default true, like the Java consumer's check.crcs. */
  verifyCrc?: boolean;
  /** Largest decompressed records section accepted (default 64 MiB). */
  maxDecompressedBytes?: number;
  /** Memory for decompressed lz4 and zstd records sections (see DecompressOptions.alloc). */
  alloc?: ((size: number) => Buffer) | undefined;
  /**
   * Check the CRC and decompress, but leave v2 records as bytes: `records` stays empty and a
   * RecordCursor walks (and validates) them. Legacy entries are always decoded into records.
   */
  lazy?: boolean;
}

/**
 * A record batch (magic 2) or a legacy message / wrapper (magic 0 and 1) with its records.
 * Header fields follow record-format.md; legacy entries fill what they have and use -1 for the rest.
 */
export class RecordBatch {
  readonly baseOffset: bigint;
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
  readonly records: KafkaRecord[] = [];
  /** @internal Key, value and header value views of this batch's records. */
  readonly views = new ViewMaker();
  /** @internal A lazy v2 batch's records section (decompressed if need be), else null; see RecordCursor. */
  lazyBody: Buffer | null = null;
  /** @internal Its bounds in lazyBody, and the batch's position in the records field for errors. */
  lazyStart = 0;
  lazyEnd = 0;
  lazyBatchStart = 0;

  constructor(
    baseOffset: bigint, batchLength: number, partitionLeaderEpoch: number, magic: number, crc: number,
    attributes: number, lastOffsetDelta: number, baseTimestamp: bigint, maxTimestamp: bigint,
    producerId: bigint, producerEpoch: number, baseSequence: number, recordsCount: number,
  ) {
    this.baseOffset = baseOffset;
    this.batchLength = batchLength;
    this.partitionLeaderEpoch = partitionLeaderEpoch;
    this.magic = magic;
    this.crc = crc;
    this.attributes = attributes;
    this.lastOffsetDelta = lastOffsetDelta;
    this.baseTimestamp = baseTimestamp;
    this.maxTimestamp = maxTimestamp;
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    this.recordsCount = recordsCount;
  }

  get compression(): number {
    return this.attributes & COMPRESSION_MASK;
  }
  /** 0 = CreateTime, 1 = LogAppendTime. */
  get timestampType(): number {
    return (this.attributes & TIMESTAMP_TYPE_BIT) >> 3;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_BIT) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_BIT) !== 0;
  }
  /** Offset of the batch's last record; the next fetch starts at lastOffset + 1 even if records were compacted away. */
  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta);
  }
}

/**
 * Decodes the v2 batch at buf[start, start + 12 + batchLength). The caller has checked that the
 * whole batch is present. Records are appended to `batch.records`.
 */
export function decodeBatchV2(buf: Buffer, start: number, opts: DecodeOptions | undefined): RecordBatch {
  const batchLength = buf.readInt32BE(start + 8);
  const end = start + 12 + batchLength;
  const baseOffset = buf.readBigInt64BE(start);
  if (batchLength < V2_HEADER_SIZE - 12) throw new CorruptRecordsError(`v2 batch length ${batchLength} is below the 49-byte minimum`, start, baseOffset);
  const crc = buf.readUInt32BE(start + CRC_AT);
  if (opts?.verifyCrc !== false) {
    const actual = crc32c(buf, start + ATTRIBUTES_AT, end);
    if (actual !== crc) throw new CrcMismatchError(baseOffset, crc, actual);
  }
  const attributes = buf.readInt16BE(start + ATTRIBUTES_AT);
  const recordsCount = buf.readInt32BE(start + 57);
  const batch = new RecordBatch(
    baseOffset, batchLength, buf.readInt32BE(start + 12), 2, crc, attributes,
    buf.readInt32BE(start + 23), buf.readBigInt64BE(start + 27), buf.readBigInt64BE(start + 35),
    buf.readBigInt64BE(start + 43), buf.readInt16BE(start + 51), buf.readInt32BE(start + 53), recordsCount,
  );
  if (recordsCount < 0) throw new CorruptRecordsError(`negative record count ${recordsCount}`, start, baseOffset);
  const codec = attributes & COMPRESSION_MASK;
  let body = buf;
  let from = start + V2_HEADER_SIZE;
  let to = end;
  if (codec !== 0) {
    body = decompress(codec, buf.subarray(from, end), { maxOutputBytes: opts?.maxDecompressedBytes, alloc: opts?.alloc });
    from = 0;
    to = body.length;
  }
  if (recordsCount > (to - from) / MIN_RECORD_SIZE) {
    throw new CorruptRecordsError(`${recordsCount} records cannot fit in ${to - from} bytes`, start, baseOffset);
  }
  if (opts?.lazy === true) {
    batch.lazyBody = body;
    batch.lazyStart = from;
    batch.lazyEnd = to;
    batch.lazyBatchStart = start;
  } else {
    decodeRecordsV2(batch, body, from, to, start);
  }
  return batch;
}

function decodeRecordsV2(batch: RecordBatch, buf: Buffer, from: number, end: number, batchStart: number): void {
  const out = batch.records;
  const c = decoding.start(buf, from, end, batch.recordsCount, batchStart, batch.baseOffset);
  try {
    while (c.next()) {
      out.push(new KafkaRecord(batch, buf, c.offsetDelta, c.timestampDelta, c.keyStart, c.keyLength, c.valueStart, c.valueLength, c.headersStart, c.headersCount, c.end));
    }
  } finally {
    c.clear();
  }
}
