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
 * Offsets in the benchmark stay far below 2^53, so they are plain numbers here.
 */
import { sizeOfSafe, writeSafe } from '../../src/pubsub/protocol/varint.js';

const SEQUENCE = 0x08;
const CMD_FETCH = [0x8a, 0x02] as const; // field 33, LEN
const CMD_LIST_OFFSET = [0x92, 0x02] as const; // field 34, LEN
const CMD_PING = [0x82, 0x02] as const; // field 32, LEN

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

/** What one reply held. One object, overwritten by every scan: the hot loop allocates nothing. */
export interface Scan {
  sequence: number;
  kind: 'fetch' | 'error' | 'pong' | 'list_offset' | 'none';
  messages: number;
  /** Key plus value bytes of every message. */
  payloadBytes: number;
  /** Offset of the last message, -1 without messages; for list_offset the offset. */
  lastOffset: number;
  highWatermark: number;
  error: string;
}

export const scan: Scan = { sequence: 0, kind: 'none', messages: 0, payloadBytes: 0, lastOffset: -1, highWatermark: 0, error: '' };

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
  s.sequence = 0; s.kind = 'none'; s.messages = 0; s.payloadBytes = 0; s.lastOffset = -1; s.highWatermark = 0; s.error = '';
  pos = 0;
  while (pos < b.length) {
    const key = varint(b);
    const field = key >>> 3;
    if (field === 1) s.sequence = varint(b);
    else if (field === 33) {
      s.kind = 'fetch';
      const end = varint(b) + pos;
      fetchResp(b, end, s, onValue);
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

function fetchResp(b: Buffer, end: number, s: Scan, onValue: ((frame: Buffer, start: number, end: number) => void) | undefined): void {
  while (pos < end) {
    const key = varint(b);
    if (key === 0x0a) {
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
      s.messages++;
      s.lastOffset = offset;
    } else if (key === 0x10) s.highWatermark = varint(b);
    else skip(b, key & 7);
  }
}
