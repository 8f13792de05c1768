import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTopics, globMatch } from '../../../src/server/routes/topics.js';

test('no allow-list admits every topic', () => {
  const allowed = compileTopics(undefined, 'topics');
  assert.equal(allowed('anything'), true);
});

test('exact names and globs', () => {
  const allowed = compileTopics(['orders', 'logs.*', 'metrics-?', '*-dlq', 'a**b'], 'topics');
  const cases: Array<[string, boolean]> = [
    ['orders', true], ['orders2', false], ['Orders', false],
    ['logs.app', true], ['logs.', true], ['logs', false], ['logsXapp', false],
    ['metrics-1', true], ['metrics-10', false], ['metrics-', false],
    ['x-dlq', true], ['-dlq', true], ['dlq', false],
    ['ab', true], ['a.x.b', true], ['a.x.c', false],
    ['logs.a b', false], ['', false],
  ];
  for (const [topic, expected] of cases) assert.equal(allowed(topic), expected, topic);
});

test('a dot in a pattern is literal, not "any character"', () => {
  const allowed = compileTopics(['a.b*'], 'topics');
  assert.equal(allowed('a.bc'), true);
  assert.equal(allowed('axbc'), false);
});

test('globMatch is linear enough for hostile patterns and long topics', () => {
  const started = process.hrtime.bigint();
  assert.equal(globMatch('a*a*a*a*a*a*a*a*a*b', 'a'.repeat(249)), false);
  assert.equal(compileTopics(['a*a*a*a*a*a*a*a*a*b'], 't')('a'.repeat(249)), false);
  assert.equal(compileTopics(['a*'], 't')('a'.repeat(100_000)), false, 'names longer than Kafka allows are refused');
  assert.ok(process.hrtime.bigint() - started < 200_000_000n, 'well under 200 ms');
  assert.equal(globMatch('?', ''), false);
  assert.equal(globMatch('*', ''), true);
  assert.equal(globMatch('a?c', 'abc'), true);
});
