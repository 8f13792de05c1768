import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTransientServerError } from '../../src/client/errors.js';
import { ClientClosedError, ConnectionError, ProtocolError, PubSubClientError, RequestTimeoutError, ServerError } from '../../src/client/index.js';

test("ServerError parses APISIX's fetch and list offset texts", () => {
  const f = new ServerError('failed to fetch message, topic: orders.v1, partition: 7, err: OFFSET_OUT_OF_RANGE');
  assert.equal(f.code, 'KWP_CLIENT_ERR_SERVER');
  assert.equal(f.serverMessage, 'failed to fetch message, topic: orders.v1, partition: 7, err: OFFSET_OUT_OF_RANGE');
  assert.equal(f.message, f.serverMessage);
  assert.deepEqual([f.topic, f.partition, f.reason], ['orders.v1', 7, 'OFFSET_OUT_OF_RANGE']);
  const l = new ServerError('failed to list offset, topic: no-such-topic, partition: -1, err: not found partition');
  assert.deepEqual([l.topic, l.partition, l.reason], ['no-such-topic', -1, 'not found partition']);
  // The reason may itself contain commas and colons.
  const big = new ServerError("failed to fetch message, topic: t, partition: 0, err: record at offset 5 needs 2000000 bytes, more than the route's max_frame_bytes 1048576");
  assert.equal(big.reason, "record at offset 5 needs 2000000 bytes, more than the route's max_frame_bytes 1048576");
  assert.equal(big.partition, 0);
});

test('other server texts keep the whole message as the reason', () => {
  for (const text of ['wrong command', 'unknown command', 'too many commands in flight (limit 64)']) {
    const e = new ServerError(text);
    assert.deepEqual([e.topic, e.partition, e.reason], [undefined, undefined, text]);
  }
});

test('transient reasons are retried by consume, the others are not', () => {
  const at = (err: string) => new ServerError(`failed to fetch message, topic: t, partition: 0, err: ${err}`);
  for (const r of ['not found topic', 'REQUEST_TIMED_OUT', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'NOT_ENOUGH_REPLICAS', 'KAFKA_STORAGE_ERROR']) {
    assert.equal(isTransientServerError(at(r)), true, r);
  }
  assert.equal(isTransientServerError(new ServerError('too many commands in flight (limit 64)')), true);
  for (const r of ['OFFSET_OUT_OF_RANGE', 'not found partition', 'topic not allowed', 'SASL_AUTHENTICATION_FAILED', 'record at offset 1 needs 9 bytes, more than the route\'s max_frame_bytes 8']) {
    assert.equal(isTransientServerError(at(r)), false, r);
  }
  assert.equal(isTransientServerError(new ServerError('wrong command')), false);
});

test('every error class has its stable code and the common base', () => {
  const all: Array<[PubSubClientError, string]> = [
    [new ServerError('x'), 'KWP_CLIENT_ERR_SERVER'],
    [new RequestTimeoutError('fetch', 5), 'KWP_CLIENT_ERR_TIMEOUT'],
    [new ConnectionError('closed', 1006, 'gone'), 'KWP_CLIENT_ERR_CONNECTION'],
    [new ClientClosedError(), 'KWP_CLIENT_ERR_CLOSED'],
    [new ProtocolError('odd'), 'KWP_CLIENT_ERR_PROTOCOL'],
  ];
  for (const [e, code] of all) {
    assert.equal(e.code, code);
    assert.ok(e instanceof PubSubClientError && e instanceof Error);
    assert.equal(e.name, e.constructor.name);
  }
  const c = all[2]![0] as ConnectionError;
  assert.deepEqual([c.closeCode, c.closeReason], [1006, 'gone']);
});
