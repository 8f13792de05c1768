import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteConflictError, RouteNotFoundError, RouteReadOnlyError, RouteStoreError, RouteValidationError } from '../../../src/server/errors.js';
import { Peer, PeerGoneError, type PeerHandler, type PeerMessage } from '../../../src/server/workers/peer.js';
import { errorFromWire, errorToWire } from '../../../src/server/workers/wire-errors.js';

/**
 * Two peers joined by an ordered channel that, like node's IPC with the advanced serialization,
 * delivers structured clones asynchronously.
 */
function pair(left: PeerHandler, right: PeerHandler) {
  const sent: PeerMessage[] = [];
  let open = true;
  const link = (to: () => Peer) => (m: PeerMessage, done: (e: Error | null) => void) => {
    if (!open) return done(new Error('channel closed'));
    sent.push(m);
    const copy = structuredClone(m);
    setImmediate(() => {
      to().receive(copy);
      done(null);
    });
  };
  const a: Peer = new Peer(link(() => b), left);
  const b: Peer = new Peer(link(() => a), right);
  return { a, b, sent, cut: () => void (open = false) };
}

test('calls go both ways and resolve with the handler\'s value, sync or async, in order', async () => {
  const order: number[] = [];
  const { a, b } = pair(
    (kind, p) => (kind === 'double' ? (p as number) * 2 : undefined),
    async (kind, p) => {
      order.push(p as number);
      await new Promise((r) => setTimeout(r, 5 - (p as number)));
      return `${kind}:${String(p)}`;
    },
  );
  assert.equal(await b.call<number>('double', 21), 42);
  const replies = await Promise.all([1, 2, 3].map((i) => a.call<string>('echo', i)));
  assert.deepEqual(replies, ['echo:1', 'echo:2', 'echo:3']);
  assert.deepEqual(order, [1, 2, 3], 'calls arrive in the order sent');
});

test('an error thrown by the handler is thrown at the caller, with its class for store errors', async () => {
  const errors = [
    new RouteValidationError('upstream.nodes', 'required'),
    new RouteReadOnlyError('static'),
    new RouteConflictError('other'),
    new RouteNotFoundError('missing'),
    new RouteStoreError('cannot write route r1: ENOSPC'),
  ];
  const { a } = pair(() => undefined, (_k, p) => {
    throw errors[p as number]!;
  });
  for (const [i, want] of errors.entries()) {
    await assert.rejects(a.call('x', i), (got: unknown) => {
      assert.equal((got as Error).constructor, want.constructor);
      assert.equal((got as Error).message, want.message);
      assert.equal((got as { code: string }).code, want.code);
      return true;
    });
  }
  await assert.rejects(a.call('x', 99), (e: unknown) => e instanceof TypeError === false && e instanceof Error);
});

test('the details the admin API and logs read survive the trip (field, id, otherId)', () => {
  const v = errorFromWire(structuredClone(errorToWire(new RouteValidationError('plugins.kafka-proxy.sasl.password', 'expected string, got number'))));
  assert.ok(v instanceof RouteValidationError);
  assert.equal(v.field, 'plugins.kafka-proxy.sasl.password');
  assert.equal(v.message, 'invalid route: plugins.kafka-proxy.sasl.password: expected string, got number');
  const c = errorFromWire(errorToWire(new RouteConflictError('r9')));
  assert.ok(c instanceof RouteConflictError && c.otherId === 'r9');
  const other = errorFromWire(errorToWire(Object.assign(new Error('boom'), { code: 'SOME_CODE' })));
  assert.equal(other.message, 'boom');
  assert.equal((other as { code?: string }).code, 'SOME_CODE');
  assert.equal(errorFromWire(errorToWire('a string')).message, 'a string');
});

test('a peer that goes fails every pending call and later ones; a timeout fails one call', async () => {
  const { a, b, cut } = pair(() => undefined, () => new Promise(() => undefined));
  const pending = a.call('never', 1);
  await assert.rejects(a.call('never', 2, 30), (e: unknown) => e instanceof PeerGoneError && /within 30 ms/.test((e as Error).message));
  a.close(new PeerGoneError('worker 1 exited'));
  await assert.rejects(pending, /worker 1 exited/);
  await assert.rejects(a.call('after', 3), /worker 1 exited/);
  cut();
  await assert.rejects(b.call('x', 1), (e: unknown) => e instanceof PeerGoneError && /cannot send x/.test((e as Error).message));
});

test('messages that are not the peer\'s are left alone', () => {
  const { a } = pair(() => undefined, () => undefined);
  for (const m of [null, 'text', { cmd: 'NODE_CLUSTER' }, { kwp: 'call' }, { kwp: 'other', id: 1 }]) assert.equal(a.receive(m), false);
  assert.equal(a.receive({ kwp: 'reply', id: 12345, ok: true, value: 1 }), true, 'a late reply is ours, and ignored');
});
