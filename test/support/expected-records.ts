import assert from 'node:assert/strict';
import type { KafkaRecord } from '../../src/kafka-wire/index.js';
import type { ExpectedRecord } from '../harness/kafka.js';

/** Asserts that decoded records are exactly what the Java producer wrote, field by field. */
export function sameRecords(got: readonly KafkaRecord[], want: readonly ExpectedRecord[], where: string): void {
  assert.equal(got.length, want.length, `${where}: record count`);
  got.forEach((r, i) => {
    const w = want[i]!;
    const at = `${where} offset ${w.offset}`;
    assert.equal(r.offset, w.offset, at);
    assert.equal(r.timestamp, w.timestamp, `${at} timestamp`);
    assert.deepEqual(r.key === null ? null : Buffer.from(r.key), w.key, `${at} key`);
    assert.deepEqual(r.value === null ? null : Buffer.from(r.value), w.value, `${at} value`);
    assert.deepEqual(r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })), w.headers, `${at} headers`);
  });
}
