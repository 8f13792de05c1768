import assert from 'node:assert/strict';
import type { KafkaRecord } from '../../src/kafka-wire/index.js';
import type { ExpectedRecord } from '../harness/kafka.js';

/** A record as any of our readers hands it over (Kafka client, proxy reply, SDK message), normalized. */
export interface ComparableRecord {
  offset: bigint;
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ReadonlyArray<{ key: string; value: Uint8Array | null }>;
}

/**
 * Asserts that records are exactly what the Java producer wrote, field by field. With
 * `nullAsEmpty`, a null key or value is expected as empty bytes: proto3 cannot carry a null.
 */
export function sameAsProduced(got: readonly ComparableRecord[], want: readonly ExpectedRecord[], where: string, nullAsEmpty = false): void {
  const bytes = (b: Uint8Array | null): Buffer | null => (b === null ? null : Buffer.from(b));
  const expect = (b: Buffer | null): Buffer | null => (b === null && nullAsEmpty ? Buffer.alloc(0) : b);
  assert.equal(got.length, want.length, `${where}: record count`);
  got.forEach((r, i) => {
    const w = want[i]!;
    const at = `${where} offset ${w.offset}`;
    assert.equal(r.offset, w.offset, at);
    assert.equal(r.timestamp, w.timestamp, `${at} timestamp`);
    assert.deepEqual(bytes(r.key), expect(w.key), `${at} key`);
    assert.deepEqual(bytes(r.value), expect(w.value), `${at} value`);
    assert.deepEqual(r.headers.map((h) => ({ key: h.key, value: bytes(h.value) })), w.headers, `${at} headers`);
  });
}

/** Decoded Kafka records against what the Java producer wrote. */
export function sameRecords(got: readonly KafkaRecord[], want: readonly ExpectedRecord[], where: string): void {
  sameAsProduced(got, want, where);
}
