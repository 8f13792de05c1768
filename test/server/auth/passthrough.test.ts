import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OAuthTokenProvider } from '../../../src/kafka-wire/index.js';
import type { PubSubBackend } from '../../../src/pubsub/index.js';
import { PassthroughPool } from '../../../src/server/auth/passthrough.js';
import { KafkaClientRegistry } from '../../../src/kafka-wire/index.js';

/*
 * The pool behind identity passthrough: one Kafka side per subject, shared by that subject's
 * connections and never by two subjects; its login token is the freshest of the subject's open
 * connections; it closes with the subject's last connection. Against real brokers and their
 * ACLs: identity-passthrough.kafka.test.ts.
 */
function pool() {
  const made: Array<{ subject: string; token: OAuthTokenProvider; closed: boolean }> = [];
  const p = new PassthroughPool((subject, token) => {
    const m = { subject, token, closed: false };
    made.push(m);
    return { backend: {} as PubSubBackend, subscriptions: undefined, close: () => { m.closed = true; } };
  });
  return { p, made };
}

const login = { broker: 'b:9092', reauthentication: false };

test('one Kafka side per subject, shared by its connections, never by two subjects', async () => {
  const { p, made } = pool();
  const a1 = {};
  const a2 = {};
  const b1 = {};
  const x = p.use('alice', a1, 'tok-a1', 1000);
  const y = p.use('alice', a2, 'tok-a2', 2000);
  const z = p.use('bob', b1, 'tok-b1', 3000);
  assert.equal(x, y);
  assert.notEqual(x, z);
  assert.deepEqual(made.map((m) => m.subject), ['alice', 'bob']);
  assert.deepEqual(await made[0]!.token(login), { value: 'tok-a2', expiresAtMs: 2000 }, 'the freshest token of the subject');
  assert.deepEqual(await made[1]!.token(login), { value: 'tok-b1', expiresAtMs: 3000 });
  // A refresh of a1 with a later exp takes over.
  p.use('alice', a1, 'tok-a1b', 5000);
  assert.deepEqual(await made[0]!.token({ ...login, reauthentication: true }), { value: 'tok-a1b', expiresAtMs: 5000 });
  p.release('alice', a1);
  assert.deepEqual(await made[0]!.token(login), { value: 'tok-a2', expiresAtMs: 2000 }, 'a closed connection\'s token is no longer used');
  assert.equal(made[0]!.closed, false);
  p.release('alice', a2);
  assert.equal(made[0]!.closed, true, 'closed with the subject\'s last connection');
  await assert.rejects(made[0]!.token(login), /no open connection/);
  assert.equal(made[1]!.closed, false);
  assert.equal(p.size, 1);
});

test('the client registry keys a passthrough client by its provider: two subjects never get the same client', () => {
  const registry = new KafkaClientRegistry();
  const { p, made } = pool();
  p.use('alice', {}, 'a', 1);
  p.use('bob', {}, 'b', 1);
  const options = (token: OAuthTokenProvider) => ({ brokers: ['127.0.0.1:9'], sasl: { mechanism: 'OAUTHBEARER' as const, token } });
  const ca = registry.acquire(options(made[0]!.token));
  const cb = registry.acquire(options(made[1]!.token));
  const ca2 = registry.acquire(options(made[0]!.token));
  assert.notEqual(ca, cb);
  assert.equal(ca, ca2);
  registry.closeAll();
});
