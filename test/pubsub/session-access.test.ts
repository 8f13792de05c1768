import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessError, CLOSE_UNAUTHENTICATED, Session, type ConnectionAccess, type Grant } from '../../src/pubsub/index.js';
import { decodeResp, encodeReq } from '../support/pubsub-proto.js';
import { RecordingChannel, ScriptedBackend } from '../support/session-fakes.js';

/*
 * The session's side of identity with a scripted ConnectionAccess: nothing but ping and
 * cmd_authenticate before a grant, the grant's topic rules on every command, in-band
 * authentication and refresh, the close at expiry, and the command rate. Real tokens, routes and
 * Kafka: test/server/auth/identity.kafka.test.ts.
 */
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function grant(subject: string, expiresAtMs: number, topics: readonly string[], produce: readonly string[] = []): Grant {
  return { subject, expiresAtMs, consume: (t) => topics.includes(t), produce: (t) => produce.includes(t), group: (g) => g === `g-${subject}` };
}

class ScriptedAccess implements ConnectionAccess {
  initial: Grant | undefined;
  authenticateWithinMs = 60_000;
  /** Tokens it accepts: token text → grant. */
  readonly tokens = new Map<string, Grant>();
  rate: string | undefined;
  released = 0;
  constructor(initial?: Grant) {
    this.initial = initial;
  }
  authenticate(token: string, current: Grant | undefined): Promise<Grant> {
    const g = this.tokens.get(token);
    if (g === undefined) return Promise.reject(new AccessError('SERVER_ERR_TOKEN', 'bad_signature', 'token refused (bad_signature)'));
    if (current !== undefined && current.subject !== g.subject) return Promise.reject(new AccessError('SERVER_ERR_TOKEN', 'subject_changed', 'another subject'));
    return Promise.resolve(g);
  }
  admitCommand(): string | undefined {
    return this.rate;
  }
  release(): void {
    this.released++;
  }
}

const fetch = (seq: number, topic: string) => encodeReq({ sequence: String(seq), cmdKafkaFetch: { topic, partition: 0, offset: '0' } });
const listOffset = (seq: number, topic: string) => encodeReq({ sequence: String(seq), cmdKafkaListOffset: { topic, partition: 0, timestamp: '-1' } });
const produce = (seq: number, topic: string) => encodeReq({ sequence: String(seq), cmdProduce: { topic, records: [{ value: Buffer.from('v') }] } });
const authenticate = (seq: number, token: string) => encodeReq({ sequence: String(seq), cmdAuthenticate: { token } });
const ping = (seq: number) => encodeReq({ sequence: String(seq), cmdPing: { state: Buffer.from('p') } });

test('before a grant only ping and cmd_authenticate are served; then the grant\'s rules hold on every command', async () => {
  const backend = new ScriptedBackend();
  const ch = new RecordingChannel();
  const access = new ScriptedAccess();
  access.tokens.set('good', grant('alice', Date.now() + 60_000, ['orders.alice']));
  const s = new Session(ch, { backend, access });
  s.onMessage(fetch(1, 'orders.alice'), true);
  s.onMessage(ping(2), true);
  s.onMessage(authenticate(3, 'good'), true);
  await tick();
  s.onMessage(listOffset(4, 'orders.alice'), true);
  s.onMessage(listOffset(5, 'orders.bob'), true);
  s.onMessage(produce(6, 'orders.alice'), true);
  await tick();
  const replies = ch.frames.map((f) => decodeResp(f));
  assert.deepEqual(replies.map((r) => r.sequence), ['1', '2', '3', '4', '5', '6']);
  assert.equal(replies[0]!.errorResp?.message, 'failed to fetch message, topic: orders.alice, partition: 0, err: authentication required');
  assert.ok(replies[1]!.pongResp);
  assert.equal(replies[2]!.authenticateResp?.subject, 'alice');
  assert.ok(Number(replies[2]!.authenticateResp?.expiresAtMs) > Date.now());
  assert.equal(replies[3]!.kafkaListOffsetResp?.offset, '42');
  assert.equal(replies[4]!.errorResp?.message, 'failed to list offset, topic: orders.bob, partition: 0, err: topic not allowed');
  assert.equal(replies[5]!.errorResp?.message, 'failed to produce message, topic: orders.alice, partition: -1, err: topic not allowed', 'consume does not imply produce');
  assert.equal(backend.calls.length, 0, 'nothing refused reached the backend');
  s.dispose();
  assert.equal(access.released, 1);
});

test('a refused first token is answered, then the connection closes with 4401', async () => {
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend: new ScriptedBackend(), access: new ScriptedAccess() });
  s.onMessage(authenticate(1, 'forged'), true);
  await tick();
  assert.equal(decodeResp(ch.frames[0]!).errorResp?.message, 'failed to authenticate, err: token refused (bad_signature)');
  assert.deepEqual(ch.closed, [CLOSE_UNAUTHENTICATED, 'authentication failed']);
});

test('no token within authenticateWithinMs: closed with 4401', async () => {
  const ch = new RecordingChannel();
  const access = new ScriptedAccess();
  access.authenticateWithinMs = 30;
  new Session(ch, { backend: new ScriptedBackend(), access });
  await sleep(80);
  assert.deepEqual(ch.closed, [CLOSE_UNAUTHENTICATED, 'authentication required']);
  assert.equal(access.released, 1);
});

test('a grant ends at its expiry: closed with 4401; a refresh before it moves the end, and a refused refresh keeps the old grant', async () => {
  const ch = new RecordingChannel();
  const access = new ScriptedAccess(grant('alice', Date.now() + 150, ['t']));
  access.tokens.set('later', grant('alice', Date.now() + 400, ['t']));
  access.tokens.set('mallory', grant('mallory', Date.now() + 60_000, ['t']));
  const s = new Session(ch, { backend: new ScriptedBackend(), access });
  s.onMessage(authenticate(1, 'mallory'), true);
  await tick();
  assert.equal(decodeResp(ch.frames[0]!).errorResp?.message, 'failed to authenticate, err: another subject');
  assert.equal(ch.closed, undefined, 'a refused refresh does not close a connection that has a grant');
  s.onMessage(authenticate(2, 'later'), true);
  await tick();
  assert.equal(decodeResp(ch.frames[1]!).authenticateResp?.subject, 'alice');
  await sleep(250);
  assert.equal(ch.closed, undefined, 'the refresh moved the end');
  await sleep(250);
  assert.deepEqual(ch.closed, [CLOSE_UNAUTHENTICATED, 'token expired']);
});

test('a grant past its expiry refuses commands even before its timer fires', async () => {
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend: new ScriptedBackend(), access: new ScriptedAccess(grant('alice', Date.now() + 5, ['t'])) });
  const until = Date.now() + 10;
  while (Date.now() < until) { /* let the grant pass its expiry without a turn of the loop */ }
  s.onMessage(listOffset(1, 't'), true);
  assert.equal(decodeResp(ch.frames[0]!).errorResp?.message, 'failed to list offset, topic: t, partition: 0, err: authentication required');
});

test('over the command rate: refused with the access\'s text; a ping (the SDK\'s keepalive) and credit (flow control) are never refused for rate', async () => {
  const ch = new RecordingChannel();
  const access = new ScriptedAccess(grant('alice', Infinity, ['t']));
  const s = new Session(ch, { backend: new ScriptedBackend(), access });
  access.rate = 'too many commands (limit 5 per second)';
  s.onMessage(listOffset(1, 't'), true);
  s.onMessage(authenticate(2, 'x'), true);
  s.onMessage(ping(3), true);
  s.onMessage(encodeReq({ sequence: '4', cmdCredit: { subscription: 9, bytes: '100' } }), true);
  await tick();
  assert.deepEqual(ch.frames.map((f) => decodeResp(f).errorResp?.message), [
    'failed to list offset, topic: t, partition: 0, err: too many commands (limit 5 per second)',
    'failed to authenticate, err: too many commands (limit 5 per second)',
    undefined,
    'failed to grant credit, subscription: 9, err: unknown subscription',
  ]);
  assert.ok(decodeResp(ch.frames[2]!).pongResp);
});

test('without access, cmd_authenticate is refused and every command runs as before', async () => {
  const ch = new RecordingChannel();
  const s = new Session(ch, { backend: new ScriptedBackend() });
  s.onMessage(authenticate(1, 'x'), true);
  s.onMessage(listOffset(2, 'any'), true);
  await tick();
  assert.equal(decodeResp(ch.frames[0]!).errorResp?.message, 'failed to authenticate, err: authentication is not enabled on this route');
  assert.equal(decodeResp(ch.frames[1]!).kafkaListOffsetResp?.offset, '42');
});
