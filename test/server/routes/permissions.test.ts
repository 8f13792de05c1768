import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_KEY_FILE, loadOrCreateAdminKey } from '../../../src/server/config/index.js';
import { DataDirError } from '../../../src/server/errors.js';
import { createProxy } from '../../../src/server/proxy.js';
import { createLogger } from '../../../src/server/log.js';
import { RouteStore } from '../../../src/server/routes/store.js';

const posix = process.platform !== 'win32';

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

function body(uri: string) {
  return { uri, upstream: { nodes: { 'k1:9092': 1 }, type: 'none', scheme: 'kafka' }, plugins: { 'kafka-proxy': { sasl: { username: 'u', password: 'p' } } } };
}

/** Runs `fn` with the process umask set to `mask`, restoring it after. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const before = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(before);
  }
}

for (const mask of [0o000, 0o022, 0o077, 0o277]) {
  test(`with umask ${mask.toString(8).padStart(3, '0')} the data directory is 0700 and every file in it 0600, wherever the key came from`, { skip: !posix && 'POSIX modes' }, async () => {
    await withUmask(mask, async () => {
      // A configured key: only the route store creates the directory (and a missing parent).
      const configured = join(mkdtempSync(join(tmpdir(), 'kwp-perm-')), 'parent', 'data');
      const store = await RouteStore.open({ dataDir: configured });
      await store.put('r1', body('/a'));
      await store.put('r1', body('/b'));
      assert.deepEqual([mode(join(configured, '..')), mode(configured), mode(join(configured, 'routes'))], ['0700', '0700', '0700']);
      assert.deepEqual(readdirSync(join(configured, 'routes')), ['r1.json']);
      assert.equal(mode(join(configured, 'routes', 'r1.json')), '0600');
      assert.deepEqual(store.warnings, []);

      // No configured key: the key file is made first, then the store opens the same directory.
      const generated = join(mkdtempSync(join(tmpdir(), 'kwp-perm-')), 'data');
      await loadOrCreateAdminKey(generated);
      await (await RouteStore.open({ dataDir: generated })).put('r2', body('/c'));
      assert.deepEqual([mode(generated), mode(join(generated, ADMIN_KEY_FILE)), mode(join(generated, 'routes')), mode(join(generated, 'routes', 'r2.json'))], ['0700', '0600', '0700', '0600']);
    });
  });
}

test('a data directory left open by an older version is made private on open, files included', { skip: !posix && 'POSIX modes' }, async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'kwp-perm-')), 'data');
  mkdirSync(join(dir, 'routes'), { recursive: true });
  writeFileSync(join(dir, ADMIN_KEY_FILE), '0123456789abcdef0123\n');
  const seeded = await RouteStore.open({ dataDir: join(mkdtempSync(join(tmpdir(), 'kwp-perm-')), 'seed') });
  const { route } = await seeded.put('r1', body('/a'));
  writeFileSync(join(dir, 'routes', 'r1.json'), JSON.stringify({ createdIndex: 1, modifiedIndex: 1, value: route.value }));
  for (const p of [dir, join(dir, 'routes')]) chmodSync(p, 0o755);
  for (const p of [join(dir, ADMIN_KEY_FILE), join(dir, 'routes', 'r1.json')]) chmodSync(p, 0o644);

  assert.equal((await loadOrCreateAdminKey(dir)).source, 'stored');
  const store = await RouteStore.open({ dataDir: dir });
  assert.equal(store.get('r1')?.uri, '/a');
  assert.deepEqual(store.warnings, []);
  assert.deepEqual([mode(dir), mode(join(dir, ADMIN_KEY_FILE)), mode(join(dir, 'routes')), mode(join(dir, 'routes', 'r1.json'))], ['0700', '0600', '0700', '0600']);
});

test('a shared directory given as the data directory is not changed, but reported', { skip: !posix && 'POSIX modes' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwp-perm-'));
  writeFileSync(join(dir, 'someone-elses.txt'), 'x');
  chmodSync(dir, 0o755);
  const store = await RouteStore.open({ dataDir: dir });
  assert.equal(mode(dir), '0755', 'a directory that holds other files may be shared: not ours to chmod');
  assert.equal(mode(join(dir, 'routes')), '0700', 'our own subdirectory is private all the same');
  assert.equal(store.warnings.length, 1);
  const w = store.warnings[0];
  assert.ok(w instanceof DataDirError);
  assert.equal(w.code, 'SERVER_ERR_DATA_DIR');
  assert.equal(w.dir, dir);
  assert.match(w.message, /is open to other users \(mode 0755\)/);

  const lines: string[] = [];
  const proxy = await createProxy({ dataDir: dir, logger: createLogger({ level: 'info', write: (l) => lines.push(l) }) });
  await proxy.close(0);
  const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['level'] === 'warn');
  assert.deepEqual(warned.map((l) => [l['msg'], l['dir']]), [['data directory is not private', dir]]);
});
