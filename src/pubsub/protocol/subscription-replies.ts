import { COMMANDS, PUSHES } from './commands.js';
import { envelopeSize, memberKey, writeEnvelope } from './response.js';
import { sizeOfInt64, sizeOfSafe, writeInt64, writeSafe } from './varint.js';

/*
 * The replies and pushes of live subscriptions (proto/pubsub.proto):
 *
 *   message PartitionOffset { int32 partition = 1; int64 offset = 2; }
 *   message SubscribeResp { uint32 subscription = 1; repeated PartitionOffset start = 2; int64 max_frame_bytes = 3; }
 *   message KafkaRecordsPush { uint32 subscription = 1; int32 partition = 2; repeated KafkaMessage messages = 3;
 *                              int64 high_watermark = 4; int64 next_offset = 5; }
 *   message SubscriptionEnd { uint32 subscription = 1; SubscriptionEndReason reason = 2; string message = 3;
 *                             repeated PartitionOffset cursor = 4; int32 partition = 5; int64 log_start_offset = 6; }
 *
 * A push is a chunk's shared body (encodeRecordChunks: the fields after `subscription`) behind a
 * prefix of each subscriber's own: the envelope's key and length, and the subscription field.
 */

const SUBSCRIBE_RESP = memberKey(COMMANDS.subscribe.replyField);
const RECORDS_PUSH = memberKey(PUSHES.records.replyField);
const SUBSCRIPTION_END = memberKey(PUSHES.end.replyField);

/** Proto enum SubscriptionEndReason, by our name; the values are the enum's numbers. */
export const END_REASONS = {
  unsubscribed: 0,
  route_deleted: 1,
  route_changed: 2,
  topic_deleted: 3,
  offset_out_of_range: 4,
  slow_consumer: 5,
  unauthorized: 6,
  shutting_down: 7,
  error: 8,
} as const;
export type EndReason = keyof typeof END_REASONS;

export interface SubscriptionEndInfo {
  reason: EndReason;
  message: string;
  /** Next offset per partition. */
  cursor: ReadonlyMap<number, bigint>;
  /** With offset_out_of_range. */
  partition?: number;
  logStartOffset?: bigint;
}

/** Size of the prefix a push of a `bodyLength`-byte chunk has for `subscription` (sequence 0). */
export function pushPrefixSize(subscription: number, bodyLength: number): number {
  const inner = 1 + sizeOfSafe(subscription) + bodyLength;
  return 2 + sizeOfSafe(inner) + 1 + sizeOfSafe(subscription);
}

/** Writes that prefix at out[p]; returns the position after it. */
export function writePushPrefix(out: Uint8Array, p: number, subscription: number, bodyLength: number): number {
  const inner = 1 + sizeOfSafe(subscription) + bodyLength;
  out[p++] = RECORDS_PUSH[0];
  out[p++] = RECORDS_PUSH[1];
  p = writeSafe(out, p, inner);
  out[p++] = 0x08;
  return writeSafe(out, p, subscription);
}

function partitionOffsetSize(partition: number, offset: bigint): number {
  return (partition === 0 ? 0 : 1 + sizeOfInt64(BigInt(partition))) + (offset === 0n ? 0 : 1 + sizeOfInt64(offset));
}

function writePartitionOffsets(out: Buffer, p: number, field: number, entries: ReadonlyMap<number, bigint>): number {
  for (const [partition, offset] of entries) {
    out[p++] = (field << 3) | 2;
    p = writeSafe(out, p, partitionOffsetSize(partition, offset));
    if (partition !== 0) {
      out[p++] = 0x08;
      p = writeInt64(out, p, BigInt(partition));
    }
    if (offset !== 0n) {
      out[p++] = 0x10;
      p = writeInt64(out, p, offset);
    }
  }
  return p;
}

function partitionOffsetsSize(entries: ReadonlyMap<number, bigint>): number {
  let n = 0;
  for (const [partition, offset] of entries) {
    const e = partitionOffsetSize(partition, offset);
    n += 1 + sizeOfSafe(e) + e;
  }
  return n;
}

export function encodeSubscribeReply(sequence: bigint, subscription: number, start: ReadonlyMap<number, bigint>, maxFrameBytes: number): Buffer {
  const body = 1 + sizeOfSafe(subscription) + partitionOffsetsSize(start) + (maxFrameBytes === 0 ? 0 : 1 + sizeOfSafe(maxFrameBytes));
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, SUBSCRIBE_RESP, body);
  out[p++] = 0x08;
  p = writeSafe(out, p, subscription);
  p = writePartitionOffsets(out, p, 2, start);
  if (maxFrameBytes !== 0) {
    out[p++] = 0x18;
    writeSafe(out, p, maxFrameBytes);
  }
  return out;
}

/** SubscriptionEnd: the reply to an unsubscribe (its sequence), or pushed (sequence 0). */
export function encodeSubscriptionEnd(sequence: bigint, subscription: number, end: SubscriptionEndInfo): Buffer {
  const reason = END_REASONS[end.reason];
  const message = Buffer.byteLength(end.message);
  const partition = end.partition ?? 0;
  const logStart = end.logStartOffset ?? 0n;
  const body = 1 + sizeOfSafe(subscription) + (reason === 0 ? 0 : 2) + (message === 0 ? 0 : 1 + sizeOfSafe(message) + message) +
    partitionOffsetsSize(end.cursor) + (partition === 0 ? 0 : 1 + sizeOfInt64(BigInt(partition))) + (logStart === 0n ? 0 : 1 + sizeOfInt64(logStart));
  const out = Buffer.allocUnsafe(envelopeSize(sequence, body) + body);
  let p = writeEnvelope(out, sequence, SUBSCRIPTION_END, body);
  out[p++] = 0x08;
  p = writeSafe(out, p, subscription);
  if (reason !== 0) {
    out[p++] = 0x10;
    out[p++] = reason;
  }
  if (message !== 0) {
    out[p++] = 0x1a;
    p = writeSafe(out, p, message);
    p += out.write(end.message, p, message, 'utf8');
  }
  p = writePartitionOffsets(out, p, 4, end.cursor);
  if (partition !== 0) {
    out[p++] = 0x28;
    p = writeInt64(out, p, BigInt(partition));
  }
  if (logStart !== 0n) {
    out[p++] = 0x30;
    writeInt64(out, p, logStart);
  }
  return out;
}
