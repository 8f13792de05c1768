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

function ensureScratch(n: number): void {
  if (offsets.length >= n) return;
  let size = offsets.length;
  while (size < n) size *= 2;
  offsets = new Float64Array(size);
  timestamps = new Float64Array(size);
  messageSizes = new Int32Array(size);
}

/**
 * KafkaFetchResp with as many of `records` as fit in `maxFrameBytes` (the whole WebSocket message).
 *
 * @throws RecordTooLargeError when the first record alone does not fit: no reply could carry it.
 */
export function encodeFetchReply(
  sequence: bigint, records: readonly KafkaRecord[], highWatermark: bigint, logStartOffset: bigint, maxFrameBytes: number,
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
    const size = messageSize(r, off, ts);
    messageSizes[count] = size;
    const entry = 1 + sizeOfSafe(size) + size;
    if (body + entry > budget) {
      if (count === 0) throw new RecordTooLargeError(r.offset, entry + maxFrameBytes - budget, maxFrameBytes);
      break;
    }
    body += entry;
  }
  body += tail;
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, FETCH_RESP, body);
  for (let i = 0; i < count; i++) {
    out[p++] = F1_LEN;
    p = writeSafe(out, p, messageSizes[i]!);
    p = writeMessage(out, p, records[i]!, offsets[i]!, timestamps[i]!);
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

/** `off`/`ts` are the record's offset and timestamp as numbers, or NaN when only the bigint is exact. */
function messageSize(r: KafkaRecord, off: number, ts: number): number {
  let size = 0;
  if (off !== 0) size += 1 + (off === off ? sizeOfSafe(off) : sizeOfBig(r.offset));
  if (ts !== 0) size += 1 + (ts === ts ? sizeOfSafe(ts) : sizeOfBig(r.timestamp));
  if (r.keyLength > 0) size += 1 + sizeOfSafe(r.keyLength) + r.keyLength;
  if (r.valueLength > 0) size += 1 + sizeOfSafe(r.valueLength) + r.valueLength;
  if (r.headersCount > 0) {
    for (const h of r.headers) {
      const hs = headerSize(h);
      size += 1 + sizeOfSafe(hs) + hs;
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

function writeMessage(out: Buffer, p: number, r: KafkaRecord, off: number, ts: number): number {
  if (off !== 0) {
    out[p++] = F1_VARINT;
    p = off === off ? writeSafe(out, p, off) : writeBig(out, p, r.offset);
  }
  if (ts !== 0) {
    out[p++] = F2_VARINT;
    p = ts === ts ? writeSafe(out, p, ts) : writeBig(out, p, r.timestamp);
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

// Buffer#copy crosses into C++; for the short keys and values that dominate, a loop is cheaper.
const SHORT_COPY = 48;

function copy(src: Uint8Array, start: number, len: number, dst: Buffer, p: number): number {
  if (len < SHORT_COPY) {
    for (let i = 0; i < len; i++) dst[p + i] = src[start + i]!;
  } else {
    dst.set(src.subarray(start, start + len), p);
  }
  return p + len;
}
