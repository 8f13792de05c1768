import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteConflictError, RouteNotFoundError, RouteReadOnlyError, RouteValidationError } from '../../../src/server/errors.js';
import { recordOf, RouteReplica, type RouteRecord, type RouteWriter } from '../../../src/server/routes/replica.js';
import { RouteStore, type RouteChange } from '../../../src/server/routes/store.js';
import type { Json } from '../json-path.js';

function body(uri = '/kafka'): Json {
  return { uri, upstream: { nodes: { 'k1:9092': 1 }, type: 'none', scheme: 'kafka' } };
}

/**
 * A primary in miniature: a real store, and a writer that commits there and sends each change to
 * the replicas before answering, as workers/primary.ts does over IPC.
 */
async function group(n: number, staticRoutes: Array<{ id: string } & Record<string, unknown>> = []) {
  const store = await RouteStore.open({ staticRoutes });
  const replicas: RouteReplica[] = [];
  store.subscribe(({ id, after }) => {
    const e = after === undefined ? undefined : store.entry(id);
    for (const r of replicas) r.applyRecord(id, e === undefined ? undefined : structuredClone(recordOf(e)));
  });
  const record = (id: string): RouteRecord => structuredClone(recordOf(store.entry(id)!));
  const writer: RouteWriter = {
    put: async (id, b) => {
      const { created, route } = await store.put(id, structuredClone(b));
      return { created, record: record(route.id) };
    },
    post: async (b) => record((await store.post(structuredClone(b))).id),
    patch: async (id, b, sub) => record((await store.patch(id, structuredClone(b), sub)).id),
    delete: (id) => store.delete(id),
  };
  const initial = store.entries().map((e) => structuredClone(recordOf(e)));
  for (let i = 0; i < n; i++) replicas.push(RouteReplica.of(initial, writer));
  return { store, replicas };
}

test('a write through one replica is in the store and in every replica when it resolves, with the same value and indexes', async () => {
  const { store, replicas } = await group(3);
  const [a, b, c] = replicas as [RouteReplica, RouteReplica, RouteReplica];
  const put = await a.put('r1', body());
  assert.equal(put.created, true);
  assert.deepEqual(put.route.value, store.get('r1')!.value);
  const patched = await b.patch('r1', { uri: '/moved' });
  assert.equal(patched.uri, '/moved');
  const posted = await c.post(body('/p'));
  assert.match(posted.id, /^\d{20}$/);
  for (const r of replicas) {
    assert.deepEqual(r.entries().map((e) => [e.route.id, e.route.value, e.createdIndex, e.modifiedIndex]), store.entries().map((e) => [e.route.id, e.route.value, e.createdIndex, e.modifiedIndex]));
    assert.equal(r.match('/moved')?.id, 'r1');
    assert.equal(r.match('/kafka'), undefined);
  }
  assert.equal(await c.delete('r1'), true);
  assert.equal(await a.delete('r1'), false);
  for (const r of replicas) assert.equal(r.get('r1'), undefined);
});

test('a replica tells its listeners of every change, in commit order, as a store does', async () => {
  const { replicas } = await group(2);
  const seen: string[] = [];
  replicas[1]!.subscribe((c: RouteChange) => seen.push(`${c.id} ${c.before?.uri ?? '-'} ${c.after?.uri ?? '-'}`));
  await replicas[0]!.put('r1', body('/a'));
  await replicas[0]!.put('r1', body('/b'));
  await replicas[0]!.delete('r1');
  assert.deepEqual(seen, ['r1 - /a', 'r1 /a /b', 'r1 /b -']);
  // The same record twice (a retry) changes nothing and tells nobody.
  const { replicas: [x] } = await group(1);
  const rec: RouteRecord = { id: 'q', createdIndex: 1, modifiedIndex: 1, readOnly: false, value: { ...body('/q'), id: 'q', create_time: 1, update_time: 1 } as RouteRecord['value'] };
  const calls: RouteChange[] = [];
  x!.subscribe((c) => calls.push(c));
  x!.applyRecord('q', rec);
  x!.applyRecord('q', structuredClone(rec));
  x!.applyRecord('gone', undefined);
  assert.equal(calls.length, 1);
});

test('the store\'s refusals reach the writer with their class, and change no replica', async () => {
  const { replicas } = await group(2, [{ id: 'static', ...body('/static') }]);
  const [a, b] = replicas as [RouteReplica, RouteReplica];
  assert.equal(a.entry('static')?.readOnly, true);
  await assert.rejects(a.put('static', body('/x')), RouteReadOnlyError);
  await assert.rejects(a.put('r2', body('/static')), RouteConflictError);
  await assert.rejects(a.patch('nope', { uri: '/n' }), RouteNotFoundError);
  await assert.rejects(b.put('r3', { uri: '/no-upstream' }), (e: unknown) => e instanceof RouteValidationError && /upstream: required/.test(e.message));
  for (const r of replicas) assert.deepEqual(r.list().map((x) => x.id), ['static']);
});

test('a reply that arrives after a later change of the same route still describes its own write', async () => {
  const store = await RouteStore.open();
  const r1 = await store.put('r1', body('/one'));
  const first = structuredClone(recordOf(store.entry('r1')!));
  await store.put('r1', body('/two'));
  const replica = RouteReplica.of([structuredClone(recordOf(store.entry('r1')!))], {
    put: async () => ({ created: true, record: first }),
    post: () => Promise.reject(new Error('unused')),
    patch: () => Promise.reject(new Error('unused')),
    delete: () => Promise.reject(new Error('unused')),
  });
  const put = await replica.put('r1', body('/one'));
  assert.equal(put.route.uri, '/one');
  assert.deepEqual(put.route.value, r1.route.value);
  assert.equal(replica.get('r1')?.uri, '/two', 'the replica keeps the newer version');
});

test('a record that does not validate is refused and leaves the replica as it was', async () => {
  const { replicas: [r] } = await group(1);
  const bad = { id: 'b', createdIndex: 1, modifiedIndex: 1, readOnly: false, value: { id: 'b', uri: 'no-slash', create_time: 1, update_time: 1 } } as unknown as RouteRecord;
  assert.throws(() => r!.applyRecord('b', bad), RouteValidationError);
  assert.equal(r!.get('b'), undefined);
});
