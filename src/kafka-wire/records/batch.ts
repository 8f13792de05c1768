import { crc32c } from '../primitives/crc.js';
import { decompress } from './codecs/index.js';
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
/** Smallest possible v2 record: length, attributes, timestampDelta, offsetDelta, key -1, value -1, 0 headers. */
const MIN_RECORD_SIZE = 7;

export interface DecodeOptions {
  /** Verify CRC-32C (v2) / CRC-32 (legacy). Default true, like the Java consumer's check.crcs. */
  verifyCrc?: boolean;
  /** Largest decompressed records section accepted (default 64 MiB). */
  maxDecompressedBytes?: number;
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

// The record loop's cursor lives at module level so the varint readers can advance it without
// returning pairs or allocating.
let pos = 0;

function varint(buf: Buffer): number {
  let b = buf[pos++]!;
  if (b < 0x80) return (b >>> 1) ^ -(b & 1);
  let u = b & 0x7f;
  b = buf[pos++]!;
  u |= (b & 0x7f) << 7;
  if (b < 0x80) return (u >>> 1) ^ -(u & 1);
  b = buf[pos++]!;
  u |= (b & 0x7f) << 14;
  if (b < 0x80) return (u >>> 1) ^ -(u & 1);
  b = buf[pos++]!;
  u |= (b & 0x7f) << 21;
  if (b < 0x80) return (u >>> 1) ^ -(u & 1);
  b = buf[pos++]!;
  u |= (b & 0x0f) << 28;
  // A fifth byte with more than 4 payload bits or a continuation bit is not a 32-bit varint.
  if (b > 0x0f || b === undefined) return NaN;
  return (u >>> 1) ^ -(u & 1);
}

/** Zigzag varlong as a number when it is a safe integer, else as an exact bigint. */
function varlong(buf: Buffer): number | bigint {
  const b = buf[pos]!;
  if (b < 0x80) {
    pos++;
    return (b >>> 1) ^ -(b & 1);
  }
  const start = pos;
  let u = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const c = buf[pos++];
    if (c === undefined) return NaN;
    u += (c & 0x7f) * scale;
    scale *= 128;
    if (c < 0x80) {
      if (u <= Number.MAX_SAFE_INTEGER) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      return bigVarlong(buf, start);
    }
  }
  return NaN;
}

function bigVarlong(buf: Buffer, start: number): bigint {
  let u = 0n;
  let shift = 0n;
  for (let p = start; p < pos; p++) {
    u |= BigInt(buf[p]! & 0x7f) << shift;
    shift += 7n;
  }
  u = BigInt.asUintN(64, u);
  return (u >> 1n) ^ -(u & 1n);
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
  if (codec === 0) {
    decodeRecordsV2(batch, buf, start + V2_HEADER_SIZE, end, start);
  } else {
    const body = decompress(codec, buf.subarray(start + V2_HEADER_SIZE, end), { maxOutputBytes: opts?.maxDecompressedBytes });
    decodeRecordsV2(batch, body, 0, body.length, start);
  }
  return batch;
}

function decodeRecordsV2(batch: RecordBatch, buf: Buffer, from: number, end: number, batchStart: number): void {
  const count = batch.recordsCount;
  if (count > (end - from) / MIN_RECORD_SIZE) {
    throw new CorruptRecordsError(`${count} records cannot fit in ${end - from} bytes`, batchStart, batch.baseOffset);
  }
  const out = batch.records;
  pos = from;
  for (let i = 0; i < count; i++) {
    const length = varint(buf);
    const recordStart = pos;
    const recordEnd = recordStart + length;
    if (!(length >= MIN_RECORD_SIZE - 1) || recordEnd > end) {
      throw new CorruptRecordsError(`record ${i} has bad length ${length}`, recordStart, batch.baseOffset);
    }
    pos++; // record attributes: unused
    const timestampDelta = varlong(buf);
    const offsetDelta = varint(buf);
    const keyLength = varint(buf);
    const keyStart = pos;
    if (keyLength > 0) pos += keyLength;
    const valueLength = varint(buf);
    const valueStart = pos;
    if (valueLength > 0) pos += valueLength;
    const headersCount = varint(buf);
    // One comparison chain catches NaN (bad varints), lengths below -1, and fields past the record.
    // Headers are parsed lazily, but a count that cannot fit (each header takes at least 2 bytes) or
    // bytes left over after a header-less record are caught here, as the Java reader does.
    if (!(pos <= recordEnd && keyLength >= -1 && valueLength >= -1 && offsetDelta === offsetDelta &&
      timestampDelta === timestampDelta && (headersCount === 0 ? pos === recordEnd : headersCount > 0 && headersCount * 2 <= recordEnd - pos))) {
      throw new CorruptRecordsError(`record ${i} is malformed`, recordStart, batch.baseOffset);
    }
    out.push(new KafkaRecord(batch, buf, offsetDelta, timestampDelta, keyStart, keyLength, valueStart, valueLength, pos, headersCount, recordEnd));
    pos = recordEnd;
  }
  if (pos !== end) {
    throw new CorruptRecordsError(`${end - pos} bytes left after ${count} records`, batchStart, batch.baseOffset);
  }
}
