import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESTART_LIMITS, RestartPolicy } from '../../../src/server/workers/restart-policy.js';

test('each restart within the window waits twice as long, up to the cap; one more than the limit gives up', () => {
  const p = new RestartPolicy({ firstDelayMs: 100, maxDelayMs: 700, windowMs: 10_000, maxRestarts: 5 });
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => p.exited(i * 1000)), [100, 200, 400, 700, 700]);
  assert.equal(p.exited(5000), undefined);
  assert.equal(p.recentExits, 6);
});

test('exits older than the window are forgotten: a worker that crashes now and then is always restarted', () => {
  const p = new RestartPolicy({ firstDelayMs: 100, maxDelayMs: 10_000, windowMs: 1000, maxRestarts: 2 });
  for (let i = 0; i < 50; i++) assert.equal(p.exited(i * 1000), 100, `exit ${i}`);
  assert.equal(p.exited(49_500), 200);
  assert.equal(p.exited(49_900), undefined);
});

test('the defaults: 0.5 s first, at most 10 s, more than 5 exits in a minute give up', () => {
  assert.deepEqual(RESTART_LIMITS, { firstDelayMs: 500, maxDelayMs: 10_000, windowMs: 60_000, maxRestarts: 5 });
  const p = new RestartPolicy();
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => p.exited(i)), [500, 1000, 2000, 4000, 8000]);
  assert.equal(p.exited(5), undefined);
});
