import { decodeBatchV2, type DecodeOptions, type RecordBatch } from './batch.js';
import { RecordCursor } from './cursor.js';
import { CorruptRecordsError } from './errors.js';
import { decodeLegacyEntry } from './legacy.js';
import type { KafkaRecord } from './record.js';

const LOG_OVERHEAD = 12;
const MAGIC_AT = 16;
/** The smallest legacy message (magic 0); anything smaller cannot be a batch (ByteBufferLogInputStream). */
const MIN_ENTRY_SIZE = 14;
const DEFAULT_MAX_BATCH_BYTES = 0x7fffffff;

export interface BatchOptions extends DecodeOptions {
  /** Largest batch accepted, in bytes after the 12-byte log overhead. */
  maxBatchBytes?: number;
}

/**
 * Decodes every complete batch in a records field (Fetch `Records`, Produce `Records`). A batch
 * cut off at the end is ignored, because brokers send a byte slice of the log that may end
 * mid-batch (record-format.md, "Partial batches"); the next fetch re-reads it whole.
 * Throws CorruptRecordsError / CrcMismatchError / CompressionError for bad complete batches.
 */
export function decodeBatches(buf: Buffer | null, opts?: BatchOptions): RecordBatch[] {
  const out: RecordBatch[] = [];
  if (buf === null) return out;
  const max = opts?.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  let p = 0;
  const len = buf.length;
  while (len - p >= LOG_OVERHEAD) {
    const size = buf.readInt32BE(p + 8);
    if (size < MIN_ENTRY_SIZE || size > max) {
      throw new CorruptRecordsError(`batch size ${size} is out of range`, p, buf.readBigInt64BE(p));
    }
    if (len - p <= MAGIC_AT) break;
    const magic = buf[p + MAGIC_AT]!;
    if (magic > 2) throw new CorruptRecordsError(`unknown magic ${magic}`, p, buf.readBigInt64BE(p));
    if (len - p < LOG_OVERHEAD + size) break;
    out.push(magic === 2 ? decodeBatchV2(buf, p, opts) : decodeLegacyEntry(buf, p, opts));
    p += LOG_OVERHEAD + size;
  }
  return out;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface ReadOptions extends BatchOptions {
  /** Drop records below this offset (a fetch returns the whole batch that contains the fetch offset). */
  fromOffset?: bigint;
  /**
   * READ_COMMITTED: the partition's AbortedTransactions from the Fetch response. Records of those
   * transactions are dropped. Omit (or null) for READ_UNCOMMITTED.
   */
  abortedTransactions?: readonly AbortedTransaction[] | null;
  /** Keep control records (transaction markers); they are dropped by default. */
  includeControl?: boolean;
}

export interface ReadResult {
  records: KafkaRecord[];
  batches: RecordBatch[];
  /**
   * Where the next fetch should start: last offset + 1 of the last complete batch, or null if the
   * buffer held no complete batch. Advances past control and aborted batches too.
   */
  nextOffset: bigint | null;
}

/**
 * The records a consumer should see from one partition's records field, in offset order: at or
 * after `fromOffset`, without control records, and under READ_COMMITTED without aborted data,
 * following the Java consumer's algorithm (CompletedFetch.nextFetchedRecord).
 */
export function readRecords(buf: Buffer | null, opts?: ReadOptions): ReadResult {
  const batches = decodeBatches(buf, opts?.lazy === true ? { ...opts, lazy: false } : opts);
  const from = opts?.fromOffset;
  let records: KafkaRecord[] = [];
  for (const batch of deliverable(batches, opts)) {
    const rs = batch.records;
    if (from === undefined || batch.baseOffset >= from) {
      // The first batch is copied with slice(), one memcpy instead of a push per record: a fetched
      // partition usually holds one batch, or a few large ones.
      if (records.length === 0) records = rs.slice();
      else for (let i = 0; i < rs.length; i++) records.push(rs[i]!);
    } else {
      // Compare deltas as numbers: cheaper than a bigint per record.
      const minDelta = Number(from - batch.baseOffset);
      for (let i = 0; i < rs.length; i++) if (rs[i]!.offsetDelta >= minDelta) records.push(rs[i]!);
    }
  }
  return { records, batches, nextOffset: nextOffsetOf(batches) };
}

export interface BatchesResult {
  /**
   * The batches holding what readRecords would return, decoded lazily (DecodeOptions.lazy): walk
   * each with `RecordCursor.reset(batch, fromOffset)`, which skips the records below it.
   */
  batches: RecordBatch[];
  /** As ReadResult.nextOffset. */
  nextOffset: bigint | null;
}

/**
 * readRecords without a KafkaRecord per record: the same filtering (offset, control records,
 * aborted transactions) done per batch, CRCs checked and batches decompressed, records left as
 * bytes. For a caller that copies records somewhere else and needs positions, not objects.
 */
export function readBatches(buf: Buffer | null, opts?: ReadOptions): BatchesResult {
  const all = decodeBatches(buf, { ...opts, lazy: true });
  return { batches: deliverable(all, opts), nextOffset: nextOffsetOf(all) };
}

function nextOffsetOf(batches: readonly RecordBatch[]): bigint | null {
  const last = batches[batches.length - 1];
  return last === undefined ? null : last.lastOffset + 1n;
}

/** The batches with records a consumer should see: not control (unless asked), not aborted, not wholly below fromOffset. */
function deliverable(batches: readonly RecordBatch[], opts: ReadOptions | undefined): RecordBatch[] {
  const out: RecordBatch[] = [];
  const from = opts?.fromOffset;
  const aborted = opts?.abortedTransactions ? [...opts.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : null;
  const abortedProducers = new Set<bigint>();
  let nextAborted = 0;
  for (const batch of batches) {
    if (aborted !== null && batch.producerId >= 0n) {
      const last = batch.lastOffset;
      while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= last) {
        abortedProducers.add(aborted[nextAborted++]!.producerId);
      }
      if (batch.isControl) {
        if (controlType(batch) === ABORT) abortedProducers.delete(batch.producerId);
      } else if (batch.isTransactional && abortedProducers.has(batch.producerId)) {
        continue;
      }
    }
    if (batch.isControl && opts?.includeControl !== true) continue;
    if (from !== undefined && batch.lastOffset < from) continue;
    out.push(batch);
  }
  return out;
}

/**
 * Whether any of `batches` (from readBatches) holds a record at or after `fromOffset`. Exact: a
 * batch that starts below it is walked, since compaction can leave it only records below it.
 * @throws CorruptRecordsError from such a walk.
 */
export function hasRecordsFrom(batches: readonly RecordBatch[], fromOffset: bigint): boolean {
  try {
    for (const batch of batches) {
      if ((batch.lazyBody !== null ? batch.recordsCount : batch.records.length) === 0) continue;
      if (batch.baseOffset >= fromOffset) return true;
      if (probe.reset(batch, fromOffset).next()) return true;
    }
    return false;
  } finally {
    probe.clear();
  }
}

const probe = new RecordCursor();

export const ABORT = 0;
export const COMMIT = 1;

/**
 * The control type of a control batch's first record: 0 ABORT, 1 COMMIT, 2+ KRaft-internal types,
 * -1 if the batch has no records. Key: version int16 (>= 0), type int16.
 */
export function controlType(batch: RecordBatch): number {
  const r = probe.reset(batch);
  try {
    if (!r.next()) return -1;
    if (r.keyLength < 4) throw new CorruptRecordsError('control record key shorter than 4 bytes', r.keyStart, batch.baseOffset);
    if (r.buf.readInt16BE(r.keyStart) < 0) throw new CorruptRecordsError('control record with a negative version', r.keyStart, batch.baseOffset);
    return r.buf.readInt16BE(r.keyStart + 2);
  } finally {
    r.clear();
  }
}
