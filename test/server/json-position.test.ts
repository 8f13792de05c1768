import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonErrorOffset, lineColumn } from '../../src/server/json-position.js';

const VALID = [
  '{}', '[]', '0', '-0.5e+10', '"a\\u00e9\\n"', 'true', ' null ', '{"a": [1, 2, {"b": false}], "c": "x"}',
  '\n{\n  "port": 9080,\n  "routes": [{"id": "a"}]\n}\n',
];

test('valid JSON has no error offset', () => {
  for (const t of VALID) assert.equal(jsonErrorOffset(t), -1, t);
});

test('offsets of typical mistakes', () => {
  const cases: Array<[string, number]> = [
    ['', 0], ['{', 1], ['{"a":}', 5], ['{"a":1,}', 7], ['[1 2]', 3], ['{"a" 1}', 5], ["{'a': 1}", 1],
    ['01', 1], ['1.', 2], ['-', 1], ['tru', 3], ['"\\x"', 2], ['"a\u0001"', 2], ['"\\u12g4"', 5], ['{"a":1} x', 8], ['[1,]', 3],
  ];
  for (const [t, at] of cases) {
    assert.throws(() => JSON.parse(t), SyntaxError, t);
    assert.equal(jsonErrorOffset(t), at, JSON.stringify(t));
  }
});

test('agrees with JSON.parse on every one-character deletion of a config file', () => {
  const doc = `${VALID.at(-1)!}`;
  for (let i = 0; i < doc.length; i++) {
    const t = doc.slice(0, i) + doc.slice(i + 1);
    let ok = true;
    try {
      JSON.parse(t);
    } catch {
      ok = false;
    }
    assert.equal(jsonErrorOffset(t) === -1, ok, JSON.stringify(t));
  }
});

test('lineColumn counts from 1', () => {
  assert.deepEqual(lineColumn('ab\ncd\n', 0), { line: 1, column: 1 });
  assert.deepEqual(lineColumn('ab\ncd\n', 4), { line: 2, column: 2 });
  assert.deepEqual(lineColumn('ab\ncd\n', 6), { line: 3, column: 1 });
});
