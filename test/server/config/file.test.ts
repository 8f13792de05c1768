import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEY, load, rejectsConfig, tempDir, writeJson } from './support.js';

function file(text: string): string {
  return writeJson(tempDir(), 'kwp.json', text);
}

test('an unknown key is refused, naming the key and the file, with a hint', async () => {
  const f = file('{"prot": 1}');
  const e = await rejectsConfig(load(['--config', f]), 'prot', /unknown key "prot"/);
  assert.ok(e.message.includes(f), e.message);
  assert.match(e.message, /known keys: host, port, data_dir/);
  await rejectsConfig(load(['--config', file('{"dataDir": "x"}')]), 'dataDir', /did you mean "data_dir"\?/);
});

test('__proto__, constructor and prototype are refused as keys anywhere in the file', async () => {
  for (const text of ['{"__proto__": {"port": 1}}', '{"routes": [{"id": "a", "constructor": {}}]}', '{"port": 1, "routes": [{"id": "a", "x": [{"prototype": 1}]}]}']) {
    await rejectsConfig(load(['--config', file(text)]), '--config', /: the key "(__proto__|constructor|prototype)" is not allowed$/);
  }
  assert.equal(({} as Record<string, unknown>)['port'], undefined);
});

test('invalid JSON: the message names the file, line and column, and quotes no secret', async () => {
  const f = file('{\n  "port": 9080,\n}\n');
  const e = await rejectsConfig(load(['--config', f]), '--config', /is not valid JSON: unexpected "}" at line 3, column 1/);
  assert.ok(e.message.includes(f));
  const secret = file('{"admin_key": "supersecretvalue123", "port": }');
  const s = await rejectsConfig(load([], { KAFKA_WS_PROXY_CONFIG: secret }), 'KAFKA_WS_PROXY_CONFIG', /unexpected "}" at line 1, column 46/);
  assert.doesNotMatch(s.message, /supersecret/);
  assert.equal(s.cause, undefined, 'V8 quotes the text in its message, so it is not kept as the cause');
  await rejectsConfig(load(['--config', file('{"port": 1')]), '--config', /unexpected end of input at line 1, column 11/);
  await rejectsConfig(load(['--config', file('')]), '--config', /unexpected end of input at line 1, column 1/);
  const bare = await rejectsConfig(load(['--config', file('{"admin_key": supersecretvalue123}')]), '--config', /is not valid JSON: unexpected character at line 1, column 15$/);
  assert.doesNotMatch(bare.message, /"s"|supersecret/, 'not even the first character of a value');
});

test('a missing or unreadable file is refused, naming the file and where it was given', async () => {
  const dir = tempDir();
  const missing = `${dir}/nope.json`;
  const e = await rejectsConfig(load(['--config', missing]), '--config', /does not exist/);
  assert.ok(e.message.includes(missing));
  await rejectsConfig(load([], { KAFKA_WS_PROXY_CONFIG: missing }), 'KAFKA_WS_PROXY_CONFIG', /\(from KAFKA_WS_PROXY_CONFIG\) does not exist/);
  await rejectsConfig(load(['--config', dir]), '--config', /is a directory/);
});

test('the file must hold an object, and values must have the right JSON types', async () => {
  await rejectsConfig(load(['--config', file('[1]')]), '--config', /must hold a JSON object/);
  await rejectsConfig(load(['--config', file('null')]), '--config', /must hold a JSON object/);
  await rejectsConfig(load(['--config', file('{"admin_allow": "10.0.0.0/8"}')]), 'admin_allow', /not an array of CIDR strings/);
  await rejectsConfig(load(['--config', file('{"admin_allow": ["10.0.0.0/8", 7]}')]), 'admin_allow', /not an array of CIDR strings/);
  await rejectsConfig(load(['--config', file('{"log_level": 1}')]), 'log_level', /log_level: the value \(a number\) is not a string/);
  await rejectsConfig(load(['--config', file('{"max_in_flight": 1.5}')]), 'max_in_flight', /max_in_flight: the value \(a number\) is not an in-flight limit/);
  await rejectsConfig(load(['--config', file('{"host": null}')]), 'host', /host: the value \(null\) is not a string/);
  await rejectsConfig(load(['--config', file('{"demo": {"a": 1}}')]), 'demo', /demo: the value \(an object\) is not a boolean/);
});

test('static routes come back as given; each needs a unique string id', async () => {
  const routes = [{ id: 'a', uri: '/a', upstream: { nodes: { 'k:9092': 1 }, type: 'none', scheme: 'kafka' } }, { id: 'b', anything: [1, 2] }];
  const c = await load(['--config', file(JSON.stringify({ routes })), '--admin-key', KEY]);
  assert.deepEqual(c.routes, routes);
  await rejectsConfig(load(['--config', file('{"routes": {}}')]), 'routes', /not an array of route objects/);
  await rejectsConfig(load(['--config', file('{"routes": [1]}')]), 'routes[0]', /not a route object/);
  await rejectsConfig(load(['--config', file('{"routes": [{"uri": "/a"}]}')]), 'routes[0].id', /needs a non-empty string id/);
  await rejectsConfig(load(['--config', file('{"routes": [{"id": 1}]}')]), 'routes[0].id', /non-empty string id/);
  await rejectsConfig(load(['--config', file('{"routes": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}')]), 'routes[2].id', /routes\[2\]\.id: is the id of routes\[0\] too/);
});

test('a config file nested 100,000 deep is refused by its depth, not with a crash', async () => {
  const deep = 100_000;
  const e = await rejectsConfig(load(['--config', file(`{"routes": ${'['.repeat(deep)}${']'.repeat(deep)}}`)]), '--config', /: nested deeper than 34 levels \(at line 1, column 45\)$/);
  assert.equal(e.cause, undefined);
  // Routes sit two levels down in the file, so a route the admin API takes fits here too.
  const route = { id: 'a', uri: '/a', upstream: { nodes: { 'k:9092': 1 }, scheme: 'kafka' }, desc: JSON.parse(`${'['.repeat(31)}${']'.repeat(31)}`) as unknown };
  assert.deepEqual((await load(['--config', file(JSON.stringify({ routes: [route] })), '--admin-key', KEY])).routes, [route]);
});

test('a byte order mark at the start is accepted', async () => {
  const c = await load(['--config', file('\ufeff{"port": 7, "admin_key": "0123456789abcdef"}')]);
  assert.deepEqual([c.port, c.adminKeySource], [7, 'file']);
});
