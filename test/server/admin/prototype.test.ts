import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { get } from '../json-path.js';
import { route, serve } from './serve.js';

const BUILT_INS = [Object.prototype, Function.prototype, Array.prototype] as const;

/**
 * Fails the test if anything was added to a built-in prototype, and removes it again either
 * way: the server runs in this process, so a pollution must not leak into later tests.
 */
function guardPrototypes(t: TestContext): () => void {
  const before = BUILT_INS.map((p) => new Set(Reflect.ownKeys(p)));
  const added = (): string[] => BUILT_INS.flatMap((p, i) => Reflect.ownKeys(p).filter((k) => !before[i]!.has(k)).map(String));
  const clean = (): void => {
    BUILT_INS.forEach((p, i) => {
      for (const k of Reflect.ownKeys(p)) if (!before[i]!.has(k)) delete (p as Record<PropertyKey, unknown>)[k];
    });
  };
  t.after(clean);
  return () => {
    const found = added();
    clean();
    assert.deepEqual(found, [], 'nothing was added to a built-in prototype');
  };
}

test('PATCH /routes/{id}/__proto__/... cannot fill in missing fields of every later route', async (t) => {
  const check = guardPrototypes(t);
  const { call, store } = await serve(t);
  assert.equal((await call('PUT', '/apisix/admin/routes/r1', route('/a'))).status, 201);
  const polluting = await call('PATCH', '/apisix/admin/routes/r1/__proto__/upstream', route().upstream);
  // Had the patch reached Object.prototype, a route without an upstream would now pass.
  const noUpstream = await call('PUT', '/apisix/admin/routes/r2', { uri: '/b' });
  assert.deepEqual([noUpstream.status, get(noUpstream.json, 'error_msg')], [400, 'invalid route: upstream: required']);
  assert.equal(({} as Record<string, unknown>)['upstream'], undefined, 'Object.prototype.upstream stays unset');
  assert.deepEqual([polluting.status, get(polluting.json, 'error_msg')], [400, 'invalid sub-path: "__proto__" is not allowed as a path segment']);
  assert.equal(store.get('r2'), undefined);
  check();
});

test('a refused PATCH through __proto__ leaves nothing behind that blocks later writes', async (t) => {
  const check = guardPrototypes(t);
  const { call } = await serve(t);
  assert.equal((await call('PUT', '/apisix/admin/routes/r1', route('/a'))).status, 201);
  // A `status` on Object.prototype fails this very validation (400), but stays there, and every
  // later body without its own `status` inherits it and is refused.
  const refused = await call('PATCH', '/apisix/admin/routes/r1/__proto__/status', '"off"');
  assert.equal(refused.status, 400);
  const later = await call('PUT', '/apisix/admin/routes/r3', route('/c'));
  assert.deepEqual([later.status, get(later.json, 'error_msg')], [201, undefined], 'later PUTs still work');
  assert.equal(({} as Record<string, unknown>)['status'], undefined, 'Object.prototype.status stays unset');
  assert.match(String(get(refused.json, 'error_msg')), /"__proto__" is not allowed as a path segment/);
  check();
});

test('__proto__, constructor and prototype are refused as path segments, also percent-encoded', async (t) => {
  const check = guardPrototypes(t);
  const { call } = await serve(t);
  assert.equal((await call('PUT', '/apisix/admin/routes/r1', route('/a'))).status, 201);
  for (const path of ['__proto__/x', 'constructor/prototype/x', 'upstream/constructor', 'upstream/__proto__/nodes', '%5F%5Fproto%5F%5F/x', 'labels/prototype']) {
    const r = await call('PATCH', `/apisix/admin/routes/r1/${path}`, '{"a": 1}');
    assert.equal(r.status, 400, path);
    assert.match(String(get(r.json, 'error_msg')), /^invalid sub-path: "(__proto__|constructor|prototype)" is not allowed as a path segment$/, path);
  }
  for (const id of ['__proto__', 'constructor', 'prototype']) {
    for (const method of ['PUT', 'PATCH'] as const) {
      const r = await call(method, `/apisix/admin/routes/${id}`, route('/p'));
      assert.equal(r.status, 400, `${method} ${id}`);
      assert.match(String(get(r.json, 'error_msg')), /is not allowed as a path segment/, `${method} ${id}`);
    }
    assert.equal((await call('GET', `/apisix/admin/routes/${id}`)).status, 400, `GET ${id}`);
    assert.equal((await call('DELETE', `/apisix/admin/routes/${id}`)).status, 400, `DELETE ${id}`);
  }
  const unchanged = await call('GET', '/apisix/admin/routes/r1');
  assert.deepEqual(Object.keys(get(unchanged.json, 'value') as object).sort(), ['create_time', 'id', 'update_time', 'upstream', 'uri']);
  check();
});

test('__proto__, constructor and prototype are refused as keys anywhere in a body', async (t) => {
  const check = guardPrototypes(t);
  const { call, store } = await serve(t);
  assert.equal((await call('PUT', '/apisix/admin/routes/r1', route('/a'))).status, 201);
  const bodies: Array<[string, string, string]> = [
    ['PUT', 'r2', '{"uri": "/b", "__proto__": {"upstream": {"nodes": {"k:9092": 1}, "scheme": "kafka"}}}'],
    ['PUT', 'r2', '{"uri": "/b", "upstream": {"nodes": {"k:9092": 1}, "scheme": "kafka"}, "labels": {"constructor": "x"}}'],
    ['POST', '', '{"uri": "/b", "upstream": {"nodes": [{"host": "k", "port": 9092, "weight": 1, "prototype": 1}], "scheme": "kafka"}}'],
    ['PATCH', 'r1', '{"__proto__": {"status": 0}}'],
    ['PATCH', 'r1', '{"upstream": {"nodes": {"__proto__": {"polluted": true}}}}'],
    ['PATCH', 'r1/labels', '{"constructor": {"prototype": {"polluted": true}}}'],
    // JSON escapes spell the same key; the check sees the parsed key, not the text.
    ['PATCH', 'r1', '{"\\u005f_proto__": {"status": 0}}'],
  ];
  for (const [method, path, text] of bodies) {
    const r = await call(method, `/apisix/admin/routes${path === '' ? '' : `/${path}`}`, text);
    assert.equal(r.status, 400, text);
    assert.match(String(get(r.json, 'error_msg')), /^invalid request body: the key "(__proto__|constructor|prototype)" is not allowed$/, text);
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.deepEqual(store.list().map((r) => r.id), ['r1'], 'nothing was written');
  assert.equal(store.get('r1')?.enabled, true);
  check();
});
