import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ENV_VARIABLES, EXAMPLE_CONFIG, START_HELP, START_OPTIONS } from '../../../src/server/config/index.js';
import { KEY, load, tempDir, writeJson } from './support.js';

test('the help text lists every flag the parser accepts', () => {
  const options = Object.entries(START_OPTIONS);
  assert.ok(options.length >= 19);
  for (const [name, spec] of options) {
    assert.match(START_HELP, new RegExp(`^  (-\\w, )?--${name}\\b`, 'm'), `--${name}`);
    if ('short' in spec && spec.short !== undefined) assert.match(START_HELP, new RegExp(`^  -${spec.short}, --${name}$`, 'm'));
  }
  // And no flag the parser does not know.
  const shown = [...START_HELP.matchAll(/^ {2}(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]);
  assert.deepEqual(shown.sort(), Object.keys(START_OPTIONS).sort());
});

/** A value each variable refuses, so a ConfigError naming it proves it is read. */
const BAD_ENV: Record<string, string> = {
  KAFKA_WS_PROXY_CONFIG: '/nonexistent/kafka-ws-proxy.json',
  KAFKA_WS_PROXY_HOST: 'a b',
  KAFKA_WS_PROXY_PORT: '65536',
  KAFKA_WS_PROXY_DATA_DIR: 'bad\0dir',
  KAFKA_WS_PROXY_ADMIN_KEY: 'short',
  KAFKA_WS_PROXY_ADMIN_ALLOW: '10.0.0.0/99',
  KAFKA_WS_PROXY_ADMIN_HOST: 'a b',
  KAFKA_WS_PROXY_ADMIN_PORT: 'x',
  KAFKA_WS_PROXY_MAX_CONNECTIONS: '0',
  KAFKA_WS_PROXY_MAX_SOCKETS: '0',
  KAFKA_WS_PROXY_MAX_SOCKETS_PER_ADDRESS: '-1',
  KAFKA_WS_PROXY_HEADER_TIMEOUT_MS: '99',
  KAFKA_WS_PROXY_MAX_MESSAGE_BYTES: '1',
  KAFKA_WS_PROXY_MAX_IN_FLIGHT: '0',
  KAFKA_WS_PROXY_MAX_RUNNING: '0',
  KAFKA_WS_PROXY_MAX_UNSENT_BYTES: '1024',
  KAFKA_WS_PROXY_MAX_TOTAL_UNSENT_BYTES: '1024',
  KAFKA_WS_PROXY_MAX_PRODUCE_BYTES: '1023',
  KAFKA_WS_PROXY_KAFKA_CONNECTIONS: '65',
  KAFKA_WS_PROXY_WORKERS: '0',
  KAFKA_WS_PROXY_ROUTE_STORE: '{"kafka": {}}',
  KAFKA_WS_PROXY_ROUTE_STORE_KEYS: 'k1:short',
  KAFKA_WS_PROXY_LOG_LEVEL: 'loud',
  KAFKA_WS_PROXY_DEMO: 'maybe',
};

test('every environment variable the help text names is read, and no other', async () => {
  const documented = [...new Set(START_HELP.match(/KAFKA_WS_PROXY_[A-Z_]+/g))].sort();
  assert.deepEqual(documented, [...ENV_VARIABLES].sort());
  assert.deepEqual(documented, Object.keys(BAD_ENV).sort());
  for (const name of documented) {
    await assert.rejects(load([], { [name]: BAD_ENV[name] }), (e: unknown) => e instanceof ConfigError && e.field === name, name);
  }
});

test('every config-file key the help text names is read', async () => {
  const keys = [...START_HELP.matchAll(/file "([a-z_]+)"/g)].map((m) => m[1]!);
  assert.equal(keys.length, 23);
  for (const key of keys) {
    // null is the wrong type for every setting: an error naming the key, not "unknown key".
    const f = writeJson(tempDir(), 'c.json', JSON.stringify({ [key]: null }));
    await assert.rejects(load(['--config', f]), (e: unknown) => e instanceof ConfigError && e.field === key && !/unknown key/.test(e.message), key);
  }
});

test('the example config file in the help text loads', async () => {
  assert.ok(START_HELP.includes(EXAMPLE_CONFIG));
  const c = await load(['--config', writeJson(tempDir(), 'example.json', EXAMPLE_CONFIG), '--admin-key', KEY]);
  assert.deepEqual(c.adminAllow, ['127.0.0.0/8', '10.0.0.0/8']);
  assert.equal(c.routes[0]?.id, 'orders');
  assert.equal(c.dataDir, '/var/lib/kafka-ws-proxy');
});

test('help lines fit a 100-column terminal', () => {
  const long = START_HELP.split('\n').filter((l) => l.length > 100);
  assert.deepEqual(long, []);
});
