import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdempotencyCache } from '../../src/pubsub/idempotency.js';

test('a repeat within the window gets the first result and does not run again; concurrent repeats share one run', async () => {
  const cache = new IdempotencyCache<number>({ windowMs: 1000 });
  let runs = 0;
  let release!: (n: number) => void;
  const op = () => {
    runs++;
    return new Promise<number>((resolve) => (release = resolve));
  };
  const first = cache.run('k', op, 0);
  const second = cache.run('k', op, 10);
  release(42);
  assert.equal(await first, 42);
  assert.equal(await second, 42);
  assert.equal(await cache.run('k', op, 500), 42);
  assert.equal(runs, 1);
  assert.equal(cache.repeats, 2);
  const after = cache.run('k', async () => { runs++; return 7; }, 1001);
  assert.equal(await after, 7, 'after the window the key is new again');
  assert.equal(runs, 2);
});

test('a failed attempt is forgotten, so its retry runs', async () => {
  const cache = new IdempotencyCache<string>();
  await assert.rejects(cache.run('k', () => Promise.reject(new Error('no broker'))));
  assert.equal(await cache.run('k', async () => 'written'), 'written');
});

test('at most maxKeys are kept, the oldest forgotten first', async () => {
  const cache = new IdempotencyCache<number>({ maxKeys: 3, windowMs: 60_000 });
  for (let i = 0; i < 10; i++) await cache.run(`k${i}`, async () => i, i);
  assert.ok(cache.size <= 3, `${cache.size} keys kept`);
  let ran = false;
  assert.equal(await cache.run('k9', async () => { ran = true; return -1; }, 20), 9, 'a recent key is still answered');
  assert.equal(ran, false);
  assert.equal(await cache.run('k0', async () => 100, 21), 100, 'an old key was forgotten');
});

test('maxBytes bounds the kept results by their size, the oldest forgotten first; keep drops results it refuses', async () => {
  const cache = new IdempotencyCache<number>({ windowMs: 60_000, maxBytes: 3000, sizeOf: (n) => n, keep: (n) => n >= 0 });
  for (let i = 0; i < 5; i++) await cache.run(`k${i}`, async () => 1000, i);
  await new Promise((r) => setImmediate(r));
  assert.ok(cache.bytes <= 3000, `${cache.bytes} bytes kept`);
  assert.ok(cache.size >= 1 && cache.size < 5, `${cache.size} keys kept`);
  assert.equal(await cache.run('k4', async () => -5, 10), 1000, 'the newest is kept');
  assert.equal(await cache.run('k0', async () => 7, 11), 7, 'the oldest went');
  assert.equal(await cache.run('neg', async () => -1, 12), -1);
  await new Promise((r) => setImmediate(r));
  assert.equal(await cache.run('neg', async () => 2, 13), 2, 'a refused result is not kept: the retry runs');
});
