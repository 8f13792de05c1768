import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_KEY_FILE, loadOrCreateAdminKey } from '../../../src/server/config/index.js';
import { KEY, load, rejectsConfig, tempDir } from './support.js';

test('without a configured key, the first load generates one (mode 0600), later loads reuse it', async () => {
  const cwd = tempDir();
  const first = await load(['--data-dir', 'state/nested'], {}, cwd);
  assert.equal(first.adminKeySource, 'generated');
  assert.match(first.adminKey, /^[0-9a-f]{64}$/);
  const path = join(cwd, 'state/nested', ADMIN_KEY_FILE);
  assert.equal(readFileSync(path, 'utf8'), `${first.adminKey}\n`);
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(cwd, 'state/nested')), [ADMIN_KEY_FILE], 'no temp file left');
  const second = await load(['--data-dir', 'state/nested'], {}, cwd);
  assert.deepEqual([second.adminKey, second.adminKeySource], [first.adminKey, 'stored']);
  const third = await load(['--data-dir', 'state/nested'], {}, cwd);
  assert.notEqual(third.adminKey, (await load([], {}, tempDir())).adminKey, 'each data directory has its own key');
});

test('concurrent first starts end with one key', async () => {
  const dir = join(tempDir(), 'data');
  const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateAdminKey(dir)));
  const keys = new Set(results.map((r) => r.key));
  assert.equal(keys.size, 1);
  assert.equal(results.filter((r) => r.source === 'generated').length, 1, 'only the winner reports a generated key');
  assert.equal(readFileSync(join(dir, ADMIN_KEY_FILE), 'utf8').trim(), [...keys][0]);
  assert.deepEqual(readdirSync(dir), [ADMIN_KEY_FILE]);
});

test('a configured key never touches the data directory', async () => {
  const cwd = tempDir();
  const c = await load(['--data-dir', 'd'], { KAFKA_WS_PROXY_ADMIN_KEY: KEY }, cwd);
  assert.equal(c.adminKeySource, 'env');
  assert.equal(existsSync(join(cwd, 'd')), false);
});

test('a stored key is trimmed; an unusable one is refused without echoing it', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, ADMIN_KEY_FILE), '  0123456789abcdef0123\r\n');
  assert.deepEqual(await loadOrCreateAdminKey(dir), { key: '0123456789abcdef0123', source: 'stored' });
  writeFileSync(join(dir, ADMIN_KEY_FILE), 'tiny-secret');
  const e = await rejectsConfig(load(['--data-dir', dir]), 'data_dir', /does not hold a usable key .*delete it/);
  assert.doesNotMatch(e.message, /tiny-secret/);
});

test('a data directory that cannot be made is a ConfigError', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), 'x');
  await rejectsConfig(load(['--data-dir', join(dir, 'file')]), 'data_dir', /cannot be (created|read|written)/);
  await rejectsConfig(load(['--data-dir', join(dir, 'file', 'below')]), 'data_dir', /cannot be (created|read)/);
});
