import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonInputError } from '../../src/server/errors.js';
import { isPlainName, MAX_JSON_DEPTH, parseJsonInput } from '../../src/server/json-input.js';

function refused(text: string, reason: JsonInputError['reason'], maxDepth?: number): string {
  try {
    parseJsonInput(text, maxDepth);
  } catch (err) {
    assert.ok(err instanceof JsonInputError, String(err));
    assert.equal(err.code, 'SERVER_ERR_JSON_INPUT');
    assert.equal(err.reason, reason, err.message);
    return err.message;
  }
  assert.fail(`${text.slice(0, 40)} was accepted`);
}

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

test('nesting up to the limit parses; one more level is refused where it starts', () => {
  assert.equal(MAX_JSON_DEPTH, 32);
  assert.ok(Array.isArray(parseJsonInput(nested(32))));
  assert.equal(refused(nested(33), 'depth'), 'nested deeper than 32 levels (at line 1, column 33)');
  assert.equal(refused(`{\n  "a": ${nested(3)}\n}`, 'depth', 3), 'nested deeper than 3 levels (at line 2, column 10)');
  assert.deepEqual(parseJsonInput('{"a": [1, {"b": []}]}', 4), { a: [1, { b: [] }] });
  assert.equal(refused('{"a": [1, {"b": []}]}', 'depth', 3), 'nested deeper than 3 levels (at line 1, column 17)');
});

test('brackets inside strings are not nesting, escaped quotes and backslashes included', () => {
  const s = `"\\\\"${'['.repeat(50)}\\"${'{'.repeat(50)}`;
  assert.deepEqual(parseJsonInput(JSON.stringify({ a: s, b: '\\', c: '"[' })), { a: s, b: '\\', c: '"[' });
  // After a string that ends in an escaped backslash, a bracket counts again.
  assert.match(refused(`["\\\\", ${nested(2)}]`, 'depth', 2), /column 9\)$/);
});

test('the depth check comes first, so even text that is not JSON is judged by it', () => {
  assert.match(refused(`${'['.repeat(100_000)}`, 'depth'), /column 33\)$/);
  assert.match(refused('[[[', 'syntax'), /^not valid JSON: unexpected end of input at line 1, column 4$/);
});

test('syntax errors give line and column and at most a structural character, never the text', () => {
  assert.equal(refused('{"password": hunter2}', 'syntax'), 'not valid JSON: unexpected character at line 1, column 14');
  assert.equal(refused('{"a": 1,}', 'syntax'), 'not valid JSON: unexpected "}" at line 1, column 9');
  assert.equal(refused('{"k": "hunter2"', 'syntax'), 'not valid JSON: unexpected end of input at line 1, column 16');
});

test('prototype keys are refused at any depth, also escaped; long arrays are walked without recursion', () => {
  for (const text of ['{"__proto__": 1}', '[{"a": {"constructor": 1}}]', '{"a": [[{"prototype": {}}]]}', '{"\\u005f_proto__": 1}']) {
    assert.match(refused(text, 'key'), /^the key "(__proto__|constructor|prototype)" is not allowed$/, text);
  }
  const long = parseJsonInput(`[${Array.from({ length: 300_000 }, () => '{"a":1}').join(',')}]`);
  assert.equal((long as unknown[]).length, 300_000);
  assert.deepEqual(parseJsonInput('{"proto": 1, "__proto": 2, "Constructor": 3}'), { proto: 1, __proto: 2, Constructor: 3 });
});

test('plain names: letters, _ and -, at most 64; no digits, spaces or other punctuation', () => {
  for (const k of ['uri', 'upstream_id', 'kafka-proxy', 'dataDir', '_meta', 'a'.repeat(64)]) assert.ok(isPlainName(k), k);
  for (const k of ['', 'hunter2', 'k:9092', 'a b', '-x', 'x'.repeat(65), 'ü', 'p@ss']) assert.ok(!isPlainName(k), k);
});
