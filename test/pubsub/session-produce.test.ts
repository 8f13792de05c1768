import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Session, type FetchBatch, type ProduceOutcome, type PubSubBackend } from '../../src/pubsub/index.js';
import { RECORD_HELD_BYTES, type ProduceRecordInput } from '../../src/pubsub/protocol/request.js';
import { RecordingChannel } from '../support/session-fakes.js';
import { decodeResp, encodeReq } from '../support/pubsub-proto.js';

/*
 * The session's produce rules with a scripted backend: the per-connection bound on produce bytes
 * held (reading pauses past it and resumes at half), a command over the bound refused, the
 * identity's subject handed to the backend, produce on a backend that does not write.
 */
const tick = () => new Promise((r) => setImmediate(r));

interface Call {
  topic: string;
  records: readonly ProduceRecordInput[];
  idempotencyKey: string;
  subject: string;
  resolve: (o: ProduceOutcome[]) => void;
}

class ProduceBackend implements PubSubBackend {
  readonly calls: Call[] = [];
  listOffset(): Promise<bigint> {
    return Promise.resolve(0n);
  }
  fetch(): Promise<FetchBatch> {
    return Promise.reject(new Error('not in these tests'));
  }
  produce(topic: string, _partition: number | undefined, records: readonly ProduceRecordInput[], idempotencyKey: string, subject: string): Promise<ProduceOutcome[]> {
    return new Promise((resolve) => this.calls.push({ topic, records, idempotencyKey, subject, resolve }));
  }
  describeError(err: unknown): string {
    return (err as Error).message;
  }
}

const produceReq = (seq: number, valueBytes: number, key = '') => encodeReq({
  sequence: String(seq), cmdProduce: { topic: 't', records: [{ value: Buffer.alloc(valueBytes, 7) }], idempotencyKey: key },
});
/** What one command of one record without headers counts against max_produce_bytes. */
const held = (frame: Buffer) => frame.length + RECORD_HELD_BYTES;
const ack = (c: Call) => c.resolve(c.records.map((_, i) => ({ partition: 0, offset: BigInt(i), timestamp: 5n })));

test('produce bytes held: reading pauses past max_produce_bytes, resumes once half is answered; nothing is refused', async () => {
  const backend = new ProduceBackend();
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend, maxProduceBytes: 10_000, maxRunning: 100 });
  const one = held(produceReq(1, 3000));
  for (let i = 1; i <= 3; i++) s.onMessage(produceReq(i, 3000), true);
  assert.equal(ch.paused, false, `${3 * one} bytes held, under the bound`);
  s.onMessage(produceReq(4, 3000), true);
  assert.equal(s.produceBytes, 4 * one);
  assert.equal(ch.paused, true, 'over the bound: the peer is not read');
  // Frames the socket had read already still arrive, and are served (pacing, not refusal).
  s.onMessage(produceReq(5, 3000), true);
  await tick();
  assert.equal(backend.calls.length, 5);
  for (let i = 0; i < 3; i++) ack(backend.calls[i]!);
  await tick();
  assert.equal(s.produceBytes, 2 * one);
  assert.equal(ch.paused, true, 'under the bound but above half: still paused');
  ack(backend.calls[3]!);
  await tick();
  assert.equal(s.produceBytes, one);
  assert.equal(ch.paused, false, 'at half the bound reading resumes');
  ack(backend.calls[4]!);
  await tick();
  assert.equal(s.produceBytes, 0);
  assert.deepEqual(ch.frames.map((f) => decodeResp(f).resp), Array(5).fill('produceResp'));
});

test('a command larger than max_produce_bytes is refused on its own; the connection goes on', async () => {
  const backend = new ProduceBackend();
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend, maxProduceBytes: 2048 });
  const big = produceReq(1, 4000);
  s.onMessage(big, true);
  s.onMessage(produceReq(2, 10), true);
  await tick();
  assert.equal(backend.calls.length, 1, 'only the small one reached the backend');
  ack(backend.calls[0]!);
  await tick();
  const replies = ch.frames.map((f) => decodeResp(f));
  assert.equal(replies[0]!.errorResp?.message, `failed to produce message, topic: t, partition: -1, err: command too large: ${held(big)} bytes, more than max_produce_bytes 2048`);
  assert.equal(replies[1]!.produceResp?.records?.length, 1);
  assert.equal(s.produceBytes, 0);
});

test('the backend gets the key and the grant\'s subject; closing forgets what was held', async () => {
  const backend = new ProduceBackend();
  const ch = new RecordingChannel();
  const grant = { subject: 'alice', expiresAtMs: Infinity, consume: () => true, produce: () => true, group: () => true };
  const s = new Session(ch, {
    backend, maxRunning: 1,
    access: { initial: grant, authenticateWithinMs: 1000, authenticate: () => Promise.resolve(grant), admitCommand: () => undefined, release: () => {} },
  });
  s.onMessage(produceReq(1, 10, 'k-1'), true);
  s.onMessage(produceReq(2, 10, 'k-2'), true);
  await tick();
  assert.deepEqual(backend.calls.map((c) => [c.idempotencyKey, c.subject]), [['k-1', 'alice']]);
  assert.ok(s.produceBytes > 0);
  s.close(1000, 'bye');
  assert.equal(s.produceBytes, held(produceReq(1, 10, 'k-1')), 'the waiting command was dropped at close; the running one still holds its frame');
  ack(backend.calls[0]!);
  await tick();
  assert.equal(s.produceBytes, 0, 'the running command gave its bytes back when it finished, the waiting one at close');
});

test('a backend that does not write: produce is not enabled', async () => {
  const ch = new RecordingChannel();
  const backend: PubSubBackend = { listOffset: () => Promise.resolve(0n), fetch: () => Promise.reject(new Error('x')), describeError: (e) => String((e as Error).message) };
  const s = new Session(ch, { backend });
  s.onMessage(produceReq(1, 10), true);
  await tick();
  assert.equal(decodeResp(ch.frames[0]!).errorResp?.message, 'failed to produce message, topic: t, partition: -1, err: produce is not enabled on this route');
});
