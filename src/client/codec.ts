import protobuf from 'protobufjs/minimal.js';
import { PUSH_FIELDS, REPLY_FIELDS, REQUEST_FIELDS } from './commands.js';
import { bigintFromBits, toLongBits, type LongBitsLike } from './int64.js';
import { KafkaHeader, KafkaMessage, type FetchResult, type Header, type Message } from './message.js';

/*
 * proto/pubsub.proto's PubSubReq and PubSubResp over protobufjs's minimal runtime (Reader and
 * Writer), written out by hand as `pbjs -t static` would generate them. protobufjs's reflection
 * build compiles codecs with `new Function`, which a page with a Content-Security-Policy without
 * 'unsafe-eval' refuses (our own demo page is one); this path needs no eval and no Long class.
 * test/client/codec.test.ts checks every message byte for byte against protobufjs reflection
 * compiled from proto/pubsub.proto.
 */
const { Reader, Writer } = protobuf;
type ReaderT = InstanceType<typeof Reader>;

const VARINT = 0;
const LEN = 2;
const key = (field: number, wire: number) => ((field << 3) | wire) >>> 0;


/** Proto enums SubscribeStart and OutOfRange, in their declaration order. */
export const SUBSCRIBE_STARTS = ['latest', 'earliest', 'timestamp', 'cursor'] as const;
export const OUT_OF_RANGE = ['end', 'earliest', 'latest'] as const;
/** Proto enum SubscriptionEndReason, in its declaration order. */
export const END_REASONS = [
  'unsubscribed', 'route_deleted', 'route_changed', 'topic_deleted', 'offset_out_of_range', 'slow_consumer', 'unauthorized', 'shutting_down', 'error',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface SubscribeCommand {
  subscription: number;
  topic: string;
  partitions: readonly number[];
  start: (typeof SUBSCRIBE_STARTS)[number];
  timestamp: bigint;
  cursor: ReadonlyMap<number, bigint>;
  credit: bigint;
  outOfRange: (typeof OUT_OF_RANGE)[number];
}

/** One command of PubSubReq's oneof, int64 fields as bigint. */
export type Command =
  | { cmdPing: { state: Uint8Array } }
  | { cmdKafkaListOffset: { topic: string; partition: number; timestamp: bigint } }
  | { cmdKafkaFetch: { topic: string; partition: number; offset: bigint } }
  | { cmdEmpty: Record<string, never> }
  | { cmdSubscribe: SubscribeCommand }
  | { cmdUnsubscribe: { subscription: number } }
  | { cmdCredit: { subscription: number; bytes: bigint } }
  | { cmdProduce: ProduceCommand }
  | { cmdAuthenticate: { token: string } }
  | { cmdCommitOffsets: { group: string; topic: string; offsets: ReadonlyMap<number, bigint> } }
  | { cmdFetchCommitted: { group: string; topic: string; partitions: readonly number[] } };

/** A record to write: null key or value are absent on the wire, empty ones are empty bytes. */
export interface ProduceRecord {
  key?: Uint8Array | null;
  value: Uint8Array | null;
  headers?: ReadonlyArray<{ key: string; value: Uint8Array | null }>;
  /** Milliseconds since the epoch; absent: when the proxy takes it. */
  timestamp?: bigint;
}

export interface ProduceCommand {
  topic: string;
  partition?: number;
  records: readonly ProduceRecord[];
  idempotencyKey?: string;
}

/** One record's acknowledgement: where it was written, or Kafka's (or the proxy's) error name. */
export type ProduceAck = { partition: number; offset: bigint; /** As stored: the broker's append time on a LogAppendTime topic, else the record's own. */ timestamp: bigint; error?: undefined } | { partition: number; error: string };

/** A subscription's end: why, and the next offset per partition (where to resume). */
export interface SubscriptionEndInfo {
  subscription: number;
  reason: EndReason;
  message: string;
  cursor: Map<number, bigint>;
  /** With offset_out_of_range: the partition, and its log start offset. */
  partition: number;
  logStartOffset: bigint;
}

/** Records pushed for a subscription: one partition's messages in order, and where it continues. */
export interface RecordsPush {
  subscription: number;
  partition: number;
  messages: Message[];
  highWatermark: bigint;
  nextOffset: bigint;
}

/** A decoded PubSubResp; `kind` names the oneof member that was set ('none' if it was not). */
export type Reply = { sequence: bigint } & (
  | { kind: 'error'; message: string }
  | { kind: 'pong'; state: Uint8Array }
  | { kind: 'fetch'; result: FetchResult }
  | { kind: 'listOffset'; offset: bigint }
  | { kind: 'subscribe'; subscription: number; start: Map<number, bigint>; maxFrameBytes: bigint }
  | { kind: 'push'; push: RecordsPush }
  | { kind: 'end'; end: SubscriptionEndInfo }
  | { kind: 'produce'; acks: ProduceAck[] }
  | { kind: 'authenticate'; subject: string; expiresAtMs: bigint }
  | { kind: 'commitOffsets' }
  | { kind: 'committed'; offsets: Map<number, bigint> }
  | { kind: 'none' }
);

/**
 * PubSubReq { int64 sequence = 1; oneof req { CmdEmpty cmd_empty = 31; CmdPing cmd_ping = 32;
 * CmdKafkaFetch cmd_kafka_fetch = 33; CmdKafkaListOffset cmd_kafka_list_offset = 34; } }
 * @throws RangeError for an int64 outside the range or a number that is not a safe integer.
 */
export function encodeRequest(sequence: bigint, command: Command): Uint8Array<ArrayBuffer> {
  const w = Writer.create();
  if (sequence !== 0n) w.uint32(key(1, VARINT)).int64(toLongBits(sequence, 'sequence') as unknown as protobuf.Long);
  if ('cmdKafkaFetch' in command) {
    const c = command.cmdKafkaFetch;
    topicCommand(w.uint32(key(REQUEST_FIELDS.fetch, LEN)).fork(), c.topic, c.partition, toLongBits(c.offset, 'offset')).ldelim();
  } else if ('cmdKafkaListOffset' in command) {
    const c = command.cmdKafkaListOffset;
    topicCommand(w.uint32(key(REQUEST_FIELDS.list_offset, LEN)).fork(), c.topic, c.partition, toLongBits(c.timestamp, 'timestamp')).ldelim();
  } else if ('cmdPing' in command) {
    w.uint32(key(REQUEST_FIELDS.ping, LEN)).fork();
    if (command.cmdPing.state.length > 0) w.uint32(key(1, LEN)).bytes(command.cmdPing.state);
    w.ldelim();
  } else if ('cmdSubscribe' in command) {
    subscribe(w.uint32(key(REQUEST_FIELDS.subscribe, LEN)).fork(), command.cmdSubscribe).ldelim();
  } else if ('cmdUnsubscribe' in command) {
    const c = command.cmdUnsubscribe;
    w.uint32(key(REQUEST_FIELDS.unsubscribe, LEN)).fork();
    if (c.subscription !== 0) w.uint32(key(1, VARINT)).uint32(c.subscription);
    w.ldelim();
  } else if ('cmdProduce' in command) {
    produce(w.uint32(key(REQUEST_FIELDS.produce, LEN)).fork(), command.cmdProduce).ldelim();
  } else if ('cmdAuthenticate' in command) {
    w.uint32(key(REQUEST_FIELDS.authenticate, LEN)).fork();
    if (command.cmdAuthenticate.token !== '') w.uint32(key(1, LEN)).string(command.cmdAuthenticate.token);
    w.ldelim();
  } else if ('cmdCommitOffsets' in command) {
    const c = command.cmdCommitOffsets;
    w.uint32(key(REQUEST_FIELDS.commit_offsets, LEN)).fork();
    groupTopic(w, c.group, c.topic);
    partitionOffsets(w, 3, c.offsets);
    w.ldelim();
  } else if ('cmdFetchCommitted' in command) {
    const c = command.cmdFetchCommitted;
    w.uint32(key(REQUEST_FIELDS.fetch_committed, LEN)).fork();
    groupTopic(w, c.group, c.topic);
    if (c.partitions.length > 0) {
      w.uint32(key(3, LEN)).fork();
      for (const p of c.partitions) w.int32(p);
      w.ldelim();
    }
    w.ldelim();
  } else if ('cmdCredit' in command) {
    const c = command.cmdCredit;
    w.uint32(key(REQUEST_FIELDS.credit, LEN)).fork();
    if (c.subscription !== 0) w.uint32(key(1, VARINT)).uint32(c.subscription);
    if (c.bytes !== 0n) w.uint32(key(2, VARINT)).int64(toLongBits(c.bytes, 'bytes') as unknown as protobuf.Long);
    w.ldelim();
  } else {
    w.uint32(key(REQUEST_FIELDS.empty, LEN)).fork().ldelim();
  }
  // finish() may return a view into a shared slab; copy so the socket gets an ArrayBuffer of its own.
  return new Uint8Array(w.finish());
}

/**
 * CmdSubscribe { uint32 subscription = 1; string topic = 2; repeated int32 partitions = 3 (packed);
 *   SubscribeStart start = 4; int64 timestamp = 5; repeated PartitionOffset cursor = 6; int64 credit = 7;
 *   OutOfRange out_of_range = 8; }  PartitionOffset { int32 partition = 1; int64 offset = 2; }
 */
function subscribe(w: InstanceType<typeof Writer>, c: SubscribeCommand) {
  if (c.subscription !== 0) w.uint32(key(1, VARINT)).uint32(c.subscription);
  if (c.topic !== '') w.uint32(key(2, LEN)).string(c.topic);
  if (c.partitions.length > 0) {
    w.uint32(key(3, LEN)).fork();
    for (const p of c.partitions) w.int32(p);
    w.ldelim();
  }
  const start = SUBSCRIBE_STARTS.indexOf(c.start);
  if (start !== 0) w.uint32(key(4, VARINT)).int32(start);
  if (c.timestamp !== 0n) w.uint32(key(5, VARINT)).int64(toLongBits(c.timestamp, 'timestamp') as unknown as protobuf.Long);
  partitionOffsets(w, 6, c.cursor);
  if (c.credit !== 0n) w.uint32(key(7, VARINT)).int64(toLongBits(c.credit, 'credit') as unknown as protobuf.Long);
  const oor = OUT_OF_RANGE.indexOf(c.outOfRange);
  if (oor !== 0) w.uint32(key(8, VARINT)).int32(oor);
  return w;
}

/** `repeated PartitionOffset` at `field`: PartitionOffset { int32 partition = 1; int64 offset = 2; } */
function partitionOffsets(w: InstanceType<typeof Writer>, field: number, offsets: ReadonlyMap<number, bigint>): void {
  for (const [partition, offset] of offsets) {
    w.uint32(key(field, LEN)).fork();
    if (partition !== 0) w.uint32(key(1, VARINT)).int32(partition);
    if (offset !== 0n) w.uint32(key(2, VARINT)).int64(toLongBits(offset, 'offset') as unknown as protobuf.Long);
    w.ldelim();
  }
}

/** The `string group = 1; string topic = 2;` of CmdCommitOffsets and CmdFetchCommitted. */
function groupTopic(w: InstanceType<typeof Writer>, group: string, topic: string): void {
  if (group !== '') w.uint32(key(1, LEN)).string(group);
  if (topic !== '') w.uint32(key(2, LEN)).string(topic);
}

/**
 * CmdProduce { string topic = 1; optional int32 partition = 2; repeated ProduceRecord records = 3; string idempotency_key = 4; }
 * ProduceRecord { optional bytes key = 1; optional bytes value = 2; repeated KafkaHeader headers = 3; optional int64 timestamp = 4; }
 */
function produce(w: InstanceType<typeof Writer>, c: ProduceCommand) {
  if (c.topic !== '') w.uint32(key(1, LEN)).string(c.topic);
  if (c.partition !== undefined) w.uint32(key(2, VARINT)).int32(c.partition);
  for (const r of c.records) {
    w.uint32(key(3, LEN)).fork();
    if (r.key !== undefined && r.key !== null) w.uint32(key(1, LEN)).bytes(r.key);
    if (r.value !== null) w.uint32(key(2, LEN)).bytes(r.value);
    for (const h of r.headers ?? []) {
      w.uint32(key(3, LEN)).fork();
      if (h.key !== '') w.uint32(key(1, LEN)).string(h.key);
      if (h.value !== null) w.uint32(key(2, LEN)).bytes(h.value);
      w.ldelim();
    }
    if (r.timestamp !== undefined) w.uint32(key(4, VARINT)).int64(toLongBits(r.timestamp, 'timestamp') as unknown as protobuf.Long);
    w.ldelim();
  }
  if (c.idempotencyKey !== undefined && c.idempotencyKey !== '') w.uint32(key(4, LEN)).string(c.idempotencyKey);
  return w;
}

/** CmdKafkaFetch / CmdKafkaListOffset { string topic = 1; int32 partition = 2; int64 offset|timestamp = 3; } */
function topicCommand(w: InstanceType<typeof Writer>, topic: string, partition: number, third: LongBitsLike) {
  if (topic !== '') w.uint32(key(1, LEN)).string(topic);
  if (partition !== 0) w.uint32(key(2, VARINT)).int32(partition);
  // Writer.int64 goes through LongBits.from, which takes any {low, high}; the typings ask for a Long.
  if (third.low !== 0 || third.high !== 0) w.uint32(key(3, VARINT)).int64(third as unknown as protobuf.Long);
  return w;
}

/**
 * Decodes one reply frame; unknown fields are skipped, the last oneof member wins.
 * @throws Error (from protobufjs's Reader or ours) when the frame is not a PubSubResp.
 */
export function decodeReply(frame: Uint8Array): Reply {
  const r = Reader.create(frame);
  let sequence = 0n;
  let reply: Reply = { sequence, kind: 'none' };
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t) {
      case key(1, VARINT):
        sequence = readInt64(r);
        break;
      case key(REPLY_FIELDS.error, LEN):
        reply = { sequence, kind: 'error', message: errorMessage(r, r.uint32() + r.pos) };
        break;
      case key(REPLY_FIELDS.ping, LEN):
        reply = { sequence, kind: 'pong', state: singleBytes(r, r.uint32() + r.pos) };
        break;
      case key(REPLY_FIELDS.fetch, LEN):
        reply = { sequence, kind: 'fetch', result: fetchResult(r, r.uint32() + r.pos) };
        break;
      case key(REPLY_FIELDS.list_offset, LEN):
        reply = { sequence, kind: 'listOffset', offset: singleInt64(r, r.uint32() + r.pos) };
        break;
      case key(REPLY_FIELDS.subscribe, LEN):
        reply = { sequence, kind: 'subscribe', ...subscribeResp(r, r.uint32() + r.pos) };
        break;
      case key(PUSH_FIELDS.records, LEN):
        reply = { sequence, kind: 'push', push: recordsPush(r, r.uint32() + r.pos) };
        break;
      case key(PUSH_FIELDS.end, LEN):
        reply = { sequence, kind: 'end', end: subscriptionEnd(r, r.uint32() + r.pos) };
        break;
      case key(REPLY_FIELDS.produce, LEN):
        reply = { sequence, kind: 'produce', acks: produceResp(r, r.uint32() + r.pos) };
        break;
      case key(REPLY_FIELDS.commit_offsets, LEN):
        r.skip(r.uint32());
        reply = { sequence, kind: 'commitOffsets' };
        break;
      case key(REPLY_FIELDS.fetch_committed, LEN): {
        const end = r.uint32() + r.pos;
        const offsets = new Map<number, bigint>();
        while (r.pos < end) {
          const t2 = r.uint32();
          if (t2 === key(1, LEN)) partitionOffset(r, r.uint32() + r.pos, offsets);
          else r.skipType(t2 & 7);
        }
        reply = { sequence, kind: 'committed', offsets };
        break;
      }
      case key(REPLY_FIELDS.authenticate, LEN):
        reply = { sequence, kind: 'authenticate', ...authenticateResp(r, r.uint32() + r.pos) };
        break;
      default:
        r.skipType(t & 7);
    }
  }
  reply.sequence = sequence;
  return reply;
}

/** AuthenticateResp { string subject = 1; int64 expires_at_ms = 2; } */
function authenticateResp(r: ReaderT, end: number): { subject: string; expiresAtMs: bigint } {
  let subject = '';
  let expiresAtMs = 0n;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(1, LEN)) subject = r.string();
    else if (t === key(2, VARINT)) expiresAtMs = readInt64(r);
    else r.skipType(t & 7);
  }
  return { subject, expiresAtMs };
}

/** ErrorResp { int32 code = 1; string message = 2; } */
function errorMessage(r: ReaderT, end: number): string {
  let message = '';
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(2, LEN)) message = r.string();
    else r.skipType(t & 7);
  }
  return message;
}

/** PongResp { bytes state = 1; } */
function singleBytes(r: ReaderT, end: number): Uint8Array {
  let state: Uint8Array = EMPTY;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(1, LEN)) state = r.bytes();
    else r.skipType(t & 7);
  }
  return state;
}

/** KafkaListOffsetResp { int64 offset = 1; } */
function singleInt64(r: ReaderT, end: number): bigint {
  let v = 0n;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(1, VARINT)) v = readInt64(r);
    else r.skipType(t & 7);
  }
  return v;
}

/** KafkaFetchResp { repeated KafkaMessage messages = 1; int64 high_watermark = 2; int64 log_start_offset = 3; } */
function fetchResult(r: ReaderT, end: number): FetchResult {
  const messages: Message[] = [];
  let highWatermark = 0n;
  let logStartOffset = 0n;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(1, LEN)) messages.push(message(r, r.uint32() + r.pos));
    else if (t === key(2, VARINT)) highWatermark = readInt64(r);
    else if (t === key(3, VARINT)) logStartOffset = readInt64(r);
    else r.skipType(t & 7);
  }
  return { messages, highWatermark, logStartOffset };
}

/** ProduceResp { repeated ProducedRecord records = 1; } ProducedRecord { int32 partition = 1; int64 offset = 2; int64 timestamp = 3; string error = 4; } */
function produceResp(r: ReaderT, end: number): ProduceAck[] {
  const acks: ProduceAck[] = [];
  while (r.pos < end) {
    const t = r.uint32();
    if (t !== key(1, LEN)) {
      r.skipType(t & 7);
      continue;
    }
    const stop = r.uint32() + r.pos;
    let partition = 0;
    let offset = 0n;
    let timestamp = 0n;
    let error = '';
    while (r.pos < stop) {
      const u = r.uint32();
      switch (u) {
        case key(1, VARINT): partition = r.int32(); break;
        case key(2, VARINT): offset = readInt64(r); break;
        case key(3, VARINT): timestamp = readInt64(r); break;
        case key(4, LEN): error = r.string(); break;
        default: r.skipType(u & 7);
      }
    }
    acks.push(error === '' ? { partition, offset, timestamp } : { partition, error });
  }
  return acks;
}

/** PartitionOffset { int32 partition = 1; int64 offset = 2; } into `into`. */
function partitionOffset(r: ReaderT, end: number, into: Map<number, bigint>): void {
  let partition = 0;
  let offset = 0n;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(1, VARINT)) partition = r.int32();
    else if (t === key(2, VARINT)) offset = readInt64(r);
    else r.skipType(t & 7);
  }
  into.set(partition, offset);
}

/** SubscribeResp { uint32 subscription = 1; repeated PartitionOffset start = 2; int64 max_frame_bytes = 3; } */
function subscribeResp(r: ReaderT, end: number): { subscription: number; start: Map<number, bigint>; maxFrameBytes: bigint } {
  let subscription = 0;
  const start = new Map<number, bigint>();
  let maxFrameBytes = 0n;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(1, VARINT)) subscription = r.uint32();
    else if (t === key(2, LEN)) partitionOffset(r, r.uint32() + r.pos, start);
    else if (t === key(3, VARINT)) maxFrameBytes = readInt64(r);
    else r.skipType(t & 7);
  }
  return { subscription, start, maxFrameBytes };
}

/** KafkaRecordsPush { uint32 subscription = 1; int32 partition = 2; repeated KafkaMessage messages = 3; int64 high_watermark = 4; int64 next_offset = 5; } */
function recordsPush(r: ReaderT, end: number): RecordsPush {
  const p: RecordsPush = { subscription: 0, partition: 0, messages: [], highWatermark: 0n, nextOffset: 0n };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t) {
      case key(1, VARINT): p.subscription = r.uint32(); break;
      case key(2, VARINT): p.partition = r.int32(); break;
      case key(3, LEN): p.messages.push(message(r, r.uint32() + r.pos)); break;
      case key(4, VARINT): p.highWatermark = readInt64(r); break;
      case key(5, VARINT): p.nextOffset = readInt64(r); break;
      default: r.skipType(t & 7);
    }
  }
  for (const m of p.messages) m.partition = p.partition;
  return p;
}

/**
 * SubscriptionEnd { uint32 subscription = 1; SubscriptionEndReason reason = 2; string message = 3;
 *   repeated PartitionOffset cursor = 4; int32 partition = 5; int64 log_start_offset = 6; }
 * A reason this SDK does not know yet reads as 'error'.
 */
function subscriptionEnd(r: ReaderT, end: number): SubscriptionEndInfo {
  const e: SubscriptionEndInfo = { subscription: 0, reason: 'unsubscribed', message: '', cursor: new Map(), partition: 0, logStartOffset: 0n };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t) {
      case key(1, VARINT): e.subscription = r.uint32(); break;
      case key(2, VARINT): e.reason = END_REASONS[r.int32()] ?? 'error'; break;
      case key(3, LEN): e.message = r.string(); break;
      case key(4, LEN): partitionOffset(r, r.uint32() + r.pos, e.cursor); break;
      case key(5, VARINT): e.partition = r.int32(); break;
      case key(6, VARINT): e.logStartOffset = readInt64(r); break;
      default: r.skipType(t & 7);
    }
  }
  return e;
}

/** KafkaMessage { int64 offset = 1; int64 timestamp = 2; bytes key = 3; bytes value = 4; repeated KafkaHeader headers = 5; } */
function message(r: ReaderT, end: number): Message {
  let offset = 0n;
  let timestamp = 0n;
  let k: Uint8Array = EMPTY;
  let v: Uint8Array = EMPTY;
  const headers: Header[] = [];
  while (r.pos < end) {
    const t = r.uint32();
    switch (t) {
      case key(1, VARINT): offset = readInt64(r); break;
      case key(2, VARINT): timestamp = readInt64(r); break;
      case key(3, LEN): k = r.bytes(); break;
      case key(4, LEN): v = r.bytes(); break;
      case key(5, LEN): headers.push(header(r, r.uint32() + r.pos)); break;
      default: r.skipType(t & 7);
    }
  }
  return new KafkaMessage(offset, timestamp, k, v, headers);
}

/** KafkaHeader { string key = 1; optional bytes value = 2; } — absent value is a null header value. */
function header(r: ReaderT, end: number): Header {
  let k = '';
  let v: Uint8Array | null = null;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === key(1, LEN)) k = r.string();
    else if (t === key(2, LEN)) v = r.bytes();
    else r.skipType(t & 7);
  }
  return new KafkaHeader(k, v);
}

/**
 * A varint int64 read straight from the reader's buffer as an exact bigint. protobufjs's own
 * int64() goes through a Long class or a lossy number; this needs neither.
 */
function readInt64(r: ReaderT): bigint {
  const buf = r.buf;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.len) throw new RangeError(`index out of range: ${r.pos} + 1 > ${r.len}`);
    const b = buf[r.pos++]!;
    const bits = b & 0x7f;
    if (i < 4) lo += bits * 2 ** (7 * i);
    else if (i === 4) {
      lo += (bits & 0x0f) * 2 ** 28;
      hi += bits >> 4;
    } else hi += bits * 2 ** (7 * i - 32);
    if (b < 0x80) return bigintFromBits(lo >>> 0, hi % 4294967296);
  }
  throw new Error('invalid varint encoding');
}

const EMPTY = new Uint8Array(0);
