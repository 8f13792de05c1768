import { KafkaWireError } from '../errors.js';
import { crc32c } from '../primitives/crc.js';
import { Writer } from '../primitives/writer.js';
import { COMPRESSION_MASK, CONTROL_BIT, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT, V2_HEADER_SIZE } from './batch.js';
import { compress } from './codecs/index.js';

export interface RecordInput {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  headers?: ReadonlyArray<{ key: string; value?: Uint8Array | string | null }>;
  /** Milliseconds since the epoch; defaults to the batch's base timestamp. */
  timestamp?: bigint | undefined;
}

export interface BatchInput {
  records: readonly RecordInput[];
  baseOffset?: bigint;
  /** 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (whichever the codecs module can compress). */
  compression?: number;
  /** Defaults to the first record's timestamp, or now. */
  baseTimestamp?: bigint;
  logAppendTime?: boolean;
  transactional?: boolean;
  control?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
}

function toBytes(v: Uint8Array | string | null | undefined): Uint8Array | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/**
 * Encodes one record batch v2 (magic 2) with offset deltas 0, 1, 2, … as the Java producer writes
 * them, and the CRC-32C over attributes..end. Throws KWIRE_ERR_ENCODE for an empty batch.
 */
export function encodeRecordBatch(input: BatchInput): Buffer {
  const recs = input.records;
  if (recs.length === 0) throw new KafkaWireError('KWIRE_ERR_ENCODE', 'a record batch needs at least one record');
  const baseTimestamp = input.baseTimestamp ?? recs[0]!.timestamp ?? BigInt(Date.now());
  let maxTimestamp = baseTimestamp;
  const body = new Writer(64 * recs.length);
  const rec = new Writer(64);
  recs.forEach((r, i) => {
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    rec.pos = 0;
    rec.int8(0).varlong(ts - baseTimestamp).varint(i);
    writeVarBytes(rec, toBytes(r.key));
    writeVarBytes(rec, toBytes(r.value));
    const headers = r.headers ?? [];
    rec.varint(headers.length);
    for (const h of headers) {
      writeVarBytes(rec, Buffer.from(h.key, 'utf8'));
      writeVarBytes(rec, toBytes(h.value));
    }
    body.varint(rec.pos).raw(rec.finish());
  });
  const codec = input.compression ?? 0;
  const section = codec === 0 ? body.finish() : compress(codec, body.finish());
  const attributes = (codec & COMPRESSION_MASK) | (input.logAppendTime ? TIMESTAMP_TYPE_BIT : 0) |
    (input.transactional ? TRANSACTIONAL_BIT : 0) | (input.control ? CONTROL_BIT : 0);
  const w = new Writer(V2_HEADER_SIZE + section.length);
  w.int64(input.baseOffset ?? 0n).int32(V2_HEADER_SIZE - 12 + section.length).int32(input.partitionLeaderEpoch ?? -1).int8(2);
  const crcAt = w.reserveInt32();
  w.int16(attributes).int32(recs.length - 1).int64(baseTimestamp).int64(maxTimestamp)
    .int64(input.producerId ?? -1n).int16(input.producerEpoch ?? -1).int32(input.baseSequence ?? -1).int32(recs.length)
    .raw(section);
  const out = w.finish();
  out.writeUInt32BE(crc32c(out, crcAt + 4), crcAt);
  return out;
}

function writeVarBytes(w: Writer, b: Uint8Array | null): void {
  if (b === null) w.varint(-1);
  else w.varint(b.length).raw(b);
}
