import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  ActiveGroupError, GroupOffsets, KafkaClient, KafkaProtocolError, OffsetCommitApi, OffsetFetchApi, OffsetMetadataTooLargeError,
  UnknownPartitionError, UnknownTopicError, type CommittedOffset,
} from '../../../src/kafka-wire/index.js';
import {
  BROKER_LINES, bootstrap, ensureBroker, ensureTopic, readCommittedOffsets, startGroupMember, type BrokerInfo, type JavaCommittedOffset,
} from '../../harness/kafka.js';

/**
 * GroupOffsets against real Kafka 3.9.x and 4.x, each commit read back by Kafka's own Java Admin
 * client (listConsumerGroupOffsets), and each live group a Java KafkaConsumer. Brokers keep their
 * data between runs, so every group id is new.
 */
const TOPIC = 'group-offsets';
const PARTITIONS = 3;

const newGroup = (what: string): string => `go-${what}-${randomBytes(4).toString('hex')}`;

/** Our view of a commit, in the Java Admin client's terms: -1 epoch as null. */
const asJava = (c: CommittedOffset): JavaCommittedOffset => ({
  topic: c.topic, partition: c.partition, offset: c.offset, leaderEpoch: c.leaderEpoch === -1 ? null : c.leaderEpoch, metadata: c.metadata,
});

async function rejection<T extends Error>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const e = await p.then(() => assert.fail(`expected ${type.name}`), (x: unknown) => x);
  assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
  return e;
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: group offsets without joining the group`, () => {
    let info: BrokerInfo;
    let client: KafkaClient;
    let offsets: GroupOffsets;

    before(async () => {
      info = await ensureBroker(line);
      await ensureTopic(line, TOPIC, PARTITIONS);
      client = new KafkaClient({ brokers: [bootstrap(info)], retryBackoffMs: 50 });
      offsets = new GroupOffsets(client);
    });
    after(() => client.close());

    test('commit, then fetch: several partitions, metadata, leader epochs; Kafka\'s Admin client reads the same', async () => {
      const group = newGroup('commit');
      await offsets.commit(group, [
        { topic: TOPIC, partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'first' },
        { topic: TOPIC, partition: 1, offset: 0n, metadata: 'ünïcødé ✓' },
        { topic: TOPIC, partition: 2, offset: 2n ** 62n, leaderEpoch: 0, metadata: null },
      ]);
      const ours = await offsets.fetch(group, TOPIC);
      assert.deepEqual(ours, [
        { topic: TOPIC, partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'first' },
        { topic: TOPIC, partition: 1, offset: 0n, leaderEpoch: -1, metadata: 'ünïcødé ✓' },
        { topic: TOPIC, partition: 2, offset: 2n ** 62n, leaderEpoch: 0, metadata: '' },
      ]);
      assert.deepEqual(await readCommittedOffsets(line, group), ours.map(asJava));
      // Some partitions, in the order asked.
      assert.deepEqual((await offsets.fetch(group, TOPIC, [2, 0])).map((c) => [c.partition, c.offset]), [[2, 2n ** 62n], [0, 42n]]);
      // A second commit moves one partition and leaves the others.
      await offsets.commit(group, [{ topic: TOPIC, partition: 1, offset: 7n, leaderEpoch: 5, metadata: 'second' }]);
      const java = await readCommittedOffsets(line, group);
      assert.deepEqual(java.map((j) => [j.partition, j.offset, j.leaderEpoch, j.metadata]), [[0, 42n, 3, 'first'], [1, 7n, 5, 'second'], [2, 2n ** 62n, 0, '']]);
    });

    test('the versions used: topic ids (v10) where the broker offers them, names (v9) on 3.9', async () => {
      const conn = await client.anyBroker();
      const expected = line === '4' ? 10 : 9;
      assert.equal(conn.version(OffsetCommitApi), expected, 'OffsetCommit');
      assert.equal(conn.version(OffsetFetchApi), expected, 'OffsetFetch');
      assert.notEqual((await client.topic(TOPIC)).topicId, 'AAAAAAAAAAAAAAAAAAAAAA', 'Metadata gave a topic id');
    });

    test('a group that never committed: offset -1 for every partition, and nothing in Kafka\'s view', async () => {
      const group = newGroup('unknown');
      const got = await offsets.fetch(group, TOPIC);
      assert.deepEqual(got, [0, 1, 2].map((partition) => ({ topic: TOPIC, partition, offset: -1n, leaderEpoch: -1, metadata: '' })));
      assert.deepEqual(await readCommittedOffsets(line, group), []);
    });

    test('the coordinator is looked up once per group, then taken from the cache', async () => {
      const group = newGroup('cache');
      const before = offsets.coordinators.lookups;
      await offsets.commit(group, [{ topic: TOPIC, partition: 0, offset: 1n }]);
      await offsets.fetch(group, TOPIC, [0]);
      await offsets.commit(group, [{ topic: TOPIC, partition: 0, offset: 2n }]);
      assert.equal(offsets.coordinators.lookups - before, 1);
      offsets.coordinators.forget(group);
      assert.equal((await offsets.fetch(group, TOPIC, [0]))[0]?.offset, 2n);
      assert.equal(offsets.coordinators.lookups - before, 2);
    });

    test('an unknown topic or partition is refused before anything is committed', async () => {
      const group = newGroup('unknown-topic');
      const e = await rejection(offsets.commit(group, [
        { topic: TOPIC, partition: 0, offset: 5n },
        { topic: 'group-offsets-no-such-topic', partition: 0, offset: 5n },
      ]), UnknownTopicError);
      assert.equal(e.code, 'KWIRE_ERR_UNKNOWN_TOPIC');
      const p = await rejection(offsets.commit(group, [{ topic: TOPIC, partition: 0, offset: 5n }, { topic: TOPIC, partition: PARTITIONS, offset: 5n }]), UnknownPartitionError);
      assert.equal(p.partition, PARTITIONS);
      await rejection(offsets.fetch(group, 'group-offsets-no-such-topic'), UnknownTopicError);
      await rejection(offsets.fetch(group, TOPIC, [0, 7]), UnknownPartitionError);
      assert.deepEqual(await readCommittedOffsets(line, group), [], 'the valid partition was not committed either');
    });

    test('metadata over offset.metadata.max.bytes: that partition is refused, the other committed', async () => {
      const group = newGroup('too-large');
      const e = await rejection(offsets.commit(group, [
        { topic: TOPIC, partition: 0, offset: 10n, metadata: 'x'.repeat(4097) },
        { topic: TOPIC, partition: 1, offset: 11n, metadata: 'y'.repeat(4096) },
      ]), OffsetMetadataTooLargeError);
      assert.equal(e.code, 'KWIRE_ERR_OFFSET_METADATA_TOO_LARGE');
      assert.deepEqual(e.partitions, [{ topic: TOPIC, partition: 0 }]);
      assert.ok(e.cause instanceof KafkaProtocolError && e.cause.errorName === 'OFFSET_METADATA_TOO_LARGE');
      assert.deepEqual((await readCommittedOffsets(line, group)).map((j) => [j.partition, j.offset, j.metadata.length]), [[1, 11n, 4096]]);
    });

    const protocols = line === '4' ? (['classic', 'consumer'] as const) : (['classic'] as const);
    for (const protocol of protocols) {
      test(`a group with a live Java consumer (${protocol} protocol) refuses the commit; once it left, the commit goes through`, async (t) => {
        const group = newGroup(`active-${protocol}`);
        const member = await startGroupMember(line, group, TOPIC, protocol, 120);
        let e: ActiveGroupError;
        try {
          e = await rejection(offsets.commit(group, [{ topic: TOPIC, partition: 0, offset: 3n }, { topic: TOPIC, partition: 1, offset: 4n }]), ActiveGroupError);
          // Reading is fine while it runs.
          assert.deepEqual((await offsets.fetch(group, TOPIC, [0])).map((c) => c.offset), [-1n]);
        } finally {
          await member.stop();
        }
        assert.equal(e.code, 'KWIRE_ERR_GROUP_ACTIVE');
        assert.ok(e.cause instanceof KafkaProtocolError);
        assert.equal(e.cause.errorName, 'UNKNOWN_MEMBER_ID', 'what this broker answers a memberless commit into a live group');
        t.diagnostic(`Kafka ${line}, ${protocol} group with a member (${member.assigned}): ${e.cause.message}`);
        assert.deepEqual(await readCommittedOffsets(line, group), [], 'nothing was committed while the member ran');
        // The member left on close(), so the group is empty and takes a simple commit.
        await offsets.commit(group, [{ topic: TOPIC, partition: 0, offset: 3n }]);
        assert.deepEqual((await readCommittedOffsets(line, group)).map((j) => [j.partition, j.offset]), [[0, 3n]]);
      });
    }
  });
}
