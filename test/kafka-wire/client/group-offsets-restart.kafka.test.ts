import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { GroupOffsets, KafkaClient } from '../../../src/kafka-wire/index.js';
import { BROKER_LINES, bootstrap, ensureBroker, ensureTopic, readCommittedOffsets, stopBroker } from '../../harness/kafka.js';

/**
 * The coordinator's broker goes away between two commits and comes back: the second commit must
 * ride it out on the client's retries, forget the cached coordinator when its connection fails,
 * find it again (through whatever the restarting broker answers: COORDINATOR_NOT_AVAILABLE or
 * COORDINATOR_LOAD_IN_PROGRESS while it loads the offsets topic) and commit. A coordinator moving
 * to another broker needs a second broker holding the offsets topic, which the harness does not
 * set up; groupRetry's decisions are unit-tested in group-offsets.test.ts.
 */
for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: group offsets through a broker restart`, () => {
    test('a commit sent while the broker is down completes after it restarts, on a coordinator looked up again', async (t) => {
      const info = await ensureBroker(line);
      await ensureTopic(line, 'group-offsets', 3);
      const client = new KafkaClient({ brokers: [bootstrap(info)], retries: 60, retryBackoffMs: 100, retryBackoffMaxMs: 500, connectTimeoutMs: 2000 });
      const offsets = new GroupOffsets(client);
      const group = `go-restart-${randomBytes(4).toString('hex')}`;
      try {
        await offsets.commit(group, [{ topic: 'group-offsets', partition: 0, offset: 1n }]);
        // A fresh broker may answer COORDINATOR_NOT_AVAILABLE while it creates the offsets topic,
        // so the first commit can take more than one lookup; what matters is a new one after the stop.
        const before = offsets.coordinators.lookups;
        assert.ok(before >= 1);
        await stopBroker(line);
        const restarted = ensureBroker(line);
        await offsets.commit(group, [{ topic: 'group-offsets', partition: 0, offset: 2n, metadata: 'after the restart' }]);
        await restarted;
        assert.ok(offsets.coordinators.lookups > before, `the coordinator was looked up again (${offsets.coordinators.lookups} lookups)`);
        assert.ok(client.stats.retries >= 1, 'the commit waited on retries');
        t.diagnostic(`Kafka ${line}: ${client.stats.retries} retries, ${offsets.coordinators.lookups} FindCoordinator requests`);
        assert.deepEqual((await readCommittedOffsets(line, group)).map((j) => [j.partition, j.offset, j.metadata]), [[0, 2n, 'after the restart']]);
      } finally {
        client.close();
      }
    });
  });
}
