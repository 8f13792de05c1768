import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KafkaClient } from '../../../src/kafka-wire/index.js';
import { BIG_COUNT, BROKER_LINES, bootstrap, ensureBroker, stopBroker } from '../../harness/kafka.js';

/**
 * The broker is stopped in the middle of a read of `big` and started again while the reader
 * keeps fetching: the client must ride it out on its retries and deliver every offset once.
 */
for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: broker restart mid-stream`, () => {
    test('the reader recovers and continues at the right offset, nothing lost or repeated', async (t) => {
      const info = await ensureBroker(line);
      const client = new KafkaClient({ brokers: [bootstrap(info)], retries: 40, retryBackoffMs: 100, retryBackoffMaxMs: 500, connectTimeoutMs: 2000 });
      let expected = 0n;
      let restarted: Promise<unknown> | undefined;
      let failedFetches = 0;
      for (let offset = 0n; offset < BigInt(BIG_COUNT);) {
        if (restarted === undefined && offset >= 30_000n) {
          await stopBroker(line);
          restarted = ensureBroker(line);
        }
        const t0 = performance.now();
        const r = await client.fetch('big', 0, offset, { maxBytes: 32 * 1024 });
        if (performance.now() - t0 > 500) failedFetches++;
        for (const rec of r.records) {
          assert.equal(rec.offset, expected, 'offsets arrive once each, in order');
          expected++;
        }
        offset = r.nextOffset;
      }
      await restarted;
      assert.equal(expected, BigInt(BIG_COUNT));
      assert.ok(failedFetches >= 1, 'the restart happened while the reader was waiting on it');
      t.diagnostic(`Kafka ${line}: fetches that waited out the restart: ${failedFetches}`);
      client.close();
    });
  });
}
