import assert from 'node:assert/strict';
import type { ReadRecord } from '../harness/kafka.js';
import { sameAsProduced } from './expected-records.js';

/** What a consumer handed over, as the SDK's Message has it. */
export interface Delivered {
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ReadonlyArray<{ key: string; value: Uint8Array | null }>;
}

/** Offsets delivered more than once, and offsets Kafka holds that never came, over every partition. */
export function deliveryCounts(got: readonly Delivered[], want: readonly ReadRecord[]): { duplicates: number; missing: number } {
  const seen = new Map<string, number>();
  for (const m of got) seen.set(`${m.partition}@${m.offset}`, (seen.get(`${m.partition}@${m.offset}`) ?? 0) + 1);
  let duplicates = 0;
  for (const n of seen.values()) duplicates += n - 1;
  const missing = want.filter((r) => !seen.has(`${r.partition}@${r.offset}`)).length;
  return { duplicates, missing };
}

/**
 * Asserts that `got` is every record of `want` (Kafka's Java consumer's reading of the topic)
 * once, in offset order within each partition, field by field (a null key or value comes as empty
 * bytes: proto3 cannot carry a null): no gap, no duplicate.
 */
export function exactlyOnceInOrder(got: readonly Delivered[], want: readonly ReadRecord[], where: string): void {
  assert.deepEqual(deliveryCounts(got, want), { duplicates: 0, missing: 0 }, `${where}: duplicates and gaps`);
  for (const partition of new Set(want.map((r) => r.partition))) {
    const expected = want.filter((r) => r.partition === partition).map((r) => ({ ...r, aborted: false, committed: true }));
    sameAsProduced(got.filter((m) => m.partition === partition), expected, `${where} partition ${partition}`, true);
  }
}
