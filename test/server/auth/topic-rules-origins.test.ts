import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileOrigins } from '../../../src/server/auth/origins.js';
import { bindTopicRules, compileTopicRules } from '../../../src/server/auth/topic-rules.js';
import { RouteValidationError } from '../../../src/server/errors.js';

test('topic rules templated from claims: {sub} and {claims.x} fill in, globs match, other topics do not', () => {
  const rules = compileTopicRules({ consume: ['orders.{sub}', 'tenant-{claims.tenant}.*', 'public', 'ticks-?'], produce: ['inbox.{claims.org.id}'] }, 'authorize');
  const a = bindTopicRules(rules, { sub: 'alice', tenant: 'acme', org: { id: 42 } });
  assert.ok(a.consume('orders.alice'));
  assert.ok(a.consume('tenant-acme.events'));
  assert.ok(a.consume('tenant-acme.x.y'));
  assert.ok(a.consume('public'));
  assert.ok(a.consume('ticks-1'));
  assert.ok(!a.consume('orders.bob'));
  assert.ok(!a.consume('tenant-acmex.events'));
  assert.ok(!a.consume('tenant-other.events'));
  assert.ok(!a.consume('ticks-12'));
  assert.ok(a.produce('inbox.42'));
  assert.ok(!a.produce('orders.alice'), 'consume rules do not allow produce');
  assert.ok(!a.consume('inbox.42'), 'produce rules do not allow consume');
});

test('a claim value never widens a rule: wildcards, dots and odd characters in claims match only themselves', () => {
  const rules = compileTopicRules({ consume: ['orders.{sub}', 'tenant-{claims.tenant}.events'] }, 'authorize');
  for (const sub of ['*', '?', 'a*', '.*', 'alice.*', '..', '{sub}']) {
    const a = bindTopicRules(rules, { sub, tenant: '*' });
    assert.ok(!a.consume('orders.bob'), `sub ${JSON.stringify(sub)} must not reach orders.bob`);
    assert.ok(!a.consume('orders.alice'), `sub ${JSON.stringify(sub)} must not reach orders.alice`);
    assert.ok(!a.consume('tenant-acme.events'), 'tenant "*" must not reach tenant-acme.events');
  }
  // A dot in a claim is a literal dot: orders.{sub} with sub "a.b" allows exactly orders.a.b.
  const dotted = bindTopicRules(rules, { sub: 'a.b' });
  assert.ok(dotted.consume('orders.a.b'));
  assert.ok(!dotted.consume('orders.aXb'));
});

test('a rule the claims cannot fill allows nothing (missing, empty, object, float claims)', () => {
  const rules = compileTopicRules({ consume: ['orders.{sub}', 'orders.{claims.tenant}'] }, 'authorize');
  for (const claims of [{}, { sub: '' }, { sub: { x: 1 } }, { sub: 1.5 }, { sub: null }, { tenant: ['a'] }]) {
    const a = bindTopicRules(rules, claims);
    assert.ok(!a.consume('orders.'), JSON.stringify(claims));
    assert.ok(!a.consume('orders.undefined'), JSON.stringify(claims));
    assert.ok(!a.consume('orders.[object Object]'));
  }
  assert.ok(bindTopicRules(rules, { sub: 7 }).consume('orders.7'), 'an integer claim is its decimal text');
  // Inherited properties are not claims.
  assert.ok(!bindTopicRules(compileTopicRules({ consume: ['x.{claims.toString}'] }, 'a'), {}).consume('x.function toString() { [native code] }'));
});

test('rules are validated with the field path and without echoing the value', () => {
  for (const bad of [{ consume: 'orders' }, { consume: ['orders/x'] }, { consume: ['{user}'] }, { consume: ['{claims.}'] }, { consume: [''] }, { read: ['x'] }, []]) {
    assert.throws(() => compileTopicRules(bad, 'plugins.kafka-proxy.authorize'), (e: unknown) => e instanceof RouteValidationError && e.message.includes('plugins.kafka-proxy.authorize') && !e.message.includes('orders/x'));
  }
});

test('allowed origins: exact origins, subdomain patterns, * ; a missing Origin is not a browser page', () => {
  const check = compileOrigins(['https://app.example.com', 'http://localhost:8080', 'https://*.example.org', '*.example.net'], 'allowed_origins');
  assert.ok(check('https://app.example.com'));
  assert.ok(check('HTTPS://APP.EXAMPLE.COM'), 'origins compare without case');
  assert.ok(check('http://localhost:8080'));
  assert.ok(check('https://a.example.org'));
  assert.ok(check('https://a.b.example.org'));
  assert.ok(check('https://x.example.net'), 'a pattern without scheme means https');
  assert.ok(check(undefined), 'no Origin header: not a browser page');
  assert.ok(!check('https://example.org'), 'a subdomain pattern does not match the domain itself');
  assert.ok(!check('http://a.example.org'), 'the scheme must match');
  assert.ok(!check('http://x.example.net'));
  assert.ok(!check('https://app.example.com:8443'), 'the port must match');
  assert.ok(!check('https://app.example.com.evil.com'));
  assert.ok(!check('https://evilexample.org'));
  assert.ok(!check('null'), 'an opaque origin (sandboxed frame, file:) is not allowed');
  assert.ok(!check('http://localhost:8081'));
  assert.ok(compileOrigins(['*'], 'o')('https://anything.example'));
  assert.ok(compileOrigins(undefined, 'o')('https://anything.example'), 'absent: every origin (APISIX behaviour)');
  for (const bad of [[], 'https://a.com', ['ftp://a.com'], ['https://*'], ['https://a*.com'], ['https://a.com/path']]) {
    assert.throws(() => compileOrigins(bad, 'allowed_origins'), RouteValidationError, JSON.stringify(bad));
  }
});
