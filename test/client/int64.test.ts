import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeReply, encodeRequest } from '../../src/client/codec.js';
import { bigintFromBits, toBigInt, toLongBits } from '../../src/client/int64.js';
import { PubSubReq, encodeResp } from '../support/pubsub-proto.js';
import { Rng } from '../support/random.js';

const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);
const EDGES = [0n, 1n, -1n, -2n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, MAX, MAX - 1n, MIN, MIN + 1n];
const rng = new Rng(63);
const VALUES = [...EDGES, ...Array.from({ length: 200 }, () => rng.int64())];

test('toLongBits and bigintFromBits are inverse over the int64 range', () => {
  for (const v of VALUES) {
    const { low, high, unsigned } = toLongBits(v, 'v');
    assert.equal(unsigned, false);
    assert.ok(Number.isInteger(low) && low >= -(2 ** 31) && low < 2 ** 31, `low of ${v}`);
    assert.ok(Number.isInteger(high) && high >= -(2 ** 31) && high < 2 ** 31, `high of ${v}`);
    assert.equal(bigintFromBits(low, high), v);
    assert.equal(toBigInt({ low, high, unsigned: false }), v);
  }
  assert.equal(bigintFromBits(-1, -1, true), 2n ** 64n - 1n);
});

test('toLongBits refuses values outside int64 and unsafe numbers', () => {
  assert.throws(() => toLongBits(MAX + 1n, 'offset'), RangeError);
  assert.throws(() => toLongBits(MIN - 1n, 'offset'), RangeError);
  assert.throws(() => toLongBits(2 ** 53, 'offset'), RangeError);
  assert.throws(() => toLongBits(1.5, 'offset'), RangeError);
  assert.deepEqual(toLongBits(-2, 't'), { low: -2, high: -1, unsigned: false });
});

test('requests encode int64 exactly (checked with an independent protobufjs decode)', () => {
  for (const v of VALUES) {
    const fetch = PubSubReq.toObject(PubSubReq.decode(encodeRequest(v, { cmdKafkaFetch: { topic: 't', partition: 3, offset: v } })), { longs: String, defaults: true });
    assert.deepEqual(fetch, { sequence: v.toString(), cmdKafkaFetch: { topic: 't', partition: 3, offset: v.toString() } });
    const list = PubSubReq.toObject(PubSubReq.decode(encodeRequest(1n, { cmdKafkaListOffset: { topic: 't', partition: 0, timestamp: v } })), { longs: String, defaults: true });
    assert.equal((list['cmdKafkaListOffset'] as { timestamp: string }).timestamp, v.toString());
  }
});

test('replies decode int64 exactly: sequence, offsets, timestamps, high watermark, log start', () => {
  for (const v of VALUES) {
    const s = v.toString();
    const fetch = decodeReply(encodeResp({ sequence: s, kafkaFetchResp: { messages: [{ offset: s, timestamp: s, key: Buffer.from('k'), value: Buffer.from('v') }], highWatermark: s, logStartOffset: s } }));
    assert.equal(fetch.sequence, v);
    assert.equal(fetch.kind, 'fetch');
    if (fetch.kind !== 'fetch') return;
    assert.equal(fetch.result.messages[0]?.offset, v);
    assert.equal(fetch.result.messages[0]?.timestamp, v);
    assert.equal(fetch.result.highWatermark, v);
    assert.equal(fetch.result.logStartOffset, v);
    const list = decodeReply(encodeResp({ sequence: '1', kafkaListOffsetResp: { offset: s } }));
    assert.deepEqual(list, { sequence: 1n, kind: 'listOffset', offset: v });
  }
});

test('absent fields decode to zero / empty, null headers stay null, empty ones stay empty', () => {
  const r = decodeReply(encodeResp({ kafkaFetchResp: { messages: [{ headers: [{ key: 'n' }, { key: 'e', value: Buffer.alloc(0) }, { key: 'x', value: Buffer.from('yz') }] }] } }));
  assert.equal(r.sequence, 0n);
  assert.equal(r.kind, 'fetch');
  if (r.kind !== 'fetch') return;
  const m = r.result.messages[0]!;
  assert.equal(m.offset, 0n);
  assert.ok(m.key instanceof Uint8Array && m.key.length === 0);
  assert.equal(m.valueText(), '');
  assert.deepEqual(m.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString(), h.text()]), [['n', null, null], ['e', '', ''], ['x', 'yz', 'yz']]);
  assert.equal(r.result.highWatermark, 0n);
  assert.deepEqual(decodeReply(encodeResp({ sequence: '9' })), { sequence: 9n, kind: 'none' });
});
