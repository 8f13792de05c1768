import type { KafkaRecord, RecordHeader } from '../../kafka-wire/index.js';
import { RecordTooLargeError } from '../errors.js';
import { safeOrNaN, sizeOfBig, sizeOfInt64, sizeOfSafe, writeBig, writeInt64, writeSafe } from './varint.js';

/*
 * PubSubResp encoders, written by hand so a fetch reply is sized first and then written into one
 * buffer: each key and value is copied exactly once, from the Kafka response (or decompressed)
 * buffer into the outgoing frame, with no intermediate objects per record.
 *
 *   message PubSubResp { int64 sequence = 1;
 *     oneof resp { ErrorResp error_resp = 31; PongResp pong_resp = 32;
 *                  KafkaFetchResp kafka_fetch_resp = 33; KafkaListOffsetResp kafka_list_offset_resp = 34; } }
 *   message ErrorResp { int32 code = 1; string message = 2; }
 *   message PongResp { bytes state = 1; }
 *   message KafkaListOffsetResp { int64 offset = 1; }
 *   message KafkaFetchResp { repeated KafkaMessage messages = 1; int64 high_watermark = 2; int64 log_start_offset = 3; }
 *   message KafkaMessage { int64 offset = 1; int64 timestamp = 2; bytes key = 3; bytes value = 4; repeated KafkaHeader headers = 5; }
 *   message KafkaHeader { string key = 1; optional bytes value = 2; }
 *
 * Scalars equal to their proto3 default (0, empty) are left out, as protobuf encoders do; the
 * oneof member is always written, even when empty, because APISIX clients test for its presence.
 */

// Field keys (field << 3 | wire type), as varint bytes.
const SEQUENCE = 0x08;
const ERROR_RESP = [0xfa, 0x01] as const; // 31, LEN
const PONG_RESP = [0x82, 0x02] as const; // 32, LEN
const FETCH_RESP = [0x8a, 0x02] as const; // 33, LEN
const LIST_OFFSET_RESP = [0x92, 0x02] as const; // 34, LEN
const F1_VARINT = 0x08;
const F1_LEN = 0x0a;
const F2_VARINT = 0x10;
const F2_LEN = 0x12;
const F3_VARINT = 0x18;
const F3_LEN = 0x1a;
const F4_LEN = 0x22;
const F5_LEN = 0x2a;

/** Size of the sequence field and the oneof key plus length prefix, for a body of `bodySize`. */
function envelopeSize(sequence: bigint, bodySize: number): number {
  return (sequence === 0n ? 0 : 1 + sizeOfInt64(sequence)) + 2 + sizeOfSafe(bodySize);
}

function writeEnvelope(out: Buffer, sequence: bigint, member: readonly [number, number], bodySize: number): number {
  let p = 0;
  if (sequence !== 0n) {
    out[p++] = SEQUENCE;
    p = writeInt64(out, p, sequence);
  }
  out[p++] = member[0];
  out[p++] = member[1];
  return writeSafe(out, p, bodySize);
}

/** ErrorResp with code 0, as APISIX always sends. */
export function encodeErrorReply(sequence: bigint, message: string): Buffer {
  const len = Buffer.byteLength(message);
  const body = len === 0 ? 0 : 1 + sizeOfSafe(len) + len;
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, ERROR_RESP, body);
  if (len > 0) {
    out[p++] = F2_LEN;
    p = writeSafe(out, p, len);
    out.write(message, p, len, 'utf8');
  }
  return out;
}

/** PongResp echoing the ping's state byte for byte. */
export function encodePongReply(sequence: bigint, state: Uint8Array): Buffer {
  const len = state.length;
  const body = len === 0 ? 0 : 1 + sizeOfSafe(len) + len;
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, PONG_RESP, body);
  if (len > 0) {
    out[p++] = F1_LEN;
    p = writeSafe(out, p, len);
    out.set(state, p);
  }
  return out;
}

export function encodeListOffsetReply(sequence: bigint, offset: bigint): Buffer {
  const body = offset === 0n ? 0 : 1 + sizeOfInt64(offset);
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, LIST_OFFSET_RESP, body);
  if (offset !== 0n) {
    out[p++] = F1_VARINT;
    writeInt64(out, p, offset);
  }
  return out;
}

export interface FetchReply {
  frame: Buffer;
  /** How many of the records fit under the frame limit; the client continues from the next one. */
  count: number;
}

// Per-record sizes computed in the first pass, kept for the second. Grown on demand, never shrunk:
// encoding is synchronous, so one set serves every session.
let offsets = new Float64Array(1024);
let timestamps = new Float64Array(1024);
let messageSizes = new Int32Array(1024);
/** 1 when the record's headers are copied from its Kafka bytes, 0 when written from `headers`. */
let rawHeaders = new Uint8Array(1024);

function ensureScratch(n: number): void {
  if (offsets.length >= n) return;
  let size = offsets.length;
  while (size < n) size *= 2;
  offsets = new Float64Array(size);
  timestamps = new Float64Array(size);
  messageSizes = new Int32Array(size);
  rawHeaders = new Uint8Array(size);
}

/**
 * KafkaFetchResp with as many of `records` as fit in `maxFrameBytes` (the whole WebSocket message).
 * `alloc` makes the frame (a FramePool's `take` reuses sent frames); every byte of it is written.
 *
 * @throws RecordTooLargeError when the first record alone does not fit: no reply could carry it.
 */
export function encodeFetchReply(
  sequence: bigint, records: readonly KafkaRecord[], highWatermark: bigint, logStartOffset: bigint, maxFrameBytes: number,
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): FetchReply {
  const n = records.length;
  ensureScratch(n);
  const tail = (highWatermark === 0n ? 0 : 1 + sizeOfInt64(highWatermark)) + (logStartOffset === 0n ? 0 : 1 + sizeOfInt64(logStartOffset));
  // Worst case for the envelope: the body length prefix takes at most 5 bytes under 2^35.
  const budget = maxFrameBytes - envelopeSize(sequence, 0) - 4 - tail;
  let body = 0;
  let count = 0;
  let batch = null;
  let baseOffset = NaN;
  let baseTimestamp = NaN;
  let logAppendTimestamp = NaN;
  for (; count < n; count++) {
    const r = records[count]!;
    if (r.batch !== batch) {
      batch = r.batch;
      baseOffset = safeOrNaN(batch.baseOffset);
      baseTimestamp = safeOrNaN(batch.baseTimestamp);
      // LogAppendTime v2 batches stamp every record with the batch's max timestamp (Kafka's rule).
      logAppendTimestamp = batch.magic === 2 && batch.timestampType === 1 ? safeOrNaN(batch.maxTimestamp) : NaN;
    }
    let off = baseOffset + r.offsetDelta;
    if (!(off <= Number.MAX_SAFE_INTEGER)) off = NaN;
    let ts: number;
    if (logAppendTimestamp === logAppendTimestamp) ts = logAppendTimestamp;
    else {
      const d = r.timestampDelta;
      ts = typeof d === 'number' ? baseTimestamp + d : NaN;
      if (!(ts <= Number.MAX_SAFE_INTEGER && ts >= -Number.MAX_SAFE_INTEGER)) ts = NaN;
    }
    offsets[count] = off;
    timestamps[count] = ts;
    const size = messageSize(r, count);
    messageSizes[count] = size;
    const entry = 1 + sizeOfSafe(size) + size;
    if (body + entry > budget) {
      if (count === 0) throw new RecordTooLargeError(r.offset, entry + maxFrameBytes - budget, maxFrameBytes);
      break;
    }
    body += entry;
  }
  body += tail;
  const out = alloc(envelopeSize(sequence, body) + body);
  outView = new DataView(out.buffer, out.byteOffset, out.length);
  let p = writeEnvelope(out, sequence, FETCH_RESP, body);
  for (let i = 0; i < count; i++) {
    out[p++] = F1_LEN;
    p = writeSafe(out, p, messageSizes[i]!);
    p = writeMessage(out, p, records[i]!, i);
  }
  // Neither the frame nor the last Kafka buffer is kept alive by the copy helpers once we return.
  outView = EMPTY_VIEW;
  srcBuf = undefined;
  srcView = EMPTY_VIEW;
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

/*
 * Offsets and timestamps are read from the scratch arrays by index, not passed as arguments: a
 * double argument of a call V8 does not inline is boxed into a new HeapNumber, which measured
 * 16 bytes of garbage per record (bench/encode-fetch.ts).
 */

/** Size of record `i`'s KafkaMessage; off/ts in the scratch arrays are numbers, or NaN when only the bigint is exact. */
function messageSize(r: KafkaRecord, i: number): number {
  const off = offsets[i]!;
  const ts = timestamps[i]!;
  let size = 0;
  if (off !== 0) size += 1 + (off === off ? sizeOfSafe(off) : sizeOfBig(r.offset));
  if (ts !== 0) size += 1 + (ts === ts ? sizeOfSafe(ts) : sizeOfBig(r.timestamp));
  if (r.keyLength > 0) size += 1 + sizeOfSafe(r.keyLength) + r.keyLength;
  if (r.valueLength > 0) size += 1 + sizeOfSafe(r.valueLength) + r.valueLength;
  rawHeaders[i] = 0;
  if (r.headersCount > 0) {
    const raw = rawHeadersSize(r);
    if (raw >= 0) {
      rawHeaders[i] = 1;
      size += raw;
    } else {
      for (const h of r.headers) {
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
 * timestamp) passed to a call that is not inlined is boxed: 16 bytes of garbage per record
 * (found with the sampling heap profiler on bench/encode-fetch.ts's input 1000x10).
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
 * strings or views: decoding keys to strings and encoding them back measured about 200 ns per
 * header. Only when every key is ASCII, whose bytes are exactly its UTF-8 encoding; otherwise the
 * decoded `headers` are used, which turn invalid UTF-8 into U+FFFD as a protobuf string must be
 * valid UTF-8, and which throw CorruptRecordsError on malformed bytes.
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

/** Size of the record's headers as KafkaHeader entries, or -1 when they must go through `headers`. */
function rawHeadersSize(r: KafkaRecord): number {
  const b = r.buf;
  const end = r.end;
  let p = r.headersStart;
  let size = 0;
  for (let i = 0; i < r.headersCount; i++) {
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
function writeRawHeaders(out: Buffer, p: number, r: KafkaRecord): number {
  const b = r.buf;
  let q = r.headersStart;
  for (let i = 0; i < r.headersCount; i++) {
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

function writeMessage(out: Buffer, p: number, r: KafkaRecord, i: number): number {
  const off = offsets[i]!;
  const ts = timestamps[i]!;
  if (off !== 0) {
    out[p++] = F1_VARINT;
    p = off === off ? writeScratch(out, p, offsets, i) : writeBig(out, p, r.offset);
  }
  if (ts !== 0) {
    out[p++] = F2_VARINT;
    p = ts === ts ? writeScratch(out, p, timestamps, i) : writeBig(out, p, r.timestamp);
  }
  if (r.keyLength > 0) {
    out[p++] = F3_LEN;
    p = writeSafe(out, p, r.keyLength);
    p = copy(r.buf, r.keyStart, r.keyLength, out, p);
  }
  if (r.valueLength > 0) {
    out[p++] = F4_LEN;
    p = writeSafe(out, p, r.valueLength);
    p = copy(r.buf, r.valueStart, r.valueLength, out, p);
  }
  if (r.headersCount > 0) {
    if (rawHeaders[i] === 1) return writeRawHeaders(out, p, r);
    for (const h of r.headers) {
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
  }
  return p;
}

/*
 * The copy of a key or value into the frame: the one copy of a payload on the fetch path.
 * `dst.set(src.subarray(...))`, like Buffer#copy, allocates a view object (96 bytes on Node 20)
 * and costs about 60 ns of call overhead whatever the length; eight bytes at a time through
 * DataViews allocates nothing and is faster below about 150 bytes (measured on Node 20: 100 bytes
 * in 35 ns against 59 ns).
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
