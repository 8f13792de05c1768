import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecordBatch, readBatches } from '../../src/kafka-wire/index.js';
import { FramePool, MIN_POOLED, Session, type FetchBatch, type PubSubBackend, type SessionChannel } from '../../src/pubsub/index.js';
import { decodeResp, encodeReq } from '../support/pubsub-proto.js';

test('large frames are views of size-class buffers, reused after release', () => {
  const pool = new FramePool();
  const a = pool.take(100_000);
  assert.equal(a.length, 100_000);
  assert.equal(a.buffer.byteLength, 106_496, '13 × 8 KiB: the class above 100,000');
  pool.release(a);
  assert.equal(pool.pooledBytes, 106_496);
  const b = pool.take(105_000);
  assert.equal(b.buffer, a.buffer, 'same memory, same capacity class');
  assert.equal(pool.pooledBytes, 0);
  const c = pool.take(120_000);
  assert.notEqual(c.buffer, b.buffer, 'in-use memory is never handed out twice');
});

test('small frames, foreign buffers and second releases are ignored; free memory is capped', () => {
  const pool = new FramePool(300_000);
  const small = pool.take(MIN_POOLED - 1);
  pool.release(small);
  pool.release(Buffer.allocUnsafeSlow(1 << 17));
  assert.equal(pool.pooledBytes, 0);
  const a = pool.take(1 << 17);
  pool.release(a);
  pool.release(a);
  assert.equal(pool.pooledBytes, 1 << 17, 'released once only');
  const [x, y, z] = [pool.take(1 << 17), pool.take(1 << 17), pool.take(1 << 17)];
  for (const f of [x, y, z]) pool.release(f);
  assert.equal(pool.pooledBytes, 2 << 17, 'a third free buffer would pass the 300,000-byte cap');
});

class OneFetch implements PubSubBackend {
  listOffset(): Promise<bigint> {
    return Promise.resolve(0n);
  }
  fetch(): Promise<FetchBatch> {
    const { batches } = readBatches(encodeRecordBatch({ records: Array.from({ length: 100 }, () => ({ value: Buffer.alloc(1000, 7) })) }));
    return Promise.resolve({ batches, fromOffset: 0n, highWatermark: 100n, logStartOffset: 0n });
  }
  describeError(): string {
    return 'x';
  }
}

test('a session returns a fetch frame to its pool only when the channel reports it written', async () => {
  const pool = new FramePool();
  const frames: Buffer[] = [];
  const done: Array<() => void> = [];
  const channel: SessionChannel = { send: (f, d) => { frames.push(f); done.push(d); }, push() {}, unsentBytes: 0, takenBytes: 0, onTaken() {}, close() {}, pause() {}, resume() {} };
  const s = new Session(channel, { backend: new OneFetch(), framePool: pool });
  s.onMessage(encodeReq({ sequence: '1', cmdKafkaFetch: { topic: 't', partition: 0, offset: '0' } }), true);
  await new Promise((r) => setImmediate(r));
  assert.equal(frames.length, 1);
  assert.ok(frames[0]!.length >= MIN_POOLED);
  assert.equal(decodeResp(frames[0]!).kafkaFetchResp?.messages?.length, 100, 'the frame is intact while unsent');
  assert.equal(pool.pooledBytes, 0);
  done[0]!();
  assert.equal(pool.pooledBytes, frames[0]!.buffer.byteLength);
});

test('the session empties a fetch\'s batches once they are in the frame (no old promise keeps them alive)', async () => {
  const backend = new OneFetch();
  let batch: FetchBatch | undefined;
  const fetch = backend.fetch.bind(backend);
  backend.fetch = async () => (batch = await fetch());
  const frames: Buffer[] = [];
  const s = new Session({ send: (f, d) => { frames.push(f); d(); }, push() {}, unsentBytes: 0, takenBytes: 0, onTaken() {}, close() {}, pause() {}, resume() {} }, { backend });
  s.onMessage(encodeReq({ sequence: '1', cmdKafkaFetch: { topic: 't', partition: 0, offset: '0' } }), true);
  await new Promise((r) => setImmediate(r));
  assert.equal(decodeResp(frames[0]!).kafkaFetchResp?.messages?.length, 100);
  assert.equal(batch?.batches.length, 0);
});
