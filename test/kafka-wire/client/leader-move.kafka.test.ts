import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KafkaClient, LATEST } from '../../../src/kafka-wire/index.js';
import {
  BROKER_LINES, bootstrap, electPreferredLeader, ensureBroker, ensureMovedTopic, MOVED_COUNT, MOVED_TOPIC, partitionLeader,
  startSecondBroker, stopSecondBroker,
} from '../../harness/kafka.js';

/**
 * Two brokers: topic `moved` has replicas [2, 1]. The reader follows its leader from node 2 to
 * node 1 when node 2 shuts down, and back to node 2 after a preferred leader election (which
 * node 1 answers ListOffsets with NOT_LEADER_OR_FOLLOWER), delivering every offset once and in order.
 */
for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: partition leader moves between two brokers`, () => {
    test('the client follows the leader and loses or repeats nothing', async () => {
      const info = await ensureBroker(line);
      const node2 = await startSecondBroker(line);
      const client = new KafkaClient({ brokers: [bootstrap(info)], retries: 40, retryBackoffMs: 100, retryBackoffMaxMs: 500, connectTimeoutMs: 2000 });
      try {
        if ((await ensureMovedTopic(line)).leader !== 2) assert.equal(await electPreferredLeader(line), 2);
        let offset = 0n;
        const seen: bigint[] = [];
        const readUntil = async (end: bigint): Promise<void> => {
          while (offset < end) {
            const r = await client.fetch(MOVED_TOPIC, 0, offset, { maxBytes: 1 });
            for (const rec of r.records) {
              seen.push(rec.offset);
              assert.equal(rec.value?.toString(), `moved-${rec.offset}`);
            }
            offset = r.nextOffset;
          }
        };
        const leaderId = async (): Promise<number> => {
          const t = await client.topic(MOVED_TOPIC);
          return t.partitions.get(0)!.leader;
        };

        await readUntil(300n);
        assert.equal(await leaderId(), 2);
        assert.ok((await client.openConnections()).some((c) => c.broker === node2.bootstrap), 'reads went to node 2');

        await stopSecondBroker(line);
        assert.equal((await partitionLeader(line)).leader, 1);
        await readUntil(600n);
        assert.equal(await leaderId(), 1, 'the client learned the new leader');

        await startSecondBroker(line);
        assert.equal(await electPreferredLeader(line), 2);
        // Fetch v11+ may be served by a follower (KIP-392), but ListOffsets only by the leader.
        const retriesBefore = client.stats.retries;
        assert.equal((await client.listOffsets(MOVED_TOPIC, 0, LATEST)).offset, BigInt(MOVED_COUNT));
        assert.ok(client.stats.retries > retriesBefore, 'node 1 answered NOT_LEADER_OR_FOLLOWER and the client retried');
        assert.equal(await leaderId(), 2, 'back on node 2');
        await readUntil(BigInt(MOVED_COUNT));

        assert.deepEqual(seen, Array.from({ length: MOVED_COUNT }, (_, i) => BigInt(i)));
      } finally {
        client.close();
        await stopSecondBroker(line);
      }
    });
  });
}
