import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecordBatch, readBatches } from '../../src/kafka-wire/index.js';
import { Session, type FetchBatch } from '../../src/pubsub/index.js';
import { RecordingChannel, ScriptedBackend } from '../support/session-fakes.js';
import { decodeResp, encodeReq } from '../support/pubsub-proto.js';

/*
 * The session's own rules (ordering, limits, backpressure, drain) with a scripted backend. Kafka
 * behaviour is tested against real brokers in test/server/*.kafka.test.ts; here the backend only
 * decides when each command completes.
 */
const tick = () => new Promise((r) => setImmediate(r));
const fetchReq = (seq: number) => encodeReq({ sequence: String(seq), cmdKafkaFetch: { topic: 't', partition: 0, offset: '0' } });
const pingReq = (seq: number) => encodeReq({ sequence: String(seq), cmdPing: { state: Buffer.from(String(seq)) } });
const batch = (n: number, size = 10): FetchBatch => ({
  batches: readBatches(encodeRecordBatch({ records: Array.from({ length: n }, () => ({ value: Buffer.alloc(size, 1) })), baseOffset: 0n })).batches,
  fromOffset: 0n,
  highWatermark: BigInt(n),
  logStartOffset: 0n,
});

test('a ping behind a slow fetch waits for it: replies leave in request order', async () => {
  const backend = new ScriptedBackend();
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend });
  s.onMessage(fetchReq(1), true);
  s.onMessage(pingReq(2), true);
  s.onMessage(fetchReq(3), true);
  await tick();
  assert.equal(ch.frames.length, 0);
  backend.calls[1]!.resolve(batch(1));
  await tick();
  assert.equal(ch.frames.length, 0, 'reply 3 overtook 1');
  backend.calls[0]!.reject(new Error('boom'));
  await tick();
  assert.deepEqual(ch.frames.map((f) => decodeResp(f).sequence), ['1', '2', '3']);
  assert.equal(decodeResp(ch.frames[0]!).errorResp?.message, 'failed to fetch message, topic: t, partition: 0, err: boom');
});

test('in-flight limit: extra commands are answered with an error; reading pauses at twice the limit and resumes', async () => {
  const backend = new ScriptedBackend();
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend, maxInFlight: 2 });
  s.onMessage(fetchReq(1), true);
  s.onMessage(fetchReq(2), true);
  s.onMessage(fetchReq(3), true);
  assert.equal(backend.calls.length, 2);
  assert.equal(ch.paused, false);
  s.onMessage(pingReq(4), true);
  assert.equal(ch.paused, true, 'four replies queued with a limit of two should pause reading');
  backend.calls[0]!.resolve(batch(1));
  backend.calls[1]!.resolve(batch(1));
  await tick();
  assert.deepEqual(ch.frames.map((f) => decodeResp(f).resp), ['kafkaFetchResp', 'kafkaFetchResp', 'errorResp', 'pongResp']);
  assert.equal(decodeResp(ch.frames[2]!).errorResp?.message, 'too many commands in flight (limit 2)');
  assert.equal(ch.paused, false);
});

test('a client that does not read: fetches start only while their reply room fits, reading pauses, and both resume as it reads', async () => {
  const backend = new ScriptedBackend();
  const ch = new RecordingChannel();
  ch.autoFlush = false;
  const MiB = 1 << 20;
  const s = new Session(ch, { backend, maxFrameBytes: MiB, maxUnsentBytes: 4 * MiB, maxRunning: 64 });
  for (let i = 1; i <= 10; i++) s.onMessage(fetchReq(i), true);
  assert.equal(backend.calls.length, 4, 'four rooms of 1 MiB fit in 4 MiB: only four fetches may start');
  for (const c of backend.calls) c.resolve(batch(1000, 1000)); // ~1 MB replies
  await tick();
  assert.equal(ch.frames.length, 4);
  assert.equal(backend.calls.length, 4, 'nothing more starts while the four replies are not taken');
  assert.ok(s.usage <= 4 * MiB, `held ${s.usage} bytes`);
  assert.equal(ch.paused, false, 'held replies at the bound, not past it');
  // A ping's reply cannot wait for room: a large state takes what is held past the bound.
  s.onMessage(encodeReq({ sequence: '11', cmdPing: { state: Buffer.alloc(256 * 1024) } }), true);
  assert.equal(ch.paused, true, 'past the bound: reading pauses');
  ch.pending.shift()!();
  assert.equal(backend.calls.length, 4, 'one reply taken: 3 MB and the 256 KiB pong still held, no room for 1 MiB more');
  ch.pending.shift()!();
  assert.equal(backend.calls.length, 5, 'two taken: room for one more fetch');
  while (ch.pending.length > 0) ch.pending.shift()!();
  assert.equal(ch.paused, false);
  // The pong waits in order behind fetches 5-10, so its 256 KiB stay held: room for two more.
  assert.equal(backend.calls.length, 7, 'all taken: one running, two more started');
});

test('one fetch may always run when nothing is held, even if its room exceeds the bound', async () => {
  const backend = new ScriptedBackend();
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend, maxFrameBytes: 8 << 20, maxUnsentBytes: 1 << 20 });
  s.onMessage(fetchReq(1), true);
  s.onMessage(fetchReq(2), true);
  assert.equal(backend.calls.length, 1);
  backend.calls[0]!.resolve(batch(1));
  await tick();
  assert.equal(backend.calls.length, 2);
  backend.calls[1]!.resolve(batch(1));
  await tick();
  assert.deepEqual(ch.frames.map((f) => decodeResp(f).sequence), ['1', '2']);
});

test('maxRunning: at most that many commands of one connection run at once; the others wait their turn in order', async () => {
  const backend = new ScriptedBackend();
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend, maxRunning: 2, maxFrameBytes: 1024 });
  for (let i = 1; i <= 5; i++) s.onMessage(fetchReq(i), true);
  assert.equal(backend.calls.length, 2);
  backend.calls[1]!.resolve(batch(1));
  await tick();
  assert.equal(backend.calls.length, 3, 'one finished, the next started');
  for (let i = 0; i < 5; i++) {
    for (const c of backend.calls) c.resolve(batch(1));
    await tick();
  }
  assert.equal(backend.calls.length, 5);
  assert.deepEqual(ch.frames.map((f) => decodeResp(f).sequence), ['1', '2', '3', '4', '5']);
});

test('drain answers what was accepted, ignores new frames, then closes; close drops pending replies', async () => {
  const backend = new ScriptedBackend();
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend });
  s.onMessage(fetchReq(1), true);
  s.drain(1001, 'route updated');
  s.onMessage(pingReq(2), true);
  assert.equal(ch.closed, undefined);
  backend.calls[0]!.resolve(batch(2));
  await tick();
  assert.deepEqual(ch.frames.map((f) => decodeResp(f).sequence), ['1']);
  assert.deepEqual(ch.closed, [1001, 'route updated']);

  const ch2 = new RecordingChannel();
  const s2 = new Session(ch2, { backend });
  s2.onMessage(fetchReq(7), true);
  s2.close(1001, 'route deleted');
  backend.calls[1]!.resolve(batch(1));
  await tick();
  assert.equal(ch2.frames.length, 0);
  assert.deepEqual(ch2.closed, [1001, 'route deleted']);
});
