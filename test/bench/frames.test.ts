import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFetch, encodePing, scanReply } from '../../bench/e2e/frames.js';
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
