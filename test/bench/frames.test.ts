import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCredit, encodeFetch, encodePing, encodeSubscribe, encodeUnsubscribe, leadingNumber, scanReply } from '../../bench/e2e/frames.js';
import { encodeResp, PubSubReq } from '../support/pubsub-proto.js';

/*
 * The benchmark clients' side of the PubSub protocol (bench/e2e/frames.ts) against protobufjs: a
 * benchmark that misreads a reply reports wrong numbers or, as the isolation flood did, dies on a
 * pong with state.
 */

test('scanReply walks past length-delimited fields it does not read (a pong with state, record headers)', () => {
  const pong = scanReply(encodeResp({ sequence: 33, pongResp: { state: Buffer.from('0bc10bc87e97011a919598', 'hex') } }));
  assert.equal(pong.kind, 'pong');
  assert.equal(pong.sequence, 33);

  const key = Buffer.from('k1');
  const value = Buffer.from('value-1');
  const fetch = scanReply(encodeResp({
    sequence: 5,
    kafkaFetchResp: {
      messages: [
        { offset: 7, timestamp: 1, key, value, headers: [{ key: 'trace-id', value: Buffer.from('abc') }] },
        { offset: 8, timestamp: 2, key, value, headers: [{ key: 'a', value: Buffer.from('b') }, { key: 'c' }] },
      ],
      highWatermark: 9,
    },
  }));
  assert.equal(fetch.kind, 'fetch');
  assert.equal(fetch.sequence, 5);
  assert.equal(fetch.messages, 2);
  assert.equal(fetch.lastOffset, 8);
  assert.equal(fetch.payloadBytes, 2 * (key.length + value.length));
  assert.equal(fetch.highWatermark, 9);
});

test('encodePing is a PubSubReq with cmd_ping, state or none', () => {
  const withState = PubSubReq.toObject(PubSubReq.decode(encodePing(2 ** 40 + 3, Buffer.from('xyz'))), { longs: String, bytes: Buffer }) as { sequence: string; cmdPing: { state?: Buffer } };
  assert.equal(withState.sequence, String(2 ** 40 + 3));
  assert.deepEqual(withState.cmdPing.state, Buffer.from('xyz'));
  const empty = PubSubReq.toObject(PubSubReq.decode(encodePing(1, Buffer.alloc(0))), { longs: String, bytes: Buffer }) as { sequence: string; cmdPing?: object };
  assert.equal(empty.sequence, '1');
  assert.ok(empty.cmdPing !== undefined, 'an empty CmdPing is still present');
});

test('encodeFetch round-trips through protobufjs', () => {
  const req = PubSubReq.toObject(PubSubReq.decode(encodeFetch(12, Buffer.from('t'), 3, 4567)), { longs: String }) as { sequence: string; cmdKafkaFetch: { topic: string; partition: number; offset: string } };
  assert.deepEqual(req, { sequence: '12', cmdKafkaFetch: { topic: 't', partition: 3, offset: '4567' } });
});

test('encodeSubscribe, encodeUnsubscribe and encodeCredit round-trip through protobufjs', () => {
  const opts = { longs: String, enums: String, defaults: false };
  const sub = PubSubReq.toObject(PubSubReq.decode(encodeSubscribe(3, 1, Buffer.from('bench-fanout-12p'), 1048576)), opts);
  // start LATEST and every partition are the defaults, so not on the wire.
  assert.deepEqual(sub, { sequence: '3', cmdSubscribe: { subscription: 1, topic: 'bench-fanout-12p', credit: '1048576' } });
  const unsub = PubSubReq.toObject(PubSubReq.decode(encodeUnsubscribe(2 ** 33, 7)), opts);
  assert.deepEqual(unsub, { sequence: String(2 ** 33), cmdUnsubscribe: { subscription: 7 } });
  const credit = PubSubReq.toObject(PubSubReq.decode(encodeCredit(4, 1, 524288)), opts);
  assert.deepEqual(credit, { sequence: '4', cmdCredit: { subscription: 1, bytes: '524288' } });
});

test('scanReply reads pushes (messages, values, high watermark), subscribe replies and subscription ends', () => {
  const values: string[] = [];
  const push = scanReply(encodeResp({
    kafkaRecordsPush: {
      subscription: 1, partition: 11, highWatermark: 42, nextOffset: 42,
      messages: [
        { offset: 40, timestamp: 1, key: Buffer.from('k'), value: Buffer.from('1700000000123456....'), headers: [{ key: 'h', value: Buffer.from('v') }] },
        { offset: 41, timestamp: 2, value: Buffer.from('1700000000123999....') },
      ],
    },
  }), (b, start, end) => values.push(b.toString('latin1', start, end)));
  assert.equal(push.kind, 'push');
  assert.equal(push.sequence, 0);
  assert.equal(push.messages, 2);
  assert.equal(push.lastOffset, 41);
  assert.equal(push.firstOffset, 40);
  assert.equal(push.partition, 11);
  assert.equal(push.highWatermark, 42);
  assert.equal(push.payloadBytes, 1 + 20 + 20);
  assert.deepEqual(values, ['1700000000123456....', '1700000000123999....']);

  const subscribed = scanReply(encodeResp({ sequence: 9, subscribeResp: { subscription: 1, start: [{ partition: 3, offset: 5 }], maxFrameBytes: 1048576 } }));
  assert.equal(subscribed.kind, 'subscribed');
  assert.equal(subscribed.sequence, 9);
  const end = scanReply(encodeResp({ subscriptionEnd: { subscription: 1, reason: 'SUBSCRIPTION_END_SLOW_CONSUMER', message: 'slow', cursor: [{ partition: 1, offset: 2 }] } }));
  assert.equal(end.kind, 'end');
  assert.equal(end.error, '5 slow');
});

test('leadingNumber reads the digits before the padding, and nothing past the end given', () => {
  const b = Buffer.from('x1733600000123456.....');
  assert.equal(leadingNumber(b, 1, b.length), 1733600000123456);
  assert.equal(leadingNumber(b, 1, 5), 1733);
  assert.equal(leadingNumber(b, 0, b.length), 0);
});
