import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTopic, InvalidTopicError, KafkaClient, KafkaProtocolError } from '../../../src/kafka-wire/index.js';
import { BROKER_LINES, bootstrap, ensureBroker, readTopic } from '../../harness/kafka.js';
import { produce } from '../../support/produce.js';

/*
 * createTopic (CreateTopics) against both broker lines: created once, then 'exists'; the partition
 * count and a config taken; Kafka's refusals typed; a name Kafka would refuse never sent.
 */
for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: createTopic`, () => {
    let client: KafkaClient;
    before(async () => {
      const info = await ensureBroker(line);
      client = new KafkaClient({ brokers: [bootstrap(info)], retryBackoffMs: 50 });
    });
    after(() => client?.close());

    test('creates a compacted topic with 3 partitions, then says it exists; a record written there reads back', async () => {
      const topic = `created-${Date.now()}`;
      assert.equal(await createTopic(client, topic, { partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }), 'created');
      assert.equal(await createTopic(client, topic, { partitions: 3 }), 'exists');
      const info = await ensureBroker(line);
      for (let p = 0; p < 3; p++) await produce(info, topic, p, [{ key: Buffer.from(`k${p}`), value: Buffer.from(`v${p}`) }]);
      const got = await readTopic(line, topic);
      assert.deepEqual(got.map((r) => r.partition), [0, 1, 2], 'three partitions, as asked');
      // A compacted topic refuses a record without a key (Kafka: INVALID_RECORD).
      await assert.rejects(produce(info, topic, 0, [{ value: Buffer.from('no key') }]), /87|INVALID_RECORD/);
    });

    test('refusals: a replication factor the cluster cannot meet, an invalid config, an invalid name', async () => {
      await assert.rejects(createTopic(client, `rf-${Date.now()}`, { replicationFactor: 3 }), (e: unknown) => e instanceof KafkaProtocolError && e.errorName === 'INVALID_REPLICATION_FACTOR');
      await assert.rejects(createTopic(client, `cfg-${Date.now()}`, { configs: { 'cleanup.policy': 'sometimes' } }), (e: unknown) => e instanceof KafkaProtocolError && e.errorName === 'INVALID_CONFIG');
      await assert.rejects(createTopic(client, 'bad name!'), InvalidTopicError);
    });
  });
}
