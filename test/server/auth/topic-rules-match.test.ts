import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindTopicRules, compileTopicRules } from '../../../src/server/auth/topic-rules.js';
import { Rng } from '../../support/random.js';

/*
 * The bound matcher (char codes, a prefix fast path, legality checked only where a wildcard
 * matched) against a plain reference: a topic is allowed when it is a legal Kafka topic name and
 * a regular expression made from a rule, with each claim's text escaped, matches it whole.
 */
const NAME = /^[a-zA-Z0-9._-]{1,249}$/;

function reference(rules: readonly string[], claims: Record<string, unknown>, topic: string): boolean {
  if (!NAME.test(topic)) return false;
  return rules.some((rule) => {
    let re = '';
    for (const part of rule.split(/(\{[^}]+\})/)) {
      if (part.startsWith('{')) {
        const path = part === '{sub}' ? ['sub'] : part.slice(1, -1).split('.').slice(1);
        let v: unknown = claims;
        for (const k of path) v = typeof v === 'object' && v !== null && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
        const text = typeof v === 'string' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : '';
        if (text === '') return false;
        re += text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
      } else {
        re += part.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.');
      }
    }
    return new RegExp(`^${re}$`, 's').test(topic);
  });
}

test('the matcher agrees with a regular-expression reference on generated rules, claims and topics', () => {
  const seed = 18;
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)]!;
  const atoms = ['a', 'b', '.', '-', '_', '*', '?', '{sub}', '{claims.t}', 'ab', 'x1'];
  const claimValues = ['a', 'b.a', 'a*', '?', 'é', 'a/b', '', 'ab-', 7, 1.5, 'x'.repeat(250)];
  const topicAtoms = ['a', 'b', '.', '-', '_', 'ab', 'x1', '*', '?', 'é', '/', ' ', 'b.a'];
  let allowed = 0;
  for (let i = 0; i < 3000; i++) {
    const rules = Array.from({ length: rng.int(1, 4) }, () => Array.from({ length: rng.int(1, 5) }, () => pick(atoms)).join(''));
    const claims = { sub: pick(claimValues), t: pick(claimValues) };
    const bound = bindTopicRules(compileTopicRules({ consume: rules }, 'authorize'), claims);
    for (let j = 0; j < 10; j++) {
      const topic = Array.from({ length: rng.int(0, 6) }, () => pick(topicAtoms)).join('');
      const want = reference(rules, claims, topic);
      if (want) allowed++;
      assert.equal(bound.consume(topic), want, `seed ${seed}: rules ${JSON.stringify(rules)}, claims ${JSON.stringify(claims)}, topic ${JSON.stringify(topic)}`);
    }
  }
  assert.ok(allowed > 500, `the generated cases allow some topics (${allowed})`);
});

test('wildcards never match a character no topic name holds; * may match nothing; names stay within 249 characters', () => {
  const a = bindTopicRules(compileTopicRules({ consume: ['acme.*', 'bench-*-*', 'x?', '*'] }, 'authorize'), {});
  assert.ok(a.consume('acme.'), 'a trailing * matches nothing');
  assert.ok(a.consume('bench--'));
  for (const bad of ['acme.a/b', 'acme.é', 'bench-a b-c', 'x*', 'x?', '', 'a'.repeat(250), 'acme.\u0000']) assert.ok(!a.consume(bad), JSON.stringify(bad));
  assert.ok(a.consume('a'.repeat(249)));
});

test('a claim holding a character no topic name holds leaves its rule allowing nothing, exact or pattern', () => {
  const rules = compileTopicRules({ consume: ['orders.{sub}', 'tenant-{claims.t}.*', 'public'] }, 'authorize');
  const a = bindTopicRules(rules, { sub: 'a/b', t: 'ac me' });
  assert.ok(!a.consume('orders.a/b'));
  assert.ok(!a.consume('tenant-ac me.x'));
  assert.ok(a.consume('public'), 'the other rules still apply');
  const long = bindTopicRules(rules, { sub: 'x'.repeat(243) });
  assert.ok(long.consume(`orders.${'x'.repeat(242)}`) === false && !long.consume(`orders.${'x'.repeat(243)}`), 'a 250-character name is no topic');
});
