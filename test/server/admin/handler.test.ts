import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAdminHandler } from '../../../src/server/admin/handler.js';
import { AdminConfigError } from '../../../src/server/errors.js';
import { RouteStore } from '../../../src/server/routes/store.js';
import { get, set, type Json } from '../json-path.js';
import { KEY, route, serve } from './serve.js';

test('paths outside /apisix/admin are left to the caller', async (t) => {
  const { call } = await serve(t);
  for (const path of ['/kafka', '/apisix/adminx', '/apisix', '/', '/x/apisix/admin/routes']) {
    const r = await call('GET', path);
    assert.equal(r.status, 418, path);
    assert.equal(r.text, 'not admin');
  }
});

test('the admin key: missing, wrong, right (header or api_key argument)', async (t) => {
  const { call, logs } = await serve(t);
  const missing = await call('GET', '/apisix/admin/routes', undefined, {});
  assert.equal(missing.status, 401);
  assert.deepEqual(missing.json, { error_msg: 'failed to check token', description: 'missing apikey' });
  const wrong = await call('GET', '/apisix/admin/routes', undefined, { 'x-api-key': 'not-the-key-1234' });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.json, { error_msg: 'failed to check token', description: 'wrong apikey' });
  assert.equal((await call('GET', '/apisix/admin/routes?api_key=not-the-key-1234', undefined, {})).status, 401);
  assert.equal((await call('GET', `/apisix/admin/routes?api_key=${KEY.slice(0, -1)}`, undefined, {})).status, 401, 'a prefix of the key');
  assert.equal((await call('GET', '/apisix/admin/routes')).status, 200);
  assert.equal((await call('GET', `/apisix/admin/routes?api_key=${KEY}`, undefined, {})).status, 200);
  await call('PUT', '/apisix/admin/routes/r', route());
  const logged = JSON.stringify(logs);
  assert.ok(logs.some((l) => l.level === 'warn' && l.fields?.['reason'] === 'wrong apikey'), 'rejections are logged');
  assert.ok(!logged.includes(KEY) && !logged.includes('not-the-key-1234'), 'no key, right or wrong, is ever logged');
});

test('the allow function sees the remote address and answers 403', async (t) => {
  const seen: string[] = [];
  let open = false;
  const { call } = await serve(t, {}, { allow: (addr) => {
    seen.push(addr);
    return open;
  } });
  const denied = await call('GET', '/apisix/admin/routes');
  assert.equal(denied.status, 403);
  assert.match(String(get(denied.json, 'error_msg')), /127\.0\.0\.1 is not allowed/);
  assert.equal((await call('GET', '/kafka')).status, 418, 'non-admin paths are not filtered');
  open = true;
  assert.equal((await call('GET', '/apisix/admin/routes')).status, 200);
  assert.deepEqual(seen, ['127.0.0.1', '127.0.0.1']);
});

test('PUT creates (201) and replaces (200); GET returns one route or the list', async (t) => {
  const { call } = await serve(t);
  const created = await call('PUT', '/apisix/admin/routes/r1', route());
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('content-type'), 'application/json');
  assert.equal(created.headers.get('x-api-version'), 'v3');
  assert.equal(get(created.json, 'key'), '/apisix/routes/r1');
  assert.equal(get(created.json, 'value.id'), 'r1');
  assert.equal(typeof get(created.json, 'value.create_time'), 'number');
  assert.deepEqual(get(created.json, 'value.upstream'), route().upstream);
  const replaced = await call('PUT', '/apisix/admin/routes/r1', route('/kafka2'));
  assert.equal(replaced.status, 200);
  assert.equal(get(replaced.json, 'value.uri'), '/kafka2');
  const one = await call('GET', '/apisix/admin/routes/r1');
  assert.equal(one.status, 200);
  assert.deepEqual(one.json, { key: '/apisix/routes/r1', value: get(replaced.json, 'value'), createdIndex: 1, modifiedIndex: 2 });
  await call('PUT', '/apisix/admin/routes/r0', route('/zero'));
  const list = await call('GET', '/apisix/admin/routes');
  assert.equal(get(list.json, 'total'), 2);
  assert.deepEqual((get(list.json, 'list') as Json[]).map((i: Json) => i['key']), ['/apisix/routes/r0', '/apisix/routes/r1']);
  assert.deepEqual(Object.keys(get(list.json, 'list.0') as Json).sort(), ['createdIndex', 'key', 'modifiedIndex', 'value']);
  const missing = await call('GET', '/apisix/admin/routes/none');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { error_msg: 'Key not found', message: 'Key not found' });
});

test('POST generates an id (201); PATCH merges (200) and sets one field by sub-path; DELETE', async (t) => {
  const { call } = await serve(t);
  const posted = await call('POST', '/apisix/admin/routes', route());
  assert.equal(posted.status, 201);
  const id = get(posted.json, 'value.id') as string;
  assert.match(id, /^\d{20}$/);
  assert.equal(get(posted.json, 'key'), `/apisix/routes/${id}`);
  const withId = await call('POST', '/apisix/admin/routes/abc', route('/b'));
  assert.equal(withId.status, 400);
  assert.equal(get(withId.json, 'error_msg'), 'wrong route id, do not need it');
  const bodyId = await call('POST', '/apisix/admin/routes', { ...route('/c'), id: 'abc' });
  assert.equal(bodyId.status, 400);

  const patched = await call('PATCH', `/apisix/admin/routes/${id}`, { desc: 'hello', upstream: { nodes: { 'kafka-server2:9092': 3 } } });
  assert.equal(patched.status, 200);
  assert.equal(get(patched.json, 'value.desc'), 'hello');
  assert.deepEqual(get(patched.json, 'value.upstream.nodes'), { 'kafka-server1:9092': 1, 'kafka-server2:9092': 3 });
  const sub = await call('PATCH', `/apisix/admin/routes/${id}/upstream/tls`, { verify: true });
  assert.equal(sub.status, 200);
  assert.deepEqual(get(sub.json, 'value.upstream.tls'), { verify: true });
  const uri = await call('PATCH', `/apisix/admin/routes/${id}/uri`, '"/moved"');
  assert.equal(get(uri.json, 'value.uri'), '/moved');
  assert.equal((await call('PATCH', '/apisix/admin/routes/none', { desc: 'x' })).status, 404);
  assert.equal((await call('PATCH', '/apisix/admin/routes', { desc: 'x' })).json?.['error_msg'], 'missing route id');
  assert.equal((await call('PATCH', `/apisix/admin/routes/${id}`)).json?.['error_msg'], 'missing new configuration');

  const deleted = await call('DELETE', `/apisix/admin/routes/${id}`);
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.json, { deleted: '1', key: `/apisix/routes/${id}` });
  const again = await call('DELETE', `/apisix/admin/routes/${id}`);
  assert.equal(again.status, 404);
  assert.equal(get(again.json, 'message'), 'Key not found');
  assert.equal((await call('DELETE', '/apisix/admin/routes')).json?.['error_msg'], 'missing route id');
});

test('400: invalid JSON, empty body, missing id, invalid route, read-only and conflicting routes', async (t) => {
  const { call } = await serve(t, { staticRoutes: [{ id: 'cfg', ...route('/cfg') }] });
  const badJson = await call('PUT', '/apisix/admin/routes/r', '{"uri": ');
  assert.equal(badJson.status, 400);
  assert.match(String(get(badJson.json, 'error_msg')), /^invalid request body: /);
  const empty = await call('PUT', '/apisix/admin/routes/r', '');
  assert.deepEqual([empty.status, get(empty.json, 'error_msg')], [400, 'missing configurations']);
  const noId = await call('PUT', '/apisix/admin/routes', route());
  assert.deepEqual([noId.status, get(noId.json, 'error_msg')], [400, 'missing route id']);
  const invalid = await call('PUT', '/apisix/admin/routes/r', set(route(), 'upstream.tls', { verify: 'yes' }));
  assert.deepEqual([invalid.status, invalid.json], [400, { error_msg: 'invalid route: upstream.tls.verify: expected boolean, got string' }]);
  const badId = await call('PUT', '/apisix/admin/routes/a%20b', route());
  assert.equal(badId.status, 400);
  assert.equal(get(badId.json, 'error_msg'), 'invalid route: id: must be 1-64 of a-z A-Z 0-9 - _ .');

  const fromConfig = await call('GET', '/apisix/admin/routes/cfg');
  assert.equal(fromConfig.status, 200);
  assert.equal(get(fromConfig.json, 'value.uri'), '/cfg');
  for (const [method, body] of [['PUT', route('/x')], ['PATCH', { desc: 'x' }], ['DELETE', undefined]] as const) {
    const r = await call(method, '/apisix/admin/routes/cfg', body);
    assert.deepEqual([r.status, get(r.json, 'error_msg')], [400, 'route cfg is read-only: it is defined in the configuration file'], method);
  }
  const conflict = await call('PUT', '/apisix/admin/routes/r', route('/cfg'));
  assert.deepEqual([conflict.status, get(conflict.json, 'error_msg')], [400, 'uri is already used by route cfg']);
  const list = await call('GET', '/apisix/admin/routes');
  assert.deepEqual((get(list.json, 'list') as Json[]).map((i: Json) => get(i, 'value.id')), ['cfg'], 'nothing was written');
});

test('404 for unknown admin paths, 405 for unknown methods, HEAD /apisix/admin is a probe', async (t) => {
  const { call } = await serve(t);
  const upstreams = await call('GET', '/apisix/admin/upstreams');
  assert.deepEqual([upstreams.status, get(upstreams.json, 'error_msg')], [404, 'Unsupported resource type: upstreams']);
  assert.equal((await call('GET', '/apisix/admin')).status, 404);
  assert.equal((await call('GET', '/apisix/admin/routes/r/extra')).status, 404, 'sub-paths only for PATCH');
  const options = await call('OPTIONS', '/apisix/admin/routes');
  assert.equal(options.status, 405);
  assert.equal(options.headers.get('allow'), 'GET, PUT, POST, PATCH, DELETE');
  assert.equal((await call('HEAD', '/apisix/admin', undefined, {})).status, 200);
  assert.equal((await call('OPTIONS', '/apisix/admin/routes', undefined, {})).status, 401, 'the key is checked before the method');
});

test('413 for bodies above 1 MiB, declared or streamed; exactly 1 MiB is fine', async (t) => {
  const { call, base, store } = await serve(t);
  const text = JSON.stringify(route());
  const exact = text + ' '.repeat(1024 * 1024 - Buffer.byteLength(text));
  assert.equal((await call('PUT', '/apisix/admin/routes/big', exact)).status, 201);
  const over = await call('PUT', '/apisix/admin/routes/big2', `${exact} `);
  assert.equal(over.status, 413);
  assert.match(String(get(over.json, 'error_msg')), /larger than 1048576 bytes/);

  // Chunked upload without Content-Length: the limit is enforced while reading.
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= 64 * 1024 * 1024) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(`${base}/apisix/admin/routes/big3`, { method: 'PUT', headers: { 'x-api-key': KEY }, body: stream, duplex: 'half' } as RequestInit);
  assert.equal(res.status, 413);
  await res.text();
  // Socket buffers on loopback absorb a few MiB; far from the 64 MiB offered.
  assert.ok(sent < 32 * 1024 * 1024, `the server stopped reading long before the end (${sent} bytes pulled)`);
  assert.equal(store.get('big3'), undefined);
});

test('list: page and page_size as APISIX 3 (10 to 500, by createdIndex), name/uri/label filters', async (t) => {
  const { call } = await serve(t);
  for (let i = 24; i >= 0; i--) {
    await call('PUT', `/apisix/admin/routes/r${String(i).padStart(2, '0')}`, route(`/r${i}`, { name: i % 2 === 0 ? `even-${i}` : `odd-${i}`, ...(i < 3 ? { labels: { tier: 'gold' } } : {}) }));
  }
  const page2 = await call('GET', '/apisix/admin/routes?page=2&page_size=10');
  assert.equal(get(page2.json, 'total'), 25);
  // Created r24 first, r00 last: by createdIndex page 2 holds r14 .. r05.
  assert.deepEqual((get(page2.json, 'list') as Json[]).map((i: Json) => get(i, 'value.id')), Array.from({ length: 10 }, (_, k) => `r${String(14 - k).padStart(2, '0')}`));
  const page3 = await call('GET', '/apisix/admin/routes?page=3&page_size=10');
  assert.equal(get(page3.json, 'list.length'), 5);
  const tooSmall = await call('GET', '/apisix/admin/routes?page=1&page_size=5');
  assert.deepEqual([tooSmall.status, get(tooSmall.json, 'error_msg')], [400, 'page_size must be between 10 and 500']);
  assert.equal(get((await call('GET', '/apisix/admin/routes?page=1')).json, 'list.length'), 25, 'page alone does not page');
  const even = await call('GET', '/apisix/admin/routes?name=^even-');
  assert.equal(get(even.json, 'total'), 13);
  const gold = await call('GET', '/apisix/admin/routes?label=tier');
  assert.deepEqual((get(gold.json, 'list') as Json[]).map((i: Json) => get(i, 'value.id')), ['r00', 'r01', 'r02']);
  const uri = await call('GET', '/apisix/admin/routes?uri=^/r2');
  assert.equal(get(uri.json, 'total'), 6);
  assert.equal((await call('GET', '/apisix/admin/routes?name=(')).status, 400);
});

test('list filters run in linear time: a catastrophic pattern over long values answers, and right', async (t) => {
  const { call } = await serve(t);
  // A backtracking engine (APISIX's PCRE, V8's RegExp) needs about 2^n steps for these on n
  // characters: 1-2 s at n = 28, far beyond any test timeout at these lengths.
  const long = `/${'a'.repeat(4000)}!`;
  await call('PUT', '/apisix/admin/routes/long', route(long, { name: `${'a'.repeat(99)}!` }));
  await call('PUT', '/apisix/admin/routes/short', route('/aaa', { name: 'aab' }));
  const ids = (r: { json?: Json | undefined }) => (get(r.json, 'list') as Json[]).map((i: Json) => get(i, 'value.id'));
  assert.deepEqual(ids(await call('GET', `/apisix/admin/routes?uri=${encodeURIComponent('^/(a+)+$')}`)), ['short']);
  assert.deepEqual(ids(await call('GET', `/apisix/admin/routes?uri=${encodeURIComponent('^/(a|aa)+!$')}`)), ['long']);
  assert.deepEqual(ids(await call('GET', `/apisix/admin/routes?name=${encodeURIComponent('^(a|aa)+b')}`)), ['short']);
  assert.deepEqual(ids(await call('GET', `/apisix/admin/routes?name=${encodeURIComponent('^(\\w+\\s?)*$')}`)), ['short']);
});

test('list filters outside the supported subset, too long or too complex are 400', async (t) => {
  const { call } = await serve(t);
  const cases: Array<[string, string]> = [
    ['name=(a)%5C1', 'invalid argument name: unsupported: \\1'],
    ['uri=(%3F%3D%2Fa)', 'invalid argument uri: unsupported: (? groups other than (?:'],
    ['uri=a%2B%2B', 'invalid argument uri: unsupported: possessive quantifier'],
    ['name=(', 'invalid argument name: missing )'],
    [`name=${'a'.repeat(257)}`, 'invalid argument name: longer than 256 characters'],
    ['uri=((a{1000}){1000})', 'invalid argument uri: too complex (more than 512 instructions)'],
  ];
  for (const [query, message] of cases) {
    const r = await call('GET', `/apisix/admin/routes?${query}`);
    assert.deepEqual([r.status, r.json], [400, { error_msg: message }], query);
  }
});

test('503 when the store cannot write; 500 and no leak for anything unexpected', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kwp-admin-'));
  const { call, store, logs } = await serve(t, { dataDir: dir });
  rmSync(join(dir, 'routes'), { recursive: true });
  writeFileSync(join(dir, 'routes'), 'not a directory');
  const down = await call('PUT', '/apisix/admin/routes/r', route());
  assert.equal(down.status, 503);
  assert.match(String(get(down.json, 'error_msg')), /cannot write route r/);
  (store as unknown as { put: () => never }).put = () => {
    throw new TypeError('boom with details');
  };
  const broken = await call('PUT', '/apisix/admin/routes/r', route());
  assert.deepEqual([broken.status, broken.json], [500, { error_msg: 'internal error' }]);
  assert.ok(logs.some((l) => l.level === 'error' && l.fields?.['error'] === 'boom with details'));
});

test('an empty admin key is refused at creation', async () => {
  const store = await RouteStore.open();
  assert.throws(() => createAdminHandler({ store, adminKey: '' }), (e: unknown) => e instanceof AdminConfigError && e.code === 'SERVER_ERR_ADMIN_CONFIG');
});
