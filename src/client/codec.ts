import protobuf from 'protobufjs/light.js';
import { ensureLong, toBigInt, toLongBits } from './int64.js';
import { KafkaHeader, KafkaMessage, type FetchResult, type Header, type Message } from './message.js';
import { PUBSUB_DESCRIPTOR } from './schema.js';

// Before the schema is loaded: Field decides in its constructor whether int64 fields are longs.
ensureLong(protobuf);

const root = protobuf.Root.fromJSON(PUBSUB_DESCRIPTOR);
const PubSubReq = root.lookupType('PubSubReq');
const PubSubResp = root.lookupType('PubSubResp');

/** One command of proto/pubsub.proto's PubSubReq oneof, int64 fields as bigint. */
export type Command =
  | { cmdPing: { state: Uint8Array } }
  | { cmdKafkaListOffset: { topic: string; partition: number; timestamp: bigint } }
  | { cmdKafkaFetch: { topic: string; partition: number; offset: bigint } }
  | { cmdEmpty: Record<string, never> };

/** A decoded PubSubResp; `kind` names the oneof member that was set ('none' if it was not). */
export type Reply = { sequence: bigint } & (
  | { kind: 'error'; message: string }
  | { kind: 'pong'; state: Uint8Array }
  | { kind: 'fetch'; result: FetchResult }
  | { kind: 'listOffset'; offset: bigint }
  | { kind: 'none' }
);

/** PubSubReq bytes for `command` with `sequence`. int64 fields go out as `{low, high}` halves. */
export function encodeRequest(sequence: bigint, command: Command): Uint8Array<ArrayBuffer> {
  const body: Record<string, unknown> = { sequence: toLongBits(sequence, 'sequence') };
  if ('cmdKafkaFetch' in command) {
    const c = command.cmdKafkaFetch;
    body['cmdKafkaFetch'] = { topic: c.topic, partition: c.partition, offset: toLongBits(c.offset, 'offset') };
  } else if ('cmdKafkaListOffset' in command) {
    const c = command.cmdKafkaListOffset;
    body['cmdKafkaListOffset'] = { topic: c.topic, partition: c.partition, timestamp: toLongBits(c.timestamp, 'timestamp') };
  } else {
    Object.assign(body, command);
  }
  // Writer.finish() returns a view into a shared slab (util.pool in browsers, Buffer's pool in
  // Node); copy so the socket gets exactly these bytes over an ArrayBuffer of their own.
  return new Uint8Array(PubSubReq.encode(body).finish());
}

/**
 * Decodes one reply frame. protobufjs leaves absent fields at prototype defaults: bytes as an
 * empty array, int64 as 0 or a zero Long, optional bytes as null.
 * @throws Error from protobufjs when the frame is not a PubSubResp.
 */
export function decodeReply(frame: Uint8Array): Reply {
  const m = PubSubResp.decode(frame) as unknown as Record<string, unknown>;
  const sequence = toBigInt(m['sequence']);
  switch (m['resp']) {
    case 'errorResp':
      return { sequence, kind: 'error', message: str(field(m, 'errorResp')['message']) };
    case 'pongResp':
      return { sequence, kind: 'pong', state: bytes(field(m, 'pongResp')['state']) };
    case 'kafkaListOffsetResp':
      return { sequence, kind: 'listOffset', offset: toBigInt(field(m, 'kafkaListOffsetResp')['offset']) };
    case 'kafkaFetchResp':
      return { sequence, kind: 'fetch', result: fetchResult(field(m, 'kafkaFetchResp')) };
    default:
      return { sequence, kind: 'none' };
  }
}

function fetchResult(f: Record<string, unknown>): FetchResult {
  const list = Array.isArray(f['messages']) ? (f['messages'] as unknown[]) : [];
  const messages: Message[] = new Array<Message>(list.length);
  for (let i = 0; i < list.length; i++) {
    const r = list[i] as Record<string, unknown>;
    const hs = Array.isArray(r['headers']) ? (r['headers'] as unknown[]) : [];
    const headers: Header[] = new Array<Header>(hs.length);
    for (let j = 0; j < hs.length; j++) {
      const h = hs[j] as Record<string, unknown>;
      // `optional bytes value`: absent (null) is a null header value, present-but-empty is "".
      headers[j] = new KafkaHeader(str(h['key']), h['value'] === null || h['value'] === undefined ? null : bytes(h['value']));
    }
    messages[i] = new KafkaMessage(toBigInt(r['offset']), toBigInt(r['timestamp']), bytes(r['key']), bytes(r['value']), headers);
  }
  return { messages, highWatermark: toBigInt(f['highWatermark']), logStartOffset: toBigInt(f['logStartOffset']) };
}

function field(m: Record<string, unknown>, name: string): Record<string, unknown> {
  const v = m[name];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

const EMPTY = new Uint8Array(0);

function bytes(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : EMPTY;
}
