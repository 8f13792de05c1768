import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RouteConflictError, RouteFileError, RouteNotFoundError, RouteReadOnlyError, RouteStoreError, RouteValidationError } from '../../../src/server/errors.js';
import { routeFileName } from '../../../src/server/routes/files.js';
import { RouteStore, type RouteChange } from '../../../src/server/routes/store.js';
import { get, type Json } from '../json-path.js';


function body(uri = '/kafka', extra: Json = {}): Json {
  return { uri, upstream: { nodes: { 'k1:9092': 1 }, type: 'none', scheme: 'kafka' }, ...extra };
}

function clock(startSeconds = 1000) {
  let ms = startSeconds * 1000;
  return { now: () => ms, advance: (s: number) => void (ms += s * 1000) };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kwp-routes-'));
}

test('put creates, then replaces keeping create_time and refreshing update_time', async () => {
  const c = clock();
  const store = await RouteStore.open({ now: c.now });
  const first = await store.put('r1', body());
  assert.equal(first.created, true);
  assert.deepEqual(first.route.value, { ...body(), id: 'r1', create_time: 1000, update_time: 1000 });
  c.advance(5);
  const second = await store.put('r1', body('/kafka2'));
  assert.equal(second.created, false);
  assert.equal(second.route.value.create_time, 1000);
  assert.equal(second.route.value.update_time, 1005);
  assert.equal(store.get('r1')?.uri, '/kafka2');
  assert.equal(store.entry('r1')?.createdIndex, 1);
  assert.equal(store.entry('r1')?.modifiedIndex, 2);
  await assert.rejects(store.put('bad id', body('/x')), (e: unknown) => e instanceof RouteValidationError && e.field === 'id');
  await assert.rejects(store.put('r2', { uri: '/y' }), /upstream: required/);
  assert.deepEqual(store.list().map((r) => r.id), ['r1'], 'failed writes change nothing');
});

test('post generates 20-digit ids like APISIX 3 and refuses a body id', async () => {
  const store = await RouteStore.open();
  const a = await store.post(body('/a'));
  const b = await store.post(body('/b'));
  assert.match(a.id, /^\d{20}$/);
  assert.match(b.id, /^\d{20}$/);
  assert.ok(b.id > a.id);
  assert.equal(a.value.id, a.id);
  await assert.rejects(store.post({ ...body('/c'), id: 'mine' }), (e: unknown) => e instanceof RouteValidationError && e.field === 'id');
  assert.equal(store.list().length, 2);
});

test('patch merges like a JSON merge patch: objects merge, null deletes, arrays are replaced', async () => {
  const c = clock();
  const store = await RouteStore.open({ now: c.now });
  await store.put('r', body('/kafka', {
    desc: 'd',
    plugins: { 'kafka-proxy': { sasl: { username: 'u', password: 'p' }, topics: ['a', 'b'] } },
  }));
  c.advance(10);
  const r = await store.patch('r', {
    desc: null,
    upstream: { nodes: { 'k2:9092': 5 } },
    plugins: { 'kafka-proxy': { sasl: { password: 'p2' }, topics: ['c'] } },
  });
  assert.equal(r.value['desc'], undefined);
  assert.deepEqual(r.brokers, ['k2:9092', 'k1:9092']);
  assert.deepEqual(r.sasl, { mechanism: 'PLAIN', username: 'u', password: 'p2' });
  assert.deepEqual(get(r.value, 'plugins.kafka-proxy.topics'), ['c']);
  assert.equal(r.value.create_time, 1000);
  assert.equal(r.value.update_time, 1010);
  assert.equal(get(r.value, 'upstream.scheme'), 'kafka', 'untouched fields stay');
});

test('patch failures leave the route as it was', async () => {
  const store = await RouteStore.open();
  await store.put('r', body());
  const before = store.get('r');
  await assert.rejects(store.patch('nope', { desc: 'x' }), (e: unknown) => e instanceof RouteNotFoundError && e.code === 'SERVER_ERR_ROUTE_NOT_FOUND');
  await assert.rejects(store.patch('r', { id: 'other' }), /id: does not match the id in the path/);
  await assert.rejects(store.patch('r', { upstream: { scheme: null } }), /upstream\.scheme: required/);
  await assert.rejects(store.patch('r', ['x']), /PATCH body must be a JSON object/);
  assert.equal(store.get('r'), before);
});

test('sub-path patch replaces one field, creating objects on the way', async () => {
  const c = clock();
  const store = await RouteStore.open({ now: c.now });
  await store.put('r', body());
  c.advance(1);
  let r = await store.patch('r', '/moved', ['uri']);
  assert.equal(r.uri, '/moved');
  assert.equal(r.value.update_time, 1001);
  r = await store.patch('r', { username: 'u', password: 'p' }, ['plugins', 'kafka-proxy', 'sasl']);
  assert.deepEqual(r.sasl, { mechanism: 'PLAIN', username: 'u', password: 'p' });
  r = await store.patch('r', { 'a:1': 1, 'b:2': 2 }, ['upstream', 'nodes']);
  assert.deepEqual(r.brokers, ['b:2', 'a:1'], 'the nodes object is replaced, not merged');
  r = await store.patch('r', null, ['plugins']);
  assert.equal(r.sasl, undefined);
  await assert.rejects(store.patch('r', 1, ['uri', 'x']), /invalid sub-path: \/uri is not an object/);
  await assert.rejects(store.patch('r', 'http', ['upstream', 'scheme']), /only kafka upstreams are supported/);
});

test('called directly, the store refuses prototype keys in ids, sub-paths and merge patches', async () => {
  const store = await RouteStore.open();
  const before = (await store.put('r', body())).route.value;
  const invalid = (e: unknown) => e instanceof RouteValidationError;
  for (const id of ['__proto__', 'constructor', 'prototype']) {
    await assert.rejects(store.put(id, body('/p')), (e: unknown) => invalid(e) && (e as RouteValidationError).field === 'id', id);
  }
  for (const path of [['__proto__', 'upstream'], ['constructor', 'prototype', 'x'], ['upstream', '__proto__'], ['labels', 'constructor']]) {
    await assert.rejects(store.patch('r', 'x', path), invalid, path.join('/'));
  }
  await assert.rejects(store.patch('r', JSON.parse('{"__proto__": {"status": 0}}') as unknown), invalid);
  await assert.rejects(store.patch('r', JSON.parse('{"upstream": {"constructor": {"prototype": {"x": 1}}}}') as unknown), invalid);
  assert.equal(({} as Record<string, unknown>)['upstream'], undefined);
  assert.equal(({} as Record<string, unknown>)['status'], undefined);
  assert.equal(store.get('r')?.value, before, 'the route itself is unchanged');
});

test('delete removes a route and reports whether it existed', async () => {
  const store = await RouteStore.open();
  await store.put('r', body());
  assert.equal(await store.delete('r'), true);
  assert.equal(await store.delete('r'), false);
  assert.equal(store.get('r'), undefined);
  assert.equal(store.match('/kafka'), undefined);
});

test('routes survive a reopen, with their timestamps and indexes', async () => {
  const dir = tempDir();
  const c = clock();
  const a = await RouteStore.open({ dataDir: dir, now: c.now });
  await a.put('r1', body('/one'));
  await a.put('Upper', body('/two'));
  await a.patch('r1', { desc: 'patched' });
  await a.put('gone', body('/three'));
  await a.delete('gone');
  const posted = await a.post(body('/four'));
  const files = readdirSync(join(dir, 'routes')).sort();
  assert.deepEqual(files, [routeFileName(posted.id), '%55pper.json', 'r1.json'].sort(), 'upper case is escaped for case-insensitive file systems');
  assert.equal(statSync(join(dir, 'routes', 'r1.json')).mode & 0o777, 0o600, 'route files hold secrets: owner only');

  c.advance(100);
  const b = await RouteStore.open({ dataDir: dir, now: c.now });
  assert.deepEqual(b.warnings, []);
  assert.deepEqual(b.list().map((r) => r.id), [posted.id, 'Upper', 'r1']);
  for (const id of ['r1', 'Upper', posted.id]) {
    assert.deepEqual(b.get(id)?.value, a.get(id)?.value, id);
    const { createdIndex, modifiedIndex, readOnly } = a.entry(id)!;
    assert.deepEqual({ ...b.entry(id)!, route: undefined }, { createdIndex, modifiedIndex, readOnly, route: undefined }, id);
  }
  assert.equal(b.get('r1')?.value['desc'], 'patched');
  const next = await b.post(body('/five'));
  assert.ok(next.id > posted.id, 'generated ids keep growing across restarts');
});

test('open removes stray temp files and reports unusable route files without loading them', async () => {
  const dir = tempDir();
  const s = await RouteStore.open({ dataDir: dir });
  await s.put('good', body('/good'));
  await s.put('dup', body('/dup'));
  const routes = join(dir, 'routes');
  const good = readFileSync(join(routes, 'good.json'), 'utf8');
  writeFileSync(join(routes, 'good.json.123.4.tmp'), good.slice(0, 10)); // a kill -9 mid-write
  writeFileSync(join(routes, 'truncated.json'), good.slice(0, good.length / 2));
  writeFileSync(join(routes, 'garbage.json'), '\x00\x01not json');
  writeFileSync(join(routes, 'shape.json'), '{"value": {"id": "shape"}}');
  writeFileSync(join(routes, 'moved.json'), good); // holds route "good"
  writeFileSync(join(routes, 'invalid.json'), JSON.stringify({ createdIndex: 9, modifiedIndex: 9, value: { ...body('/inv'), id: 'invalid', upstream: { scheme: 'http', nodes: { 'a:1': 1 } } } }));
  writeFileSync(join(routes, 'bad name!.json'), good);
  writeFileSync(join(routes, 'conflict.json'), JSON.stringify({ createdIndex: 99, modifiedIndex: 99, value: { ...body('/dup'), id: 'conflict' } }));

  const reopened = await RouteStore.open({ dataDir: dir });
  assert.deepEqual(reopened.list().map((r) => r.id), ['dup', 'good']);
  assert.ok(!readdirSync(routes).some((f) => f.endsWith('.tmp')), 'temp file removed');
  assert.ok(readdirSync(routes).includes('garbage.json'), 'bad files are left for a person to look at');
  const fileWarnings = reopened.warnings.filter((w) => w instanceof RouteFileError);
  assert.equal(fileWarnings.length, reopened.warnings.length, 'only route files are reported');
  const byFile = new Map(fileWarnings.map((w) => [w.file.slice(routes.length + 1), w]));
  assert.deepEqual([...byFile.keys()].sort(), ['bad name!.json', 'conflict.json', 'garbage.json', 'invalid.json', 'moved.json', 'shape.json', 'truncated.json']);
  for (const w of reopened.warnings) {
    assert.ok(w instanceof RouteFileError);
    assert.equal(w.code, 'SERVER_ERR_ROUTE_FILE');
  }
  assert.match(byFile.get('truncated.json')!.message, /not valid JSON/);
  assert.match(byFile.get('moved.json')!.message, /holds another route's id, not moved/);
  assert.match(byFile.get('invalid.json')!.message, /only kafka upstreams are supported/);
  assert.match(byFile.get('conflict.json')!.message, /its uri is already used by route dup/);
  // A PUT to an id whose file was bad simply writes a good file.
  await reopened.put('garbage', body('/fixed'));
  assert.equal((await RouteStore.open({ dataDir: dir })).get('garbage')?.uri, '/fixed');
});

test('50 concurrent writes to different ids and to one id all land', async () => {
  const dir = tempDir();
  const store = await RouteStore.open({ dataDir: dir });
  await store.put('shared', body('/shared'));
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 50; i++) {
    writes.push(store.put(`r${i}`, body(`/r${i}`)));
    writes.push(store.patch('shared', { upstream: { nodes: { [`n${i}:9092`]: 1 } } }));
  }
  await Promise.all(writes);
  assert.equal(store.list().length, 51);
  assert.equal(store.get('shared')?.brokers.length, 51, 'no patch lost another');
  const reopened = await RouteStore.open({ dataDir: dir });
  assert.equal(reopened.list().length, 51);
  assert.equal(reopened.get('shared')?.brokers.length, 51);
  assert.equal(reopened.entry('shared')?.modifiedIndex, 101);
});

test('static routes are listed and readable but read-only', async () => {
  const dir = tempDir();
  const store = await RouteStore.open({ dataDir: dir, staticRoutes: [{ id: 'cfg', ...body('/cfg') }] });
  assert.equal(store.get('cfg')?.uri, '/cfg');
  assert.equal(store.entry('cfg')?.readOnly, true);
  assert.equal(store.match('/cfg')?.id, 'cfg');
  for (const write of [() => store.put('cfg', body('/x')), () => store.patch('cfg', { desc: 'x' }), () => store.delete('cfg')]) {
    await assert.rejects(write(), (e: unknown) => e instanceof RouteReadOnlyError && e.code === 'SERVER_ERR_ROUTE_READ_ONLY' && /route cfg is read-only/.test(e.message));
  }
  assert.deepEqual(readdirSync(join(dir, 'routes')), [], 'static routes are not written to disk');
  await assert.rejects(store.put('other', body('/cfg')), (e: unknown) => e instanceof RouteConflictError && e.otherId === 'cfg');
});

test('a bad static route fails open; a route file shadowed by a static route is ignored', async () => {
  await assert.rejects(RouteStore.open({ staticRoutes: [{ id: 'cfg', uri: '/x' }] }), (e: unknown) => e instanceof RouteValidationError && /static route cfg: invalid route: upstream: required/.test(e.message));
  await assert.rejects(RouteStore.open({ staticRoutes: [{ id: 'a', ...body('/x') }, { id: 'b', ...body('/x') }] }), RouteConflictError);
  await assert.rejects(RouteStore.open({ staticRoutes: [{ id: 'a', ...body('/x') }, { id: 'a', ...body('/y') }] }), /defined twice/);
  const dir = tempDir();
  await (await RouteStore.open({ dataDir: dir })).put('cfg', body('/from-file'));
  const store = await RouteStore.open({ dataDir: dir, staticRoutes: [{ id: 'cfg', ...body('/from-config') }] });
  assert.equal(store.get('cfg')?.uri, '/from-config');
  assert.match(store.warnings[0]?.message ?? '', /also a static route/);
});

test('two enabled routes may not share a uri; disabled ones may', async () => {
  const store = await RouteStore.open();
  await store.put('a', body('/k'));
  await assert.rejects(store.put('b', body('/k')), (e: unknown) => e instanceof RouteConflictError && e.otherId === 'a' && e.message === 'uri is already used by route a');
  await store.put('b', body('/k', { status: 0 }));
  await store.put('c', body('/k*'));
  await assert.rejects(store.patch('b', { status: 1 }), RouteConflictError);
  await store.put('a', body('/k', { desc: 'replacing itself is fine' }));
  await store.delete('a');
  await store.patch('b', { status: 1 });
  assert.equal(store.match('/k')?.id, 'b');
});

test('match: exact uri first, then the longest prefix; disabled routes never match', async () => {
  const store = await RouteStore.open();
  await store.put('root', body('/*'));
  await store.put('kafka-prefix', body('/kafka*'));
  await store.put('kafka-deep', body('/kafka/orders/*'));
  await store.put('kafka-exact', body('/kafka'));
  await store.put('off', body('/off', { status: 0 }));
  const cases: Array<[string, string | undefined]> = [
    ['/kafka', 'kafka-exact'],
    ['/kafka/', 'kafka-prefix'],
    ['/kafkafoo', 'kafka-prefix'],
    ['/kafka/orders/1', 'kafka-deep'],
    ['/kafka/orders', 'kafka-prefix'],
    ['/off', 'root'],
    ['/', 'root'],
  ];
  for (const [path, id] of cases) assert.equal(store.match(path)?.id, id, path);
  await store.delete('root');
  assert.equal(store.match('/off'), undefined);
  assert.equal(store.match('/elsewhere'), undefined);
});

test('subscribers see every committed change, in commit order, synchronously', async () => {
  const store = await RouteStore.open();
  const seen: string[] = [];
  const changes: RouteChange[] = [];
  const off = store.subscribe((c) => {
    changes.push(c);
    seen.push(`${c.id}:${c.before?.uri ?? '-'}>${c.after?.uri ?? '-'}`);
  });
  const ops = [
    store.put('a', body('/a1')),
    store.put('b', body('/b1')),
    store.patch('a', { uri: '/a2' }),
    store.put('c', body('/a2')), // conflicts: not committed, not seen
    store.delete('b'),
    store.put('a', body('/a3')),
  ];
  const results = await Promise.allSettled(ops);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.deepEqual(seen, ['a:->/a1', 'b:->/b1', 'a:/a1>/a2', 'b:/b1>-', 'a:/a2>/a3']);
  assert.equal(changes[4]?.before, changes[2]?.after, 'before is the exact previous route object');
  off();
  await store.put('d', body('/d'));
  assert.equal(seen.length, 5, 'unsubscribed');

  // A listener that throws does not undo the write or starve other listeners.
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  let reached = false;
  store.subscribe(() => { throw new Error('listener bug'); });
  store.subscribe(() => { reached = true; });
  await store.put('e', body('/e'));
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.equal(reached, true);
  assert.equal(store.get('e')?.uri, '/e');
  assert.ok(warnings.some((w) => w.message === 'listener bug'));
});

test('a failed disk write is a RouteStoreError and changes nothing', async () => {
  const dir = tempDir();
  const store = await RouteStore.open({ dataDir: dir });
  await store.put('r', body('/r'));
  let notified = 0;
  store.subscribe(() => notified++);
  rmSync(join(dir, 'routes'), { recursive: true });
  writeFileSync(join(dir, 'routes'), 'not a directory');
  await assert.rejects(store.put('r', body('/changed')), (e: unknown) => e instanceof RouteStoreError && e.code === 'SERVER_ERR_ROUTE_STORE');
  await assert.rejects(store.delete('r'), RouteStoreError);
  assert.equal(store.get('r')?.uri, '/r');
  assert.equal(notified, 0);
  await assert.rejects(RouteStore.open({ dataDir: dir }), RouteStoreError);
});
