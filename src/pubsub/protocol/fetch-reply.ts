import { RecordCursor, type RecordBatch, type RecordHeader } from '../../kafka-wire/index.js';
import { RecordTooLargeError } from '../errors.js';
import { envelopeSize, FETCH_RESP, writeEnvelope } from './response.js';
import { safeOrNaN, sizeOfBig, sizeOfInt64, sizeOfSafe, writeBig, writeInt64, writeSafe } from './varint.js';

/*
 * KafkaFetchResp, straight from Kafka's record bytes:
 *
 *   message KafkaFetchResp { repeated KafkaMessage messages = 1; int64 high_watermark = 2; int64 log_start_offset = 3; }
 *   message KafkaMessage { int64 offset = 1; int64 timestamp = 2; bytes key = 3; bytes value = 4; repeated KafkaHeader headers = 5; }
 *   message KafkaHeader { string key = 1; optional bytes value = 2; }
 *
 * The batches come lazily decoded (KafkaClient.fetchBatches): no object per record. A first pass
 * walks them with one RecordCursor, which validates each record, and keeps each record's positions
 * and size in typed scratch arrays; the second writes the frame from those arrays. Each key and
 * value is copied exactly once, from the Kafka response (or decompressed) buffer into the frame.
 * Before this, records were KafkaRecord objects that lived across the fetch's await: allocating
 * them, and the scavenges that copied them, cost more than the encoding itself (BENCHMARKS.md,
 * change 7).
 */

const F1_VARINT = 0x08;
const F1_LEN = 0x0a;
const F2_VARINT = 0x10;
const F2_LEN = 0x12;
const F3_VARINT = 0x18;
const F3_LEN = 0x1a;
const F4_VARINT = 0x20;
const F4_LEN = 0x22;
const F5_VARINT = 0x28;
const F5_LEN = 0x2a;

/** What a fetch reply carries: FetchBatch has this shape. */
export interface FetchedRecords {
  /** Lazily (or fully) decoded batches; records below `fromOffset` are left out. */
  batches: readonly RecordBatch[];
  fromOffset?: bigint | undefined;
  highWatermark: bigint;
  logStartOffset: bigint;
}

export interface FetchReply {
  frame: Buffer;
  /** How many records fit under the frame limit; the client continues from the next one. */
  count: number;
}

// Per-record facts from the first pass, read by the second. Grown on demand, never shrunk:
// encoding is synchronous, so one set serves every session.
const STRIDE = 8;
const KEY_START = 0;
const KEY_LENGTH = 1;
const VALUE_START = 2;
const VALUE_LENGTH = 3;
const HEADERS_START = 4;
const HEADERS_COUNT = 5;
const END = 6;
const SEGMENT = 7;
let positions = new Int32Array(1024 * STRIDE);
let offsets = new Float64Array(1024);
let timestamps = new Float64Array(1024);
let messageSizes = new Int32Array(1024);
/** 1 when the record's headers are copied from its Kafka bytes, 0 when written from parsed headers. */
let rawHeaders = new Uint8Array(1024);
/** The buffers records point into (one per batch, or per legacy wrapper), by SEGMENT index. */
const segments: Buffer[] = [];
/** Rare cases, by record index: int64s beyond 2^53 (exact bigints) and non-ASCII header keys (parsed). */
let exactOffsets: Map<number, bigint> | null = null;
let exactTimestamps: Map<number, bigint> | null = null;
let parsedHeaders: Map<number, readonly RecordHeader[]> | null = null;

const cursor = new RecordCursor();

function ensureScratch(n: number): void {
  if (offsets.length >= n) return;
  let size = offsets.length;
  while (size < n) size *= 2;
  const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T, stride = 1): T => {
    const b = make(size * stride);
    b.set(a);
    return b;
  };
  positions = grow(positions, (k) => new Int32Array(k), STRIDE);
  offsets = grow(offsets, (k) => new Float64Array(k));
  timestamps = grow(timestamps, (k) => new Float64Array(k));
  messageSizes = grow(messageSizes, (k) => new Int32Array(k));
  rawHeaders = grow(rawHeaders, (k) => new Uint8Array(k));
}

/**
 * KafkaFetchResp with as many of the fetched records as fit in `maxFrameBytes` (the whole
 * WebSocket message). `alloc` makes the frame (a FramePool's `take` reuses sent frames); every
 * byte of it is written.
 *
 * @throws RecordTooLargeError when the first record alone does not fit: no reply could carry it.
 * @throws CorruptRecordsError for a malformed record in a lazily decoded batch.
 */
export function encodeFetchReply(
  sequence: bigint, fetched: FetchedRecords, maxFrameBytes: number, alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): FetchReply {
  try {
    return encode(sequence, fetched, maxFrameBytes, alloc);
  } finally {
    // Neither the frame nor a Kafka buffer is kept alive by the module's scratch state.
    cursor.clear();
    segments.length = 0;
    exactOffsets = null;
    exactTimestamps = null;
    parsedHeaders = null;
    outView = EMPTY_VIEW;
    srcBuf = undefined;
    srcView = EMPTY_VIEW;
  }
}

function encode(sequence: bigint, fetched: FetchedRecords, maxFrameBytes: number, alloc: (size: number) => Buffer): FetchReply {
  const { batches, fromOffset, highWatermark, logStartOffset } = fetched;
  const tail = (highWatermark === 0n ? 0 : 1 + sizeOfInt64(highWatermark)) + (logStartOffset === 0n ? 0 : 1 + sizeOfInt64(logStartOffset));
  // Worst case for the envelope: the body length prefix takes at most 5 bytes under 2^35.
  const budget = maxFrameBytes - envelopeSize(sequence, 0) - 4 - tail;
  let body = 0;
  let count = 0;
  let segment: Buffer | undefined;
  const c = cursor;
  fill: for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    c.reset(batch, fromOffset);
    const baseOffset = safeOrNaN(batch.baseOffset);
    const baseTimestamp = safeOrNaN(batch.baseTimestamp);
    // LogAppendTime v2 batches stamp every record with the batch's max timestamp (Kafka's rule).
    const logAppendTimestamp = batch.magic === 2 && batch.timestampType === 1 ? safeOrNaN(batch.maxTimestamp) : NaN;
    while (c.next()) {
      if (count === offsets.length) ensureScratch(count + 1);
      if (c.buf !== segment) {
        segment = c.buf;
        segments.push(segment);
      }
      let off = baseOffset + c.offsetDelta;
      if (!(off <= Number.MAX_SAFE_INTEGER)) {
        off = NaN;
        (exactOffsets ??= new Map()).set(count, c.offset);
      }
      let ts: number;
      if (logAppendTimestamp === logAppendTimestamp) ts = logAppendTimestamp;
      else {
        const d = c.timestampDelta;
        ts = typeof d === 'number' ? baseTimestamp + d : NaN;
        if (!(ts <= Number.MAX_SAFE_INTEGER && ts >= -Number.MAX_SAFE_INTEGER)) ts = NaN;
      }
      if (ts !== ts) (exactTimestamps ??= new Map()).set(count, c.timestamp);
      offsets[count] = off;
      timestamps[count] = ts;
      const size = measure(c, count, segments.length - 1);
      messageSizes[count] = size;
      const entry = 1 + sizeOfSafe(size) + size;
      if (body + entry > budget) {
        if (count === 0) throw new RecordTooLargeError(c.offset, entry + maxFrameBytes - budget, maxFrameBytes);
        break fill;
      }
      body += entry;
      count++;
    }
  }
  body += tail;
  const out = alloc(envelopeSize(sequence, body) + body);
  outView = new DataView(out.buffer, out.byteOffset, out.length);
  let p = writeEnvelope(out, sequence, FETCH_RESP, body);
  for (let i = 0; i < count; i++) {
    out[p++] = F1_LEN;
    p = writeSafe(out, p, messageSizes[i]!);
    p = writeMessage(out, p, i);
  }
  if (highWatermark !== 0n) {
    out[p++] = F2_VARINT;
    p = writeInt64(out, p, highWatermark);
  }
  if (logStartOffset !== 0n) {
    out[p++] = F3_VARINT;
    writeInt64(out, p, logStartOffset);
  }
  return { frame: out, count };
}

/** One chunk of a push: records [from, next) of a partition, encoded once for every subscriber. */
export interface RecordChunk {
  /**
   * The KafkaRecordsPush fields after `subscription` (partition, messages, high watermark, next
   * offset), in field order, so a subscriber's frame is its own few header bytes and then these.
   */
  body: Buffer;
  /** The offset the chunk starts at: records of the partition below it were in earlier chunks. */
  from: bigint;
  /** The next offset after the chunk: where the next chunk starts. */
  next: bigint;
  /** Records in it (0 for a chunk that only moves the position past control or aborted records). */
  records: number;
}

/** What a push encodes: a fetch's batches and where they leave the partition. */
export interface PushedRecords extends FetchedRecords {
  fromOffset: bigint;
  /** Where the partition continues after these batches (Kafka's next offset: past control batches too). */
  nextOffset: bigint;
}

/**
 * The records of `fetched` below `stopOffset` (all of them without one) as KafkaRecordsPush
 * chunks of at most `chunkBytes` of messages each (a record larger than that goes alone). The
 * chunks tile [fetched.fromOffset, end) with no gap: the first starts at fromOffset, each next
 * one where the previous ends, and the last ends at `stopOffset` or the fetch's nextOffset. No
 * chunk at all when there is nothing to move past.
 *
 *   message KafkaRecordsPush { uint32 subscription = 1; int32 partition = 2;
 *     repeated KafkaMessage messages = 3; int64 high_watermark = 4; int64 next_offset = 5; }
 *
 * @throws RecordTooLargeError when one record needs more than `maxEntryBytes`.
 * @throws CorruptRecordsError for a malformed record in a lazily decoded batch.
 */
export function encodeRecordChunks(
  fetched: PushedRecords, partition: number, stopOffset: bigint | undefined, chunkBytes: number, maxEntryBytes: number,
): RecordChunk[] {
  try {
    return encodeChunks(fetched, partition, stopOffset, chunkBytes, maxEntryBytes);
  } finally {
    cursor.clear();
    segments.length = 0;
    exactOffsets = null;
    exactTimestamps = null;
    parsedHeaders = null;
    outView = EMPTY_VIEW;
    srcBuf = undefined;
    srcView = EMPTY_VIEW;
  }
}

// The record walk of `encode`, written out again rather than shared: a helper taking the batch's
// base offset and timestamp as arguments would box those doubles on every record of the fetch path
// whenever V8 does not inline it (see writeScratch).
function encodeChunks(fetched: PushedRecords, partition: number, stopOffset: bigint | undefined, chunkBytes: number, maxEntryBytes: number): RecordChunk[] {
  const { batches, fromOffset, highWatermark } = fetched;
  const end = stopOffset !== undefined && stopOffset < fetched.nextOffset ? stopOffset : fetched.nextOffset;
  if (end <= fromOffset) return [];
  // Where each chunk starts, as an index into the scratch arrays; the last entry is the count.
  const starts: number[] = [0];
  let chunk = 0;
  let count = 0;
  let segment: Buffer | undefined;
  const c = cursor;
  walk: for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    c.reset(batch, fromOffset);
    const baseOffset = safeOrNaN(batch.baseOffset);
    const baseTimestamp = safeOrNaN(batch.baseTimestamp);
    const logAppendTimestamp = batch.magic === 2 && batch.timestampType === 1 ? safeOrNaN(batch.maxTimestamp) : NaN;
    while (c.next()) {
      if (c.offset >= end) break walk;
      if (count === offsets.length) ensureScratch(count + 1);
      if (c.buf !== segment) {
        segment = c.buf;
        segments.push(segment);
      }
      let off = baseOffset + c.offsetDelta;
      if (!(off <= Number.MAX_SAFE_INTEGER)) {
        off = NaN;
        (exactOffsets ??= new Map()).set(count, c.offset);
      }
      let ts: number;
      if (logAppendTimestamp === logAppendTimestamp) ts = logAppendTimestamp;
      else {
        const d = c.timestampDelta;
        ts = typeof d === 'number' ? baseTimestamp + d : NaN;
        if (!(ts <= Number.MAX_SAFE_INTEGER && ts >= -Number.MAX_SAFE_INTEGER)) ts = NaN;
      }
      if (ts !== ts) (exactTimestamps ??= new Map()).set(count, c.timestamp);
      offsets[count] = off;
      timestamps[count] = ts;
      const size = measure(c, count, segments.length - 1);
      messageSizes[count] = size;
      const entry = 1 + sizeOfSafe(size) + size;
      if (entry > maxEntryBytes) throw new RecordTooLargeError(c.offset, entry, maxEntryBytes);
      if (chunk > 0 && chunk + entry > chunkBytes) {
        starts.push(count);
        chunk = 0;
      }
      chunk += entry;
      count++;
    }
  }
  starts.push(count);
  const chunks: RecordChunk[] = [];
  const nChunks = count === 0 ? 1 : starts.length - 1;
  for (let k = 0; k < nChunks; k++) {
    const first = starts[k]!;
    const last = starts[k + 1] ?? 0;
    const from = k === 0 ? fromOffset : offsetAt(first);
    const next = k === nChunks - 1 ? end : offsetAt(last);
    let body = (partition === 0 ? 0 : 1 + sizeOfInt64(BigInt(partition))) + (highWatermark === 0n ? 0 : 1 + sizeOfInt64(highWatermark)) + (next === 0n ? 0 : 1 + sizeOfInt64(next));
    for (let i = first; i < last; i++) body += 1 + sizeOfSafe(messageSizes[i]!) + messageSizes[i]!;
    const out = Buffer.allocUnsafe(body);
    outView = new DataView(out.buffer, out.byteOffset, out.length);
    let p = 0;
    if (partition !== 0) {
      out[p++] = F2_VARINT;
      p = writeInt64(out, p, BigInt(partition));
    }
    for (let i = first; i < last; i++) {
      out[p++] = F3_LEN;
      p = writeSafe(out, p, messageSizes[i]!);
      p = writeMessage(out, p, i);
    }
    if (highWatermark !== 0n) {
      out[p++] = F4_VARINT;
      p = writeInt64(out, p, highWatermark);
    }
    if (next !== 0n) {
      out[p++] = F5_VARINT;
      writeInt64(out, p, next);
    }
    chunks.push({ body: out, from, next, records: last - first });
  }
  return chunks;
}

/** The offset of scratch entry `i`, exact. */
function offsetAt(i: number): bigint {
  const off = offsets[i]!;
  return off === off ? BigInt(off) : exactOffsets!.get(i)!;
}

/*
 * Offsets and timestamps are read from the scratch arrays by index, not passed as arguments: a
 * double argument of a call V8 does not inline is boxed into a new HeapNumber: garbage per record
 * (BENCHMARKS.md, "Figures behind code comments").
 */

/** Records the cursor's record as entry `i` and returns the size of its KafkaMessage. */
function measure(c: RecordCursor, i: number, segment: number): number {
  const at = i * STRIDE;
  const pos = positions;
  pos[at + KEY_START] = c.keyStart;
  pos[at + KEY_LENGTH] = c.keyLength;
  pos[at + VALUE_START] = c.valueStart;
  pos[at + VALUE_LENGTH] = c.valueLength;
  pos[at + HEADERS_START] = c.headersStart;
  pos[at + HEADERS_COUNT] = c.headersCount;
  pos[at + END] = c.end;
  pos[at + SEGMENT] = segment;
  const off = offsets[i]!;
  const ts = timestamps[i]!;
  let size = 0;
  if (off !== 0) size += 1 + (off === off ? sizeOfSafe(off) : sizeOfBig(exactOffsets!.get(i)!));
  if (ts !== 0) size += 1 + (ts === ts ? sizeOfSafe(ts) : sizeOfBig(exactTimestamps!.get(i)!));
  const kl = c.keyLength;
  if (kl > 0) size += 1 + sizeOfSafe(kl) + kl;
  const vl = c.valueLength;
  if (vl > 0) size += 1 + sizeOfSafe(vl) + vl;
  rawHeaders[i] = 0;
  if (c.headersCount > 0) {
    const raw = rawHeadersSize(c.buf, c.headersStart, c.headersCount, c.end);
    if (raw >= 0) {
      rawHeaders[i] = 1;
      size += raw;
    } else {
      const headers = c.headers();
      (parsedHeaders ??= new Map()).set(i, headers);
      for (const h of headers) {
        const hs = headerSize(h);
        size += 1 + sizeOfSafe(hs) + hs;
      }
    }
  }
  return size;
}

function headerSize(h: RecordHeader): number {
  const k = Buffer.byteLength(h.key);
  let size = k === 0 ? 0 : 1 + sizeOfSafe(k) + k;
  if (h.value !== null) size += 1 + sizeOfSafe(h.value.length) + h.value.length;
  return size;
}

/**
 * writeSafe(out, p, arr[i]) for the scratch arrays, with the value read here and the varint loops
 * inline. writeMessage is too large for V8 to inline writeSafe into it, and a double (a millisecond
 * timestamp) passed to a call that is not inlined is boxed: garbage per record (found with the
 * sampling heap profiler; BENCHMARKS.md, "Figures behind code comments").
 */
function writeScratch(out: Buffer, p: number, arr: Float64Array, i: number): number {
  const n = arr[i]!;
  if (n < 0) return writeSafe(out, p, n); // ten bytes, two's complement: rare, allowed to box
  let v: number;
  if (n < 0x80000000) v = n | 0;
  else {
    // One division splits off the low 28 bits (four varint bytes, all with the continuation bit
    // since n >= 2^31); the rest is below 2^25 for safe integers: int arithmetic from here on.
    v = Math.floor(n / TWO_28);
    const lo = n - v * TWO_28;
    out[p++] = (lo & 0x7f) | 0x80;
    out[p++] = ((lo >>> 7) & 0x7f) | 0x80;
    out[p++] = ((lo >>> 14) & 0x7f) | 0x80;
    out[p++] = ((lo >>> 21) & 0x7f) | 0x80;
  }
  while (v > 0x7f) {
    out[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[p++] = v;
  return p;
}

const TWO_28 = 268435456;

/*
 * Headers straight from the record's Kafka bytes (record format v2: per header a zigzag varint key
 * length, the key, a zigzag varint value length, -1 for null, the value), with no header objects,
 * strings or views: decoding keys to strings and encoding them back was measurably slower
 * (BENCHMARKS.md, "Figures behind code comments"). Only when every key is ASCII, whose bytes are
 * exactly its UTF-8 encoding; otherwise the parsed headers are used, which turn invalid UTF-8
 * into U+FFFD as a protobuf string must be valid UTF-8, and which throw CorruptRecordsError on
 * malformed bytes.
 */

/** End of the varint read by the last kafkaVarint call. */
let varintEnd = 0;

/** A zigzag varint (Kafka's int32 varint) at buf[p]; NaN when it runs over 5 bytes. */
function kafkaVarint(buf: Buffer, p: number): number {
  let u = 0;
  let shift = 0;
  let x = 0x80;
  while (x >= 0x80 && shift < 35) {
    x = buf[p++] ?? 0;
    u |= (x & 0x7f) << shift;
    shift += 7;
  }
  varintEnd = p;
  return x >= 0x80 ? NaN : (u >>> 1) ^ -(u & 1);
}

/** Size of a record's headers as KafkaHeader entries, or -1 when they must be parsed. */
function rawHeadersSize(b: Buffer, start: number, count: number, end: number): number {
  let p = start;
  let size = 0;
  for (let i = 0; i < count; i++) {
    const kl = kafkaVarint(b, p);
    p = varintEnd;
    if (!(kl >= 0) || p + kl > end) return -1;
    for (let j = p; j < p + kl; j++) if (b[j]! >= 0x80) return -1;
    p += kl;
    const vl = kafkaVarint(b, p);
    p = varintEnd;
    if (!(vl >= -1) || p + vl > end) return -1;
    let hs = kl === 0 ? 0 : 1 + sizeOfSafe(kl) + kl;
    if (vl >= 0) {
      hs += 1 + sizeOfSafe(vl) + vl;
      p += vl;
    }
    size += 1 + sizeOfSafe(hs) + hs;
  }
  return p === end ? size : -1;
}

/** Writes the headers rawHeadersSize accepted. */
function writeRawHeaders(out: Buffer, p: number, b: Buffer, start: number, count: number): number {
  let q = start;
  for (let i = 0; i < count; i++) {
    const kl = kafkaVarint(b, q);
    const keyStart = varintEnd;
    const vl = kafkaVarint(b, keyStart + kl);
    q = varintEnd;
    let hs = kl === 0 ? 0 : 1 + sizeOfSafe(kl) + kl;
    if (vl >= 0) hs += 1 + sizeOfSafe(vl) + vl;
    out[p++] = F5_LEN;
    p = writeSafe(out, p, hs);
    if (kl > 0) {
      out[p++] = F1_LEN;
      p = writeSafe(out, p, kl);
      p = copy(b, keyStart, kl, out, p);
    }
    if (vl >= 0) {
      out[p++] = F2_LEN;
      p = writeSafe(out, p, vl);
      p = copy(b, q, vl, out, p);
      q += vl;
    }
  }
  return p;
}

function writeParsedHeaders(out: Buffer, p: number, headers: readonly RecordHeader[]): number {
  for (const h of headers) {
    out[p++] = F5_LEN;
    p = writeSafe(out, p, headerSize(h));
    const k = Buffer.byteLength(h.key);
    if (k > 0) {
      out[p++] = F1_LEN;
      p = writeSafe(out, p, k);
      p += out.write(h.key, p, k, 'utf8');
    }
    if (h.value !== null) {
      out[p++] = F2_LEN;
      p = writeSafe(out, p, h.value.length);
      p = copy(h.value, 0, h.value.length, out, p);
    }
  }
  return p;
}

function writeMessage(out: Buffer, p: number, i: number): number {
  const off = offsets[i]!;
  const ts = timestamps[i]!;
  if (off !== 0) {
    out[p++] = F1_VARINT;
    p = off === off ? writeScratch(out, p, offsets, i) : writeBig(out, p, exactOffsets!.get(i)!);
  }
  if (ts !== 0) {
    out[p++] = F2_VARINT;
    p = ts === ts ? writeScratch(out, p, timestamps, i) : writeBig(out, p, exactTimestamps!.get(i)!);
  }
  const pos = positions;
  const at = i * STRIDE;
  const buf = segments[pos[at + SEGMENT]!]!;
  const kl = pos[at + KEY_LENGTH]!;
  if (kl > 0) {
    out[p++] = F3_LEN;
    p = writeSafe(out, p, kl);
    p = copy(buf, pos[at + KEY_START]!, kl, out, p);
  }
  const vl = pos[at + VALUE_LENGTH]!;
  if (vl > 0) {
    out[p++] = F4_LEN;
    p = writeSafe(out, p, vl);
    p = copy(buf, pos[at + VALUE_START]!, vl, out, p);
  }
  const hc = pos[at + HEADERS_COUNT]!;
  if (hc > 0) {
    if (rawHeaders[i] === 1) return writeRawHeaders(out, p, buf, pos[at + HEADERS_START]!, hc);
    return writeParsedHeaders(out, p, parsedHeaders!.get(i)!);
  }
  return p;
}

/*
 * The copy of a key or value into the frame: the one copy of a payload on the fetch path.
 * `dst.set(src.subarray(...))`, like Buffer#copy, allocates a view object and has a fixed call
 * overhead whatever the length; eight bytes at a time through DataViews allocates nothing and is
 * faster for short payloads, up to about LONG_COPY (BENCHMARKS.md, "Figures behind code comments").
 */
const LONG_COPY = 128;
const EMPTY_VIEW: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
/** The frame being written, and the Kafka buffer last copied from (records share one per batch). */
let outView = EMPTY_VIEW;
let srcBuf: Uint8Array | undefined;
let srcView = EMPTY_VIEW;

function copy(src: Uint8Array, start: number, len: number, dst: Buffer, p: number): number {
  if (len >= LONG_COPY) {
    dst.set(src.subarray(start, start + len), p);
    return p + len;
  }
  if (src !== srcBuf) {
    srcBuf = src;
    srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
  }
  const sv = srcView;
  const dv = outView;
  let i = 0;
  // Eight bytes per turn (two int32s) halves the loop overhead; the tail goes four, then one, at a time.
  for (; i + 8 <= len; i += 8) {
    dv.setInt32(p + i, sv.getInt32(start + i, true), true);
    dv.setInt32(p + i + 4, sv.getInt32(start + i + 4, true), true);
  }
  if (i + 4 <= len) {
    dv.setInt32(p + i, sv.getInt32(start + i, true), true);
    i += 4;
  }
  for (; i < len; i++) dst[p + i] = src[start + i]!;
  return p + len;
}
