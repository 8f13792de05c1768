import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzFrames } from '../../bench/e2e/fuzz-frames.js';
import { decodeRequest } from '../../src/pubsub/protocol/request.js';

/* The isolation phase's fuzz flood (bench/e2e/fuzz-frames.ts), judged by the proxy's own decoder. */

test('fuzzFrames: the same frames from the same seed, small, mostly undecodable, some real commands', () => {
  const assignments = [0, 1].map((partition) => ({ topic: 'bench-1k-none', partition, start: 0, end: 20_000 }));
  const a = fuzzFrames(16, 5000, assignments);
  const b = fuzzFrames(16, 5000, assignments);
  assert.equal(a.length, 5000);
  assert.ok(a.every((f, i) => f.equals(b[i]!)), 'deterministic');
  assert.ok(!fuzzFrames(17, 50, assignments).every((f, i) => f.equals(a[i]!)), 'another seed, other frames');
  assert.ok(a.every((f) => f.length < 1024), 'far below --max-message-bytes');
  const kinds = new Map<string, number>();
  for (const f of a) {
    let kind: string;
    try {
      kind = decodeRequest(f).command?.type ?? 'no command';
    } catch {
      kind = 'undecodable';
    }
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  assert.ok((kinds.get('undecodable') ?? 0) > 2500, `most frames are undecodable: ${JSON.stringify([...kinds])}`);
  for (const k of ['fetch', 'list_offset', 'ping']) assert.ok((kinds.get(k) ?? 0) > 100, `some ${k} commands: ${JSON.stringify([...kinds])}`);
});
