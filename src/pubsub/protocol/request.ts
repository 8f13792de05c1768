import { FrameDecodeError } from '../errors.js';
import { COMMANDS } from './commands.js';
import { LEN, VARINT, WireReader } from './wire-reader.js';

/**
 * One PubSubReq, decoded. `command` is undefined when the request carries none of the oneof
 * members (APISIX answers nothing then, and neither do we).
 *
 *   message PubSubReq {
 *     int64 sequence = 1;
 *     oneof req { CmdEmpty cmd_empty = 31; CmdPing cmd_ping = 32;
 *                 CmdKafkaFetch cmd_kafka_fetch = 33; CmdKafkaListOffset cmd_kafka_list_offset = 34; }
 *   }
 */
export interface PubSubRequest {
  sequence: bigint;
  command: Command | undefined;
}

/** Where a subscription starts (proto enum SubscribeStart). */
export type SubscribeStart = 'latest' | 'earliest' | 'timestamp' | 'cursor';
/** What a subscription does when a partition's position is not on the log (proto enum OutOfRange). */
export type OutOfRangePolicy = 'end' | 'earliest' | 'latest';

export interface SubscribeCommand {
  type: 'subscribe';
  subscription: number;
  topic: string;
  /** Empty: every partition. Duplicates are kept here; the session refuses them. */
  partitions: number[];
  start: SubscribeStart;
  timestamp: bigint;
  /** Next offset by partition, with start 'cursor'. */
  cursor: Map<number, bigint>;
  /** 0: the route's default. */
  credit: bigint;
  outOfRange: OutOfRangePolicy;
}

/** A record to write, as CmdProduce carries it: key, value and header values are views of the frame. */
export interface ProduceRecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
  /** Milliseconds since the epoch; undefined: the time the proxy takes the record. */
  timestamp: bigint | undefined;
}

export interface ProduceCommand {
  type: 'produce';
  topic: string;
  /** undefined: the default partitioner. */
  partition: number | undefined;
  records: ProduceRecordInput[];
  /** '' for none. */
  idempotencyKey: string;
  /**
   * What the command holds while it is in flight: the frame its records are views of, plus
   * RECORD_HELD_BYTES per record and HEADER_HELD_BYTES per header for the objects decoded from it.
   */
  bytes: number;
}

/*
 * Heap a decoded record takes beside its bytes in the frame (its object, its headers array, the
 * key and value views), and a decoded header (its object, key string, value view); measured on
 * Node 20 at about 290 and 170 bytes. Counted so that a command of many tiny records, whose
 * objects weigh many times its frame, is bounded by max_produce_bytes like any other.
 */
export const RECORD_HELD_BYTES = 300;
export const HEADER_HELD_BYTES = 170;

/** One member per row of COMMANDS (commands.ts), `type` being the row's name. */
export type Command =
  | { type: 'empty' }
  | { type: 'ping'; state: Buffer }
  | { type: 'fetch'; topic: string; partition: number; offset: bigint }
  | { type: 'list_offset'; topic: string; partition: number; timestamp: bigint }
  | SubscribeCommand
  | { type: 'unsubscribe'; subscription: number }
  | { type: 'credit'; subscription: number; bytes: bigint }
  | ProduceCommand
  | { type: 'authenticate'; token: string }
  | GroupCommand;

/** cmd_commit_offsets and cmd_fetch_committed. Partitions repeated in a command are refused by the session. */
export type GroupCommand =
  | { type: 'commit_offsets'; group: string; topic: string; partition?: undefined; offsets: Array<{ partition: number; offset: bigint }> }
  | { type: 'fetch_committed'; group: string; topic: string; partition?: undefined; partitions: number[] };
// Fails to compile when a row of COMMANDS has no member here, or a member no row.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const commandsMatchTable: Same<Command['type'], keyof typeof COMMANDS> = true;
void commandsMatchTable;

const SEQUENCE = 1;
const CMD_EMPTY = COMMANDS.empty.requestField;
const CMD_PING = COMMANDS.ping.requestField;
const CMD_KAFKA_FETCH = COMMANDS.fetch.requestField;
const CMD_KAFKA_LIST_OFFSET = COMMANDS.list_offset.requestField;
const CMD_SUBSCRIBE = COMMANDS.subscribe.requestField;
const CMD_UNSUBSCRIBE = COMMANDS.unsubscribe.requestField;
const CMD_CREDIT = COMMANDS.credit.requestField;
const CMD_PRODUCE = COMMANDS.produce.requestField;
const CMD_AUTHENTICATE = COMMANDS.authenticate.requestField;
const CMD_COMMIT_OFFSETS = COMMANDS.commit_offsets.requestField;
const CMD_FETCH_COMMITTED = COMMANDS.fetch_committed.requestField;

// Proto enum values, in their declaration order (proto/pubsub.proto). An unknown value (a newer
// client) is an error rather than a guess.
const STARTS: readonly SubscribeStart[] = ['latest', 'earliest', 'timestamp', 'cursor'];
const OUT_OF_RANGE: readonly OutOfRangePolicy[] = ['end', 'earliest', 'latest'];

/**
 * Decodes a binary WebSocket frame. Unknown fields are skipped; when several oneof members appear
 * the last wins, as protobuf specifies. A known field with the wrong wire type is an error rather
 * than a guess. `state` of a ping is a view of `frame`, not a copy. Once a produce command's
 * `bytes` pass `maxProduceBytes` its remaining records and headers are counted but not decoded:
 * the session refuses such a command, and a frame of tiny records must not cost its weight in
 * objects first.
 *
 * @throws FrameDecodeError (`PUBSUB_ERR_DECODE`) for anything that is not a valid PubSubReq.
 */
export function decodeRequest(frame: Buffer, maxProduceBytes = Infinity): PubSubRequest {
  const r = new WireReader(frame);
  let sequence = 0n;
  let command: Command | undefined;
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const field = key >>> 3;
    const wire = key & 7;
    switch (field) {
      case SEQUENCE:
        expectWire(wire, VARINT, 'sequence', at);
        sequence = r.int64();
        break;
      case CMD_EMPTY: {
        expectWire(wire, LEN, 'cmd_empty', at);
        const [s, e] = r.bytes();
        skipAll(new WireReader(frame, s, e));
        command = { type: 'empty' };
        break;
      }
      case CMD_PING: {
        expectWire(wire, LEN, 'cmd_ping', at);
        const [s, e] = r.bytes();
        command = decodePing(frame, s, e);
        break;
      }
      case CMD_KAFKA_FETCH: {
        expectWire(wire, LEN, 'cmd_kafka_fetch', at);
        const [s, e] = r.bytes();
        const { topic, partition, value } = decodeTopicCommand(frame, s, e, 'offset');
        command = { type: 'fetch', topic, partition, offset: value };
        break;
      }
      case CMD_KAFKA_LIST_OFFSET: {
        expectWire(wire, LEN, 'cmd_kafka_list_offset', at);
        const [s, e] = r.bytes();
        const { topic, partition, value } = decodeTopicCommand(frame, s, e, 'timestamp');
        command = { type: 'list_offset', topic, partition, timestamp: value };
        break;
      }
      case CMD_SUBSCRIBE: {
        expectWire(wire, LEN, 'cmd_subscribe', at);
        const [s, e] = r.bytes();
        command = decodeSubscribe(frame, s, e);
        break;
      }
      case CMD_UNSUBSCRIBE: {
        expectWire(wire, LEN, 'cmd_unsubscribe', at);
        const [s, e] = r.bytes();
        command = { type: 'unsubscribe', subscription: decodeSubscriptionCommand(frame, s, e, 'cmd_unsubscribe').subscription };
        break;
      }
      case CMD_CREDIT: {
        expectWire(wire, LEN, 'cmd_credit', at);
        const [s, e] = r.bytes();
        const { subscription, value } = decodeSubscriptionCommand(frame, s, e, 'cmd_credit');
        command = { type: 'credit', subscription, bytes: value };
        break;
      }
      case CMD_PRODUCE: {
        expectWire(wire, LEN, 'cmd_produce', at);
        const [s, e] = r.bytes();
        command = decodeProduce(frame, s, e, maxProduceBytes);
        break;
      }
      case CMD_AUTHENTICATE: {
        expectWire(wire, LEN, 'cmd_authenticate', at);
        const [s, e] = r.bytes();
        command = { type: 'authenticate', token: decodeAuthenticate(frame, s, e) };
        break;
      }
      case CMD_COMMIT_OFFSETS:
      case CMD_FETCH_COMMITTED: {
        expectWire(wire, LEN, field === CMD_COMMIT_OFFSETS ? 'cmd_commit_offsets' : 'cmd_fetch_committed', at);
        const [s, e] = r.bytes();
        command = decodeGroupCommand(frame, s, e, field === CMD_COMMIT_OFFSETS);
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return { sequence, command };
}

/**
 * message CmdProduce { string topic = 1; optional int32 partition = 2; repeated ProduceRecord records = 3; string idempotency_key = 4; }
 * message ProduceRecord { optional bytes key = 1; optional bytes value = 2; repeated KafkaHeader headers = 3; optional int64 timestamp = 4; }
 * message KafkaHeader { string key = 1; optional bytes value = 2; }
 * Presence is what `optional` gives: an absent key or value is null, an empty one is empty bytes.
 */
function decodeProduce(frame: Buffer, start: number, end: number, maxBytes: number): ProduceCommand {
  const r = new WireReader(frame, start, end);
  const c: ProduceCommand = { type: 'produce', topic: '', partition: undefined, records: [], idempotencyKey: '', bytes: frame.length };
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1: {
        expectWire(wire, LEN, 'cmd_produce.topic', at);
        const [s, e] = r.bytes();
        c.topic = frame.toString('utf8', s, e);
        break;
      }
      case 2:
        expectWire(wire, VARINT, 'cmd_produce.partition', at);
        c.partition = r.int32();
        break;
      case 3: {
        expectWire(wire, LEN, 'cmd_produce.records', at);
        const [s, e] = r.bytes();
        c.bytes += RECORD_HELD_BYTES;
        if (c.bytes <= maxBytes) c.records.push(decodeProduceRecord(frame, s, e, c, maxBytes));
        break;
      }
      case 4: {
        expectWire(wire, LEN, 'cmd_produce.idempotency_key', at);
        const [s, e] = r.bytes();
        c.idempotencyKey = frame.toString('utf8', s, e);
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return c;
}

/** Decodes one record; its headers are counted in `c.bytes`, and past `maxBytes` no longer decoded. */
function decodeProduceRecord(frame: Buffer, start: number, end: number, c: ProduceCommand, maxBytes: number): ProduceRecordInput {
  const r = new WireReader(frame, start, end);
  const rec: ProduceRecordInput = { key: null, value: null, headers: [], timestamp: undefined };
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1: {
        expectWire(wire, LEN, 'record.key', at);
        const [s, e] = r.bytes();
        rec.key = frame.subarray(s, e);
        break;
      }
      case 2: {
        expectWire(wire, LEN, 'record.value', at);
        const [s, e] = r.bytes();
        rec.value = frame.subarray(s, e);
        break;
      }
      case 3: {
        expectWire(wire, LEN, 'record.headers', at);
        const [s, e] = r.bytes();
        c.bytes += HEADER_HELD_BYTES;
        if (c.bytes <= maxBytes) rec.headers.push(decodeHeader(frame, s, e));
        break;
      }
      case 4:
        expectWire(wire, VARINT, 'record.timestamp', at);
        rec.timestamp = r.int64();
        break;
      default:
        r.skip(wire);
    }
  }
  return rec;
}

function decodeHeader(frame: Buffer, start: number, end: number): { key: string; value: Buffer | null } {
  const r = new WireReader(frame, start, end);
  let k = '';
  let value: Buffer | null = null;
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    if (key >>> 3 === 1) {
      expectWire(wire, LEN, 'header.key', at);
      const [s, e] = r.bytes();
      k = frame.toString('utf8', s, e);
    } else if (key >>> 3 === 2) {
      expectWire(wire, LEN, 'header.value', at);
      const [s, e] = r.bytes();
      value = frame.subarray(s, e);
    } else r.skip(wire);
  }
  return { key: k, value };
}

/**
 * message CmdSubscribe { uint32 subscription = 1; string topic = 2; repeated int32 partitions = 3;
 *   SubscribeStart start = 4; int64 timestamp = 5; repeated PartitionOffset cursor = 6;
 *   int64 credit = 7; OutOfRange out_of_range = 8; }
 * message PartitionOffset { int32 partition = 1; int64 offset = 2; }
 * `partitions` is accepted packed (proto3's default) and unpacked, as protobuf requires.
 */
function decodeSubscribe(frame: Buffer, start: number, end: number): SubscribeCommand {
  const r = new WireReader(frame, start, end);
  const c: SubscribeCommand = {
    type: 'subscribe', subscription: 0, topic: '', partitions: [], start: 'latest', timestamp: 0n, cursor: new Map(), credit: 0n, outOfRange: 'end',
  };
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1:
        expectWire(wire, VARINT, 'cmd_subscribe.subscription', at);
        c.subscription = r.uint32();
        break;
      case 2: {
        expectWire(wire, LEN, 'cmd_subscribe.topic', at);
        const [s, e] = r.bytes();
        c.topic = frame.toString('utf8', s, e);
        break;
      }
      case 3:
        if (wire === LEN) {
          const [s, e] = r.bytes();
          const packed = new WireReader(frame, s, e);
          while (!packed.done) c.partitions.push(packed.int32());
        } else {
          expectWire(wire, VARINT, 'cmd_subscribe.partitions', at);
          c.partitions.push(r.int32());
        }
        break;
      case 4:
        expectWire(wire, VARINT, 'cmd_subscribe.start', at);
        c.start = enumValue(STARTS, r.int32(), 'cmd_subscribe.start', at);
        break;
      case 5:
        expectWire(wire, VARINT, 'cmd_subscribe.timestamp', at);
        c.timestamp = r.int64();
        break;
      case 6: {
        expectWire(wire, LEN, 'cmd_subscribe.cursor', at);
        const [s, e] = r.bytes();
        const { partition, value } = decodePartitionOffset(frame, s, e);
        c.cursor.set(partition, value);
        break;
      }
      case 7:
        expectWire(wire, VARINT, 'cmd_subscribe.credit', at);
        c.credit = r.int64();
        break;
      case 8:
        expectWire(wire, VARINT, 'cmd_subscribe.out_of_range', at);
        c.outOfRange = enumValue(OUT_OF_RANGE, r.int32(), 'cmd_subscribe.out_of_range', at);
        break;
      default:
        r.skip(wire);
    }
  }
  return c;
}

/** message PartitionOffset { int32 partition = 1; int64 offset = 2; } */
function decodePartitionOffset(frame: Buffer, start: number, end: number): { partition: number; value: bigint } {
  const r = new WireReader(frame, start, end);
  let partition = 0;
  let value = 0n;
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    if (key >>> 3 === 1) {
      expectWire(wire, VARINT, 'partition', at);
      partition = r.int32();
    } else if (key >>> 3 === 2) {
      expectWire(wire, VARINT, 'offset', at);
      value = r.int64();
    } else r.skip(wire);
  }
  return { partition, value };
}

/**
 * message CmdUnsubscribe { uint32 subscription = 1; }
 * message CmdCredit      { uint32 subscription = 1; int64 bytes = 2; }
 */
function decodeSubscriptionCommand(frame: Buffer, start: number, end: number, name: string): { subscription: number; value: bigint } {
  const r = new WireReader(frame, start, end);
  let subscription = 0;
  let value = 0n;
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    if (key >>> 3 === 1) {
      expectWire(wire, VARINT, `${name}.subscription`, at);
      subscription = r.uint32();
    } else if (key >>> 3 === 2) {
      expectWire(wire, VARINT, `${name}.bytes`, at);
      value = r.int64();
    } else r.skip(wire);
  }
  return { subscription, value };
}

/**
 * message CmdAuthenticate { string token = 1; }
 * A token is ASCII (a JWS compact form); one that is not is left for the verifier to refuse.
 */
function decodeAuthenticate(frame: Buffer, start: number, end: number): string {
  const r = new WireReader(frame, start, end);
  let token = '';
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    if (key >>> 3 === 1) {
      expectWire(wire, LEN, 'cmd_authenticate.token', at);
      const [s, e] = r.bytes();
      token = frame.toString('latin1', s, e);
    } else r.skip(wire);
  }
  return token;
}

/**
 * message CmdCommitOffsets { string group = 1; string topic = 2; repeated PartitionOffset offsets = 3; }
 * message CmdFetchCommitted { string group = 1; string topic = 2; repeated int32 partitions = 3; }
 */
function decodeGroupCommand(frame: Buffer, start: number, end: number, commit: boolean): GroupCommand {
  const name = commit ? 'cmd_commit_offsets' : 'cmd_fetch_committed';
  const r = new WireReader(frame, start, end);
  let group = '';
  let topic = '';
  const offsets: Array<{ partition: number; offset: bigint }> = [];
  const partitions: number[] = [];
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1: {
        expectWire(wire, LEN, `${name}.group`, at);
        const [s, e] = r.bytes();
        group = frame.toString('utf8', s, e);
        break;
      }
      case 2: {
        expectWire(wire, LEN, `${name}.topic`, at);
        const [s, e] = r.bytes();
        topic = frame.toString('utf8', s, e);
        break;
      }
      case 3:
        if (commit) {
          expectWire(wire, LEN, `${name}.offsets`, at);
          const [s, e] = r.bytes();
          const { partition, value } = decodePartitionOffset(frame, s, e);
          offsets.push({ partition, offset: value });
        } else if (wire === LEN) {
          const [s, e] = r.bytes();
          const packed = new WireReader(frame, s, e);
          while (!packed.done) partitions.push(packed.int32());
        } else {
          expectWire(wire, VARINT, `${name}.partitions`, at);
          partitions.push(r.int32());
        }
        break;
      default:
        r.skip(wire);
    }
  }
  return commit ? { type: 'commit_offsets', group, topic, offsets } : { type: 'fetch_committed', group, topic, partitions };
}

function enumValue<T>(values: readonly T[], n: number, field: string, at: number): T {
  const v = values[n];
  if (v === undefined) throw new FrameDecodeError(`field ${field} has unknown value ${n}`, at);
  return v;
}

/** message CmdPing { bytes state = 1; } */
function decodePing(frame: Buffer, start: number, end: number): Command {
  const r = new WireReader(frame, start, end);
  let state = frame.subarray(0, 0);
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    if (key >>> 3 === 1) {
      expectWire(key & 7, LEN, 'cmd_ping.state', at);
      const [s, e] = r.bytes();
      state = frame.subarray(s, e);
    } else r.skip(key & 7);
  }
  return { type: 'ping', state };
}

/**
 * message CmdKafkaFetch      { string topic = 1; int32 partition = 2; int64 offset = 3; }
 * message CmdKafkaListOffset { string topic = 1; int32 partition = 2; int64 timestamp = 3; }
 */
function decodeTopicCommand(frame: Buffer, start: number, end: number, third: string): { topic: string; partition: number; value: bigint } {
  const r = new WireReader(frame, start, end);
  let topic = '';
  let partition = 0;
  let value = 0n;
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1: {
        expectWire(wire, LEN, 'topic', at);
        const [s, e] = r.bytes();
        topic = frame.toString('utf8', s, e);
        break;
      }
      case 2:
        expectWire(wire, VARINT, 'partition', at);
        partition = r.int32();
        break;
      case 3:
        expectWire(wire, VARINT, third, at);
        value = r.int64();
        break;
      default:
        r.skip(wire);
    }
  }
  return { topic, partition, value };
}

function skipAll(r: WireReader): void {
  while (!r.done) r.skip(r.key() & 7);
}

function expectWire(actual: number, expected: number, field: string, at: number): void {
  if (actual !== expected) throw new FrameDecodeError(`field ${field} has wire type ${actual}, expected ${expected}`, at);
}
