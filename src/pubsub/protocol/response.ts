import { COMMANDS, ERROR_REPLY } from './commands.js';
import { sizeOfInt64, sizeOfSafe, writeInt64, writeSafe } from './varint.js';

/*
 * PubSubResp encoders, written by hand so each reply is sized first and then written into one
 * buffer (the fetch reply, the one that matters, is in fetch-reply.ts).
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

/** The key of a length-delimited oneof member (field << 3 | 2) as its two varint bytes (fields 16-2047). */
export function memberKey(field: number): readonly [number, number] {
  const key = (field << 3) | 2;
  return [(key & 0x7f) | 0x80, key >>> 7];
}

// Field keys (field << 3 | wire type), as varint bytes.
const SEQUENCE = 0x08;
const ERROR_RESP = memberKey(ERROR_REPLY.replyField);
const PONG_RESP = memberKey(COMMANDS.ping.replyField);
export const FETCH_RESP = memberKey(COMMANDS.fetch.replyField);
const LIST_OFFSET_RESP = memberKey(COMMANDS.list_offset.replyField);
const F1_VARINT = 0x08;
const F1_LEN = 0x0a;
const F2_LEN = 0x12;

/** Size of the sequence field and the oneof key plus length prefix, for a body of `bodySize`. */
export function envelopeSize(sequence: bigint, bodySize: number): number {
  return (sequence === 0n ? 0 : 1 + sizeOfInt64(sequence)) + 2 + sizeOfSafe(bodySize);
}

export function writeEnvelope(out: Buffer, sequence: bigint, member: readonly [number, number], bodySize: number): number {
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

const PRODUCE_RESP = memberKey(COMMANDS.produce.replyField);

/**
 * ProduceResp { repeated ProducedRecord records = 1; }
 * ProducedRecord { int32 partition = 1; int64 offset = 2; int64 timestamp = 3; string error = 4; }
 */
export function encodeProduceReply(sequence: bigint, outcomes: ReadonlyArray<{ partition: number; offset?: bigint; timestamp?: bigint; error?: string | undefined }>): Buffer {
  const sizes = outcomes.map((o) => {
    let n = o.partition === 0 ? 0 : 1 + sizeOfInt64(BigInt(o.partition));
    if (o.error === undefined) {
      if (o.offset !== undefined && o.offset !== 0n) n += 1 + sizeOfInt64(o.offset);
      if (o.timestamp !== undefined && o.timestamp !== 0n) n += 1 + sizeOfInt64(o.timestamp);
    } else {
      const e = Buffer.byteLength(o.error);
      n += 1 + sizeOfSafe(e) + e;
    }
    return n;
  });
  let body = 0;
  for (const n of sizes) body += 1 + sizeOfSafe(n) + n;
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, PRODUCE_RESP, body);
  outcomes.forEach((o, i) => {
    out[p++] = F1_LEN;
    p = writeSafe(out, p, sizes[i]!);
    if (o.partition !== 0) {
      out[p++] = 0x08;
      p = writeInt64(out, p, BigInt(o.partition));
    }
    if (o.error === undefined) {
      if (o.offset !== undefined && o.offset !== 0n) {
        out[p++] = 0x10;
        p = writeInt64(out, p, o.offset);
      }
      if (o.timestamp !== undefined && o.timestamp !== 0n) {
        out[p++] = 0x18;
        p = writeInt64(out, p, o.timestamp);
      }
    } else {
      const e = Buffer.byteLength(o.error);
      out[p++] = 0x22;
      p = writeSafe(out, p, e);
      p += out.write(o.error, p, e, 'utf8');
    }
  });
  return out;
}

const AUTHENTICATE_RESP = memberKey(COMMANDS.authenticate.replyField);

/** AuthenticateResp { string subject = 1; int64 expires_at_ms = 2; } (0: no exp). */
export function encodeAuthenticateReply(sequence: bigint, subject: string, expiresAtMs: number): Buffer {
  const s = Buffer.byteLength(subject);
  const exp = Number.isFinite(expiresAtMs) ? BigInt(Math.trunc(expiresAtMs)) : 0n;
  const body = (s === 0 ? 0 : 1 + sizeOfSafe(s) + s) + (exp === 0n ? 0 : 1 + sizeOfInt64(exp));
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, AUTHENTICATE_RESP, body);
  if (s !== 0) {
    out[p++] = F1_LEN;
    p = writeSafe(out, p, s);
    p += out.write(subject, p, s, 'utf8');
  }
  if (exp !== 0n) {
    out[p++] = 0x10;
    writeInt64(out, p, exp);
  }
  return out;
}

const COMMIT_OFFSETS_RESP = memberKey(COMMANDS.commit_offsets.replyField);
const COMMITTED_OFFSETS_RESP = memberKey(COMMANDS.fetch_committed.replyField);

/** CommitOffsetsResp {}: every offset was committed. */
export function encodeCommitOffsetsReply(sequence: bigint): Buffer {
  const out = Buffer.allocUnsafe(envelopeSize(sequence, 0));
  writeEnvelope(out, sequence, COMMIT_OFFSETS_RESP, 0);
  return out;
}

/** CommittedOffsetsResp { repeated PartitionOffset offsets = 1; } PartitionOffset { int32 partition = 1; int64 offset = 2; } */
export function encodeCommittedOffsetsReply(sequence: bigint, offsets: ReadonlyArray<{ partition: number; offset: bigint }>): Buffer {
  const sizes = offsets.map((o) => (o.partition === 0 ? 0 : 1 + sizeOfInt64(BigInt(o.partition))) + (o.offset === 0n ? 0 : 1 + sizeOfInt64(o.offset)));
  let body = 0;
  for (const n of sizes) body += 1 + sizeOfSafe(n) + n;
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, COMMITTED_OFFSETS_RESP, body);
  offsets.forEach((o, i) => {
    out[p++] = F1_LEN;
    p = writeSafe(out, p, sizes[i]!);
    if (o.partition !== 0) {
      out[p++] = F1_VARINT;
      p = writeInt64(out, p, BigInt(o.partition));
    }
    if (o.offset !== 0n) {
      out[p++] = 0x10;
      p = writeInt64(out, p, o.offset);
    }
  });
  return out;
}
