import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, percentiles } from '../../bench/e2e/histogram.js';

test('withExpectedInterval counts the requests a stalled one-at-a-time client held back', () => {
  const h = new Histogram();
  for (let i = 0; i < 99; i++) h.record(1000);
  h.record(800_000);
  // As measured: one slow sample in a hundred, invisible at p99.
  assert.equal(percentiles(h).p99Ms < 1.1, true);
  const c = Histogram.withExpectedInterval(h.toJSON(), 20_000);
  // 800 ms at one request per 20 ms held back 39 requests of 780, 760, ... 20 ms; the histogram
  // works from its bucket's middle (798.7 ms at 1.6 % resolution), which holds back 38.
  assert.ok(c.count === 100 + 38 || c.count === 100 + 39, `count ${c.count}`);
  assert.ok(percentiles(c).p99Ms > 700, `corrected p99 ${percentiles(c).p99Ms}`);
  assert.ok(Math.abs(c.maxUs - 800_000) / 800_000 < 0.02);
  // Samples shorter than the interval are left alone.
  assert.equal(Histogram.withExpectedInterval(new Histogram().toJSON(), 20_000).count, 0);
  const quick = new Histogram();
  quick.record(5000);
  assert.equal(Histogram.withExpectedInterval(quick.toJSON(), 20_000).count, 1);
});
