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

/** One member per row of COMMANDS (commands.ts), `type` being the row's name. */
export type Command =
  | { type: 'empty' }
  | { type: 'ping'; state: Buffer }
  | { type: 'fetch'; topic: string; partition: number; offset: bigint }
  | { type: 'list_offset'; topic: string; partition: number; timestamp: bigint };
// Fails to compile when a row of COMMANDS has no member here, or a member no row.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const commandsMatchTable: Same<Command['type'], keyof typeof COMMANDS> = true;
void commandsMatchTable;

const SEQUENCE = 1;
const CMD_EMPTY = COMMANDS.empty.requestField;
const CMD_PING = COMMANDS.ping.requestField;
const CMD_KAFKA_FETCH = COMMANDS.fetch.requestField;
const CMD_KAFKA_LIST_OFFSET = COMMANDS.list_offset.requestField;

/**
 * Decodes a binary WebSocket frame. Unknown fields are skipped; when several oneof members appear
 * the last wins, as protobuf specifies. A known field with the wrong wire type is an error rather
 * than a guess. `state` of a ping is a view of `frame`, not a copy.
 *
 * @throws FrameDecodeError (`PUBSUB_ERR_DECODE`) for anything that is not a valid PubSubReq.
 */
export function decodeRequest(frame: Buffer): PubSubRequest {
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
      default:
        r.skip(wire);
    }
  }
  return { sequence, command };
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
