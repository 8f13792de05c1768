/**
 * The client side of the PubSub protocol, as little of it as a benchmark client needs: encode
 * fetch and list-offset requests, and walk a reply counting messages and payload bytes without
 * building objects. A browser would decode replies with protobufjs; that cost is the client's, not
 * the proxy's, so the benchmark clients stay as cheap as we can make them and the numbers show the
 * proxy (proto/pubsub.proto has the messages; docs/protocol.md).
 *
 *   PubSubReq  { int64 sequence = 1; CmdPing cmd_ping = 32; CmdKafkaFetch cmd_kafka_fetch = 33; CmdKafkaListOffset cmd_kafka_list_offset = 34 }
 *   CmdPing { bytes state = 1 }
 *   CmdKafkaFetch { string topic = 1; int32 partition = 2; int64 offset = 3 }
 *   PubSubResp { int64 sequence = 1; ErrorResp error_resp = 31; PongResp pong_resp = 32;
 *                KafkaFetchResp kafka_fetch_resp = 33; KafkaListOffsetResp kafka_list_offset_resp = 34 }
 *   KafkaFetchResp { repeated KafkaMessage messages = 1; int64 high_watermark = 2; int64 log_start_offset = 3 }
 *   KafkaMessage { int64 offset = 1; int64 timestamp = 2; bytes key = 3; bytes value = 4; repeated KafkaHeader headers = 5 }
 *
 * and of live subscriptions (docs/protocol.md, "Live subscriptions"):
 *
 *   PubSubReq  { ...; CmdSubscribe cmd_subscribe = 35; CmdUnsubscribe cmd_unsubscribe = 36; CmdCredit cmd_credit = 37 }
 *   CmdSubscribe { uint32 subscription = 1; string topic = 2; repeated int32 partitions = 3; SubscribeStart start = 4; ...; int64 credit = 7 }
 *   CmdUnsubscribe { uint32 subscription = 1 }   CmdCredit { uint32 subscription = 1; int64 bytes = 2 }
 *   PubSubResp { ...; SubscribeResp subscribe_resp = 35; KafkaRecordsPush kafka_records_push = 36; SubscriptionEnd subscription_end = 37 }
 *   KafkaRecordsPush { uint32 subscription = 1; int32 partition = 2; repeated KafkaMessage messages = 3; int64 high_watermark = 4; int64 next_offset = 5 }
 *   SubscriptionEnd { uint32 subscription = 1; SubscriptionEndReason reason = 2; string message = 3; ... }
 *
 * and of produce (docs/protocol.md, "Produce"):
 *
 *   PubSubReq  { ...; CmdProduce cmd_produce = 38 }
 *   CmdProduce { string topic = 1; optional int32 partition = 2; repeated ProduceRecord records = 3; string idempotency_key = 4 }
 *   ProduceRecord { optional bytes key = 1; optional bytes value = 2; repeated KafkaHeader headers = 3; optional int64 timestamp = 4 }
 *   PubSubResp { ...; ProduceResp produce_resp = 38 }   ProduceResp { repeated ProducedRecord records = 1 }
 *   ProducedRecord { int32 partition = 1; int64 offset = 2; int64 timestamp = 3; string error = 4 }
 *
 * Offsets in the benchmark stay far below 2^53, so they are plain numbers here.
 */
import { sizeOfSafe, writeSafe } from '../../src/pubsub/protocol/varint.js';

const SEQUENCE = 0x08;
const CMD_FETCH = [0x8a, 0x02] as const; // field 33, LEN
const CMD_LIST_OFFSET = [0x92, 0x02] as const; // field 34, LEN
const CMD_PING = [0x82, 0x02] as const; // field 32, LEN
const CMD_SUBSCRIBE = [0x9a, 0x02] as const; // field 35, LEN
const CMD_UNSUBSCRIBE = [0xa2, 0x02] as const; // field 36, LEN
const CMD_CREDIT = [0xaa, 0x02] as const; // field 37, LEN
const CMD_PRODUCE = [0xb2, 0x02] as const; // field 38, LEN
/** KafkaRecordsPush.messages: field 3, LEN (a fetch reply's are field 1). */
const PUSH_MESSAGES = 0x1a;

/** A topic name encoded once per client, not once per request. */
export function topicBytes(topic: string): Buffer {
  return Buffer.from(topic, 'utf8');
}

function encodeCommand(sequence: number, member: readonly [number, number], topic: Buffer, partition: number, int64: number): Buffer {
  let body = 1 + sizeOfSafe(topic.length) + topic.length;
  if (partition !== 0) body += 1 + sizeOfSafe(partition);
  if (int64 !== 0) body += 1 + sizeOfSafe(int64);
  const out = Buffer.allocUnsafe(1 + sizeOfSafe(sequence) + 2 + sizeOfSafe(body) + body);
  let p = 0;
  out[p++] = SEQUENCE;
  p = writeSafe(out, p, sequence);
  out[p++] = member[0];
  out[p++] = member[1];
  p = writeSafe(out, p, body);
  out[p++] = 0x0a;
  p = writeSafe(out, p, topic.length);
  p += topic.copy(out, p);
  if (partition !== 0) {
    out[p++] = 0x10;
    p = writeSafe(out, p, partition);
  }
  if (int64 !== 0) {
    out[p++] = 0x18;
    writeSafe(out, p, int64);
  }
  return out;
}

/** PubSubReq with cmd_kafka_fetch. */
export function encodeFetch(sequence: number, topic: Buffer, partition: number, offset: number): Buffer {
  return encodeCommand(sequence, CMD_FETCH, topic, partition, offset);
}

/** PubSubReq with cmd_kafka_list_offset (-1 latest, -2 earliest). */
export function encodeListOffset(sequence: number, topic: Buffer, partition: number, timestamp: number): Buffer {
  return encodeCommand(sequence, CMD_LIST_OFFSET, topic, partition, timestamp);
}

/** PubSubReq with cmd_ping { state }; the pong echoes `state`. */
export function encodePing(sequence: number, state: Buffer): Buffer {
  const body = state.length === 0 ? 0 : 1 + sizeOfSafe(state.length) + state.length;
  const out = Buffer.allocUnsafe(1 + sizeOfSafe(sequence) + 2 + sizeOfSafe(body) + body);
  let p = 0;
  out[p++] = SEQUENCE;
  p = writeSafe(out, p, sequence);
  out[p++] = CMD_PING[0];
  out[p++] = CMD_PING[1];
  p = writeSafe(out, p, body);
  if (state.length > 0) {
    out[p++] = 0x0a;
    p = writeSafe(out, p, state.length);
    state.copy(out, p);
  }
  return out;
}

/**
 * PubSubReq with cmd_subscribe: every partition of `topic` from its end (start LATEST, the
 * default, so not written), with `credit` bytes.
 */
export function encodeSubscribe(sequence: number, subscription: number, topic: Buffer, credit: number): Buffer {
  const body = 1 + sizeOfSafe(subscription) + 1 + sizeOfSafe(topic.length) + topic.length + 1 + sizeOfSafe(credit);
  const out = Buffer.allocUnsafe(1 + sizeOfSafe(sequence) + 2 + sizeOfSafe(body) + body);
  let p = 0;
  out[p++] = SEQUENCE;
  p = writeSafe(out, p, sequence);
  out[p++] = CMD_SUBSCRIBE[0];
  out[p++] = CMD_SUBSCRIBE[1];
  p = writeSafe(out, p, body);
  out[p++] = 0x08;
  p = writeSafe(out, p, subscription);
  out[p++] = 0x12;
  p = writeSafe(out, p, topic.length);
  p += topic.copy(out, p);
  out[p++] = 0x38;
  writeSafe(out, p, credit);
  return out;
}

/** PubSubReq with cmd_unsubscribe (answered with subscription_end, the same sequence). */
export function encodeUnsubscribe(sequence: number, subscription: number): Buffer {
  return encodeIds(sequence, CMD_UNSUBSCRIBE, subscription, 0);
}

/** PubSubReq with cmd_credit (not answered). */
export function encodeCredit(sequence: number, subscription: number, bytes: number): Buffer {
  return encodeIds(sequence, CMD_CREDIT, subscription, bytes);
}

function encodeIds(sequence: number, member: readonly [number, number], subscription: number, second: number): Buffer {
  const body = 1 + sizeOfSafe(subscription) + (second === 0 ? 0 : 1 + sizeOfSafe(second));
  const out = Buffer.allocUnsafe(1 + sizeOfSafe(sequence) + 2 + sizeOfSafe(body) + body);
  let p = 0;
  out[p++] = SEQUENCE;
  p = writeSafe(out, p, sequence);
  out[p++] = member[0];
  out[p++] = member[1];
  p = writeSafe(out, p, body);
  out[p++] = 0x08;
  p = writeSafe(out, p, subscription);
  if (second !== 0) {
    out[p++] = 0x10;
    writeSafe(out, p, second);
  }
  return out;
}

/** The `records` fields of a CmdProduce, encoded once per client and sent with every command. */
export function encodeProduceRecords(records: ReadonlyArray<{ key: Buffer; value: Buffer }>): Buffer {
  let size = 0;
  for (const r of records) {
    const body = 1 + sizeOfSafe(r.key.length) + r.key.length + 1 + sizeOfSafe(r.value.length) + r.value.length;
    size += 1 + sizeOfSafe(body) + body;
  }
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const r of records) {
    const body = 1 + sizeOfSafe(r.key.length) + r.key.length + 1 + sizeOfSafe(r.value.length) + r.value.length;
    out[p++] = 0x1a;
    p = writeSafe(out, p, body);
    out[p++] = 0x0a;
    p = writeSafe(out, p, r.key.length);
    p += r.key.copy(out, p);
    out[p++] = 0x12;
    p = writeSafe(out, p, r.value.length);
    p += r.value.copy(out, p);
  }
  return out;
}

/** PubSubReq with cmd_produce: `records` from encodeProduceRecords, and an idempotency key (latin1) as the SDK always sends one. */
export function encodeProduce(sequence: number, topic: Buffer, records: Buffer, idempotencyKey: string): Buffer {
  const keyLength = idempotencyKey.length;
  const body = 1 + sizeOfSafe(topic.length) + topic.length + records.length + 1 + sizeOfSafe(keyLength) + keyLength;
  const out = Buffer.allocUnsafe(1 + sizeOfSafe(sequence) + 2 + sizeOfSafe(body) + body);
  let p = 0;
  out[p++] = SEQUENCE;
  p = writeSafe(out, p, sequence);
  out[p++] = CMD_PRODUCE[0];
  out[p++] = CMD_PRODUCE[1];
  p = writeSafe(out, p, body);
  out[p++] = 0x0a;
  p = writeSafe(out, p, topic.length);
  p += topic.copy(out, p);
  p += records.copy(out, p);
  out[p++] = 0x22;
  p = writeSafe(out, p, keyLength);
  out.write(idempotencyKey, p, 'latin1');
  return out;
}

/**
 * The decimal number at the start of b[start, end), up to its first non-digit: the producer's
 * epoch microseconds in a value (scripts/kafka/seeder/ProduceLatency.java, ProduceRate.java).
 * Read byte by byte: a string per record costs more than the rest of the scan at a million records/s.
 */
export function leadingNumber(b: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return n;
}

/** What one reply held. One object, overwritten by every scan: the hot loop allocates nothing. */
export interface Scan {
  sequence: number;
  kind: 'fetch' | 'error' | 'pong' | 'list_offset' | 'subscribed' | 'push' | 'end' | 'produce' | 'none';
  /** Messages of a fetch or push; records acknowledged by a produce reply. */
  messages: number;
  /** Records of a produce reply that carry an error (the first one's name in `error`). */
  failed: number;
  /** Key plus value bytes of every message. */
  payloadBytes: number;
  /** Offset of the last message, -1 without messages; for list_offset the offset. */
  lastOffset: number;
  /** Offset of the first message, -1 without messages. */
  firstOffset: number;
  /** A push's partition (0 otherwise). */
  partition: number;
  highWatermark: number;
  /** An error reply's message, or a SubscriptionEnd's reason number and message ("5 slow consumer"). */
  error: string;
}

export const scan: Scan = { sequence: 0, kind: 'none', messages: 0, failed: 0, payloadBytes: 0, lastOffset: -1, firstOffset: -1, partition: 0, highWatermark: 0, error: '' };

let pos = 0;

function varint(b: Buffer): number {
  let x = b[pos++]!;
  if (x < 0x80) return x;
  const start = pos - 1;
  let n = x & 0x7f;
  let scale = 128;
  do {
    x = b[pos++]!;
    n += (x & 0x7f) * scale;
    scale *= 128;
  } while (x >= 0x80);
  // Ten bytes: a negative int64 in two's complement (list offset -1), past what a double holds.
  return pos - start === 10 ? negative(b, start) : n;
}

function negative(b: Buffer, start: number): number {
  let v = 0n;
  for (let i = 9; i >= 0; i--) v = (v << 7n) | BigInt(b[start + i]! & 0x7f);
  return Number(BigInt.asIntN(64, v));
}

function skip(b: Buffer, wire: number): void {
  if (wire === 0) varint(b);
  else if (wire === 2) {
    // Not `pos += varint(b)`: that reads pos before varint() moves it past the length prefix.
    const len = varint(b);
    pos += len;
  }
  else if (wire === 1) pos += 8;
  else if (wire === 5) pos += 4;
  else throw new Error(`unexpected wire type ${wire} at ${pos}`);
}

/**
 * Reads one PubSubResp into `scan`. `onValue(frame, start, end)`, when given, sees every message's
 * value bytes (the produce-to-client latency client reads its timestamps there).
 * @throws Error on a frame that is not a PubSubResp.
 */
export function scanReply(b: Buffer, onValue?: (frame: Buffer, start: number, end: number) => void): Scan {
  const s = scan;
  s.sequence = 0; s.kind = 'none'; s.messages = 0; s.failed = 0; s.payloadBytes = 0; s.lastOffset = -1; s.firstOffset = -1; s.partition = 0; s.highWatermark = 0; s.error = '';
  pos = 0;
  while (pos < b.length) {
    const key = varint(b);
    const field = key >>> 3;
    if (field === 1) s.sequence = varint(b);
    else if (field === 33) {
      s.kind = 'fetch';
      const end = varint(b) + pos;
      messages(b, end, s, onValue, 0x0a, 0x10);
    } else if (field === 36) {
      s.kind = 'push';
      const end = varint(b) + pos;
      messages(b, end, s, onValue, PUSH_MESSAGES, 0x20);
    } else if (field === 38) {
      s.kind = 'produce';
      const end = varint(b) + pos;
      produced(b, end, s);
    } else if (field === 35) {
      s.kind = 'subscribed';
      skip(b, key & 7);
    } else if (field === 37) {
      s.kind = 'end';
      const end = varint(b) + pos;
      let reason = 0;
      let message = '';
      while (pos < end) {
        const k = varint(b);
        if (k === 0x10) reason = varint(b);
        else if (k === 0x1a) {
          const len = varint(b);
          message = b.toString('utf8', pos, pos + len);
          pos += len;
        } else skip(b, k & 7);
      }
      s.error = `${reason} ${message}`.trim();
    } else if (field === 31) {
      s.kind = 'error';
      const end = varint(b) + pos;
      while (pos < end) {
        const k = varint(b);
        if (k === 0x12) {
          const len = varint(b);
          s.error = b.toString('utf8', pos, pos + len);
          pos += len;
        } else skip(b, k & 7);
      }
    } else if (field === 34) {
      s.kind = 'list_offset';
      const end = varint(b) + pos;
      s.lastOffset = 0;
      while (pos < end) {
        const k = varint(b);
        if (k === 0x08) s.lastOffset = varint(b);
        else skip(b, k & 7);
      }
    } else if (field === 32) {
      s.kind = 'pong';
      skip(b, key & 7);
    } else skip(b, key & 7);
  }
  return s;
}

/** The ProducedRecords of a ProduceResp: acknowledged ones in `messages`, those with an error in `failed`. */
function produced(b: Buffer, end: number, s: Scan): void {
  while (pos < end) {
    const key = varint(b);
    if (key !== 0x0a) {
      skip(b, key & 7);
      continue;
    }
    const rEnd = varint(b) + pos;
    let failed = false;
    while (pos < rEnd) {
      const k = varint(b);
      if (k === 0x22) {
        const len = varint(b);
        if (len > 0) {
          failed = true;
          if (s.error === '') s.error = b.toString('utf8', pos, pos + len);
        }
        pos += len;
      } else skip(b, k & 7);
    }
    if (failed) s.failed++;
    else s.messages++;
  }
}

/** The messages of a KafkaFetchResp or a KafkaRecordsPush: their keys differ, the messages do not. */
function messages(b: Buffer, end: number, s: Scan, onValue: ((frame: Buffer, start: number, end: number) => void) | undefined, messageKey: number, highWatermarkKey: number): void {
  while (pos < end) {
    const key = varint(b);
    if (key === messageKey) {
      const mEnd = varint(b) + pos;
      let offset = 0;
      while (pos < mEnd) {
        const k = varint(b);
        if (k === 0x08) offset = varint(b);
        else if (k === 0x1a || k === 0x22) {
          const len = varint(b);
          s.payloadBytes += len;
          if (k === 0x22 && onValue !== undefined) onValue(b, pos, pos + len);
          pos += len;
        } else skip(b, k & 7);
      }
      if (s.messages++ === 0) s.firstOffset = offset;
      s.lastOffset = offset;
    } else if (key === highWatermarkKey) s.highWatermark = varint(b);
    else if (key === 0x10 && messageKey === PUSH_MESSAGES) s.partition = varint(b);
    else skip(b, key & 7);
  }
}
