import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Connection, FetchApi, KafkaClient, LATEST, MetadataApi, UnknownTopicError } from '../../../src/kafka-wire/index.js';
import { BROKER_LINES, bootstrap, ensureBroker, SEEDED_TOPICS, type BrokerInfo } from '../../harness/kafka.js';

/*
 * Topic names come from PubSub clients, so the client must treat them as hostile (issue 16): a
 * name Kafka would refuse is refused here before any request or cache, a string Kafka's readers
 * cannot take never reaches a connection other callers share, and the metadata cache is bounded.
 */

/** Names Kafka refuses (Topic.java: 1-249 of [a-zA-Z0-9._-], not "." or ".."); a real 3.9/4.x broker answers each with INVALID_TOPIC_EXCEPTION. */
const INVALID = ['', '.', '..', 'a b', 'a'.repeat(250), 'é', 'a/b', 'plain\n', 'x y '.repeat(7500), 'y'.repeat(40_000)];
/** Edge cases Kafka accepts: asked about, and answered "does not exist". */
const VALID_MISSING = ['a'.repeat(249), '...', '-', '_', 'kwp-no-such-topic.v1_A-z'];

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => assert.fail('expected a failure'), (x: unknown) => x);
  return (e as { code?: string }).code ?? String(e);
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: hostile topic names`, () => {
    let info: BrokerInfo;

    before(async () => {
      info = await ensureBroker(line);
    });

    test('a string longer than 32,767 bytes is refused by the encoder (compact form too) and the shared connection carries on', async () => {
      const c = await Connection.connect({ host: info.host, port: info.ports.plaintext });
      try {
        const version = c.version(MetadataApi);
        assert.ok(version >= 9, 'Metadata is flexible (compact strings) on both lines');
        const md = await c.request(MetadataApi, { topics: [{ name: 'plain', topicId: ZERO_UUID }], allowAutoTopicCreation: false }, { version });
        const hw = (await c.request(FetchApi, {
          maxWaitMs: 0, minBytes: 1, maxBytes: 1024, isolationLevel: 0,
          topics: [{ topic: 'plain', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
        }, { version: 12 })).body.responses[0]!.partitions[0]!.highWatermark;
        // Another caller's fetch, waiting on the broker when the oversize request comes.
        const waiting = c.request(FetchApi, {
          maxWaitMs: 1500, minBytes: 1, maxBytes: 1024, isolationLevel: 0,
          topics: [{ topic: 'plain', partitions: [{ partition: 0, fetchOffset: hw, partitionMaxBytes: 1024 }] }],
        }, { version: 12 });
        const started = Date.now();
        await new Promise((r) => setTimeout(r, 100));
        const oversize = c.request(MetadataApi, { topics: [{ name: 'y'.repeat(32_768), topicId: ZERO_UUID }], allowAutoTopicCreation: false }, { version });
        assert.equal(await codeOf(oversize), 'KWIRE_ERR_ENCODE');
        const fetched = await waiting;
        assert.equal(fetched.body.responses[0]!.partitions[0]!.errorCode, 0);
        assert.ok(Date.now() - started >= 1000, 'the fetch waited its maxWaitMs on the broker');
        const longest = await c.request(MetadataApi, { topics: [{ name: 'z'.repeat(32_767), topicId: ZERO_UUID }], allowAutoTopicCreation: false }, { version });
        assert.equal(longest.body.topics[0]!.errorCode, 17, '32,767 bytes still go out; Kafka answers INVALID_TOPIC_EXCEPTION');
        assert.equal(c.closed, false);
        assert.equal((await c.request(MetadataApi, { topics: [{ name: 'plain', topicId: ZERO_UUID }] }, { version })).body.topics[0]!.topicId, md.body.topics[0]!.topicId);
      } finally {
        c.close();
      }
    });

    test('a topic name Kafka would refuse fails at once with KWIRE_ERR_INVALID_TOPIC: no Metadata request, nothing cached', async () => {
      const client = new KafkaClient({ brokers: [bootstrap(info)] });
      try {
        await client.listOffsets('plain', 0, LATEST);
        const requests = client.stats.metadataRequests;
        for (const name of INVALID) {
          const where = `${JSON.stringify(name.slice(0, 12))} (${name.length} characters)`;
          assert.equal(await codeOf(client.fetch(name, 0, 0n)), 'KWIRE_ERR_INVALID_TOPIC', `fetch ${where}`);
          assert.equal(await codeOf(client.fetchBatches(name, 0, 0n)), 'KWIRE_ERR_INVALID_TOPIC', `fetchBatches ${where}`);
          assert.equal(await codeOf(client.listOffsets(name, 0, LATEST)), 'KWIRE_ERR_INVALID_TOPIC', `listOffsets ${where}`);
          const err = (await client.topic(name).then(() => assert.fail('expected a failure'), (e: unknown) => e)) as Error & { code?: string; topic?: string };
          assert.equal(err.code, 'KWIRE_ERR_INVALID_TOPIC', `topic ${where}`);
          assert.equal(err.topic, name);
          assert.ok(err.message.length < 300, `the message quotes a bounded part of the name (${err.message.length} characters)`);
        }
        assert.equal(client.stats.metadataRequests, requests, 'no Metadata request for an invalid name');
        assert.equal(client.stats.retries, 0);
        assert.equal(client.metadataTopics, 1);
        for (const name of VALID_MISSING) {
          const err = await client.fetch(name, 0, 0n).catch((e: unknown) => e);
          assert.ok(err instanceof UnknownTopicError, `${name.slice(0, 12)}: ${String(err)}`);
        }
        assert.equal(client.stats.metadataRequests, requests + VALID_MISSING.length, 'valid names are asked about');
        assert.equal((await client.listOffsets('plain', 0, LATEST)).offset > 0n, true);
      } finally {
        client.close();
      }
    });

    test('one caller\'s oversize name fails that call only: the others\' pipelined fetches succeed on the same connection, with no retry', async () => {
      const client = new KafkaClient({ brokers: [bootstrap(info)] });
      try {
        const hw = (await client.listOffsets('plain', 0, LATEST)).offset;
        const [conn] = await client.openConnections();
        const others = Array.from({ length: 8 }, (_, i) => client.fetch('plain', 0, i % 2 === 0 ? 0n : hw, { maxWaitMs: 300 }));
        const hostile = Array.from({ length: 4 }, (_, i) => codeOf(client.fetch(`${i} ${'y'.repeat(40_000)}`, 0, 0n)));
        const more = Array.from({ length: 8 }, () => client.fetch('plain', 0, 0n));
        assert.deepEqual(await Promise.all(hostile), Array(4).fill('KWIRE_ERR_INVALID_TOPIC'));
        for (const r of await Promise.all([...others, ...more])) assert.ok(r.nextOffset >= 0n);
        assert.equal(client.stats.retries, 0, 'nobody had to retry');
        assert.deepEqual(await client.openConnections(), [conn], 'the same connection, never replaced');
      } finally {
        client.close();
      }
    });

    test('the metadata cache holds at most metadataMaxTopics topics: missing ones are not kept, the least recently used existing one goes first', async () => {
      const client = new KafkaClient({ brokers: [bootstrap(info)], metadataMaxTopics: 4 });
      try {
        for (let i = 0; i < 300; i++) {
          const err = await client.listOffsets(`kwp-missing-${i}`, 0, LATEST).catch((e: unknown) => e);
          assert.ok(err instanceof UnknownTopicError, String(err));
          assert.equal(client.metadataTopics, 0);
        }
        for (const t of SEEDED_TOPICS) {
          await client.listOffsets(t, 0, LATEST);
          assert.ok(client.metadataTopics <= 4, `${client.metadataTopics} topics cached after ${t}`);
        }
        assert.equal(client.metadataTopics, 4);
        // Cached now: the last four. Using the oldest of them makes the next one the least recently used.
        const [a, b, c, d] = SEEDED_TOPICS.slice(-4) as [string, string, string, string];
        const requests = client.stats.metadataRequests;
        for (const t of [a, b, c, d, a]) await client.listOffsets(t, 0, LATEST);
        assert.equal(client.stats.metadataRequests, requests, 'all four served from the cache');
        await client.listOffsets(SEEDED_TOPICS[0], 0, LATEST);
        assert.equal(client.stats.metadataRequests, requests + 1);
        await client.listOffsets(a, 0, LATEST);
        assert.equal(client.stats.metadataRequests, requests + 1, `${a}, used last, stayed`);
        await client.listOffsets(b, 0, LATEST);
        assert.equal(client.stats.metadataRequests, requests + 2, `${b}, the least recently used, was evicted`);
        assert.equal(client.metadataTopics, 4);
      } finally {
        client.close();
      }
    });

    test('metadataMaxTopics must be a positive integer', () => {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => new KafkaClient({ brokers: [bootstrap(info)], metadataMaxTopics: bad }), { code: 'KWIRE_ERR_CONFIG' }, String(bad));
      }
    });
  });
}
