import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidTopicError, invalidTopicReason, MAX_TOPIC_NAME_LENGTH } from '../../../src/kafka-wire/index.js';

test("topic names follow Kafka's rule: 1-249 of [a-zA-Z0-9._-], not '.' or '..'", () => {
  const valid = ['a', 'plain', 'A-Z_a-z.0-9', '...', '.a', '-', '_', '__consumer_offsets', 'x'.repeat(MAX_TOPIC_NAME_LENGTH)];
  for (const name of valid) assert.equal(invalidTopicReason(name), undefined, name);
  const invalid: Array<[string, RegExp]> = [
    ['', /empty/],
    ['.', /'\.' is not allowed/],
    ['..', /'\.\.' is not allowed/],
    ['x'.repeat(MAX_TOPIC_NAME_LENGTH + 1), /250 characters, more than the 249 allowed/],
    ['y'.repeat(40_000), /40000 characters/],
    ['a b', /character 1 is not/],
    ['plain\n', /character 5 is not/],
    ['é', /character 0 is not/],
    ['a/b', /character 1/],
    ['a\u0000', /character 1/],
    ['topic\u{1F600}', /character 5/],
    ['a:b', /character 1/],
  ];
  for (const [name, reason] of invalid) assert.match(invalidTopicReason(name) ?? 'valid', reason, JSON.stringify(name.slice(0, 20)));
});

test('an InvalidTopicError keeps the whole name but quotes at most 64 characters of it', () => {
  const name = `a b${'x'.repeat(30_000)}`;
  const e = new InvalidTopicError(name, invalidTopicReason(name)!);
  assert.equal(e.code, 'KWIRE_ERR_INVALID_TOPIC');
  assert.equal(e.topic, name);
  assert.ok(e.message.length < 200, e.message);
  assert.match(e.message, /^topic name "a bx+"\.\.\. is invalid: 30003 characters/);
  assert.equal(new InvalidTopicError('a b', 'character 1 is not one of ...').message, 'topic name "a b" is invalid: character 1 is not one of ...');
});
