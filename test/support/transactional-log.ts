import { encodeRecordBatch } from '../../src/kafka-wire/index.js';

/**
 * A records field with two transactional producers and their markers: A (producer id 7) commits
 * 0-1 (marker at 2); B (9) writes 3-4 and aborts (marker at 5); A writes 6 and commits (marker
 * at 7). Under read_committed with B's transaction aborted from 3, offsets 0, 1 and 6 remain.
 */
export function transactionalLog(): { buf: Buffer; pidA: bigint; pidB: bigint } {
  const pidA = 7n;
  const pidB = 9n;
  const marker = (base: bigint, pid: bigint, type: number) => encodeRecordBatch({
    baseOffset: base, control: true, transactional: true, producerId: pid, producerEpoch: 0,
    records: [{ key: Buffer.from([0, 0, 0, type]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }],
  });
  const data = (base: bigint, pid: bigint, n: number) => encodeRecordBatch({
    baseOffset: base, transactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0,
    records: Array.from({ length: n }, (_, i) => ({ value: `${pid}-${base + BigInt(i)}` })),
  });
  const buf = Buffer.concat([data(0n, pidA, 2), marker(2n, pidA, 1), data(3n, pidB, 2), marker(5n, pidB, 0), data(6n, pidA, 1), marker(7n, pidA, 1)]);
  return { buf, pidA, pidB };
}
