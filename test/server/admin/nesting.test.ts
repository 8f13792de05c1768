import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_JSON_DEPTH } from '../../../src/server/json-input.js';
import { get } from '../json-path.js';
import { route, serve } from './serve.js';

const DEEP = 100_000;
const deepArray = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
const deepObject = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;

/** `route()` with `desc` holding arrays nested so that the whole body is `depth` levels deep. */
function bodyOfDepth(depth: number): string {
  const desc = `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`;
  return JSON.stringify(route('/deep')).replace(/^\{/, `{"desc": ${desc}, `);
}

test('a body nested 100,000 deep is 400 for every method that takes one, and the server carries on', async (t) => {
  const { call } = await serve(t);
  assert.equal((await call('PUT', '/apisix/admin/routes/r', route())).status, 201);
  for (const [method, path] of [['PUT', 'r2'], ['POST', ''], ['PATCH', 'r'], ['PATCH', 'r/labels']]) {
    for (const [what, text] of [['arrays', deepArray], ['objects', deepObject]]) {
      const r = await call(method!, `/apisix/admin/routes${path === '' ? '' : `/${path}`}`, text);
      assert.deepEqual([r.status, r.json], [400, { error_msg: `invalid request body: nested deeper than ${MAX_JSON_DEPTH} levels (at line 1, column ${what === 'arrays' ? MAX_JSON_DEPTH + 1 : 5 * MAX_JSON_DEPTH + 1})` }], `${method} ${path} ${what}`);
    }
  }
  assert.equal((await call('GET', '/apisix/admin/routes/r')).status, 200);
});

test(`${MAX_JSON_DEPTH} levels reach validation; ${MAX_JSON_DEPTH + 1} do not`, async (t) => {
  const { call } = await serve(t);
  const deepest = await call('PUT', '/apisix/admin/routes/r', bodyOfDepth(MAX_JSON_DEPTH));
  assert.deepEqual([deepest.status, get(deepest.json, 'error_msg')], [400, 'invalid route: desc: expected string, got array']);
  const over = await call('PUT', '/apisix/admin/routes/r', bodyOfDepth(MAX_JSON_DEPTH + 1));
  assert.deepEqual([over.status, get(over.json, 'error_msg')], [400, `invalid request body: nested deeper than ${MAX_JSON_DEPTH} levels (at line 1, column ${9 + MAX_JSON_DEPTH})`]);
  // Brackets inside strings are text, not nesting.
  const inString = await call('PUT', '/apisix/admin/routes/r', route('/s', { desc: `"\\[${'['.repeat(200)}` }));
  assert.equal(inString.status, 201);
});

test(`a sub-path deeper than ${MAX_JSON_DEPTH} segments is 400`, async (t) => {
  const { call } = await serve(t);
  await call('PUT', '/apisix/admin/routes/r', route());
  const r = await call('PATCH', `/apisix/admin/routes/r/${'labels/'.repeat(MAX_JSON_DEPTH + 1)}`, '"x"');
  assert.deepEqual([r.status, get(r.json, 'error_msg')], [400, `invalid sub-path: deeper than ${MAX_JSON_DEPTH} levels`]);
});
