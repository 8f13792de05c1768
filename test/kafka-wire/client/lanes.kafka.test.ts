import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { KafkaClient, LATEST, Producer, TailFetcher } from '../../../src/kafka-wire/index.js';
import { BROKER_LINES, bootstrap, ensureBroker, ensureTopic } from '../../harness/kafka.js';

/**
 * Kafka answers a connection's requests one at a time, in order, and a Fetch with min_bytes not
 * yet available holds its connection until max_wait_ms. A client's long poll must therefore not
 * hold up the producer or the shared tail reads of the same KafkaClient: each has a connection
 * of its own. The long poll here waits for more bytes than will ever arrive, so it can only end
 * at its max_wait_ms; the produce acknowledgement and the tail delivery must both come first.
 * Before the lanes, with one connection per broker, both queued behind it.
 */
for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: produce and tail reads beside a long poll`, () => {
    test('a record is acknowledged and delivered to a tail reader while a long poll holds the general connection', async () => {
      const info = await ensureBroker(line);
      const topic = `kwp-lanes-${randomBytes(4).toString('hex')}`;
      await ensureTopic(line, topic, 1);
      const client = new KafkaClient({ brokers: [bootstrap(info)], connectionsPerBroker: 1 });
      const producer = new Producer(client, { lingerMs: 0 });
      const tail = new TailFetcher(client, { maxWaitMs: 200 });
      const events: string[] = [];
      try {
        const end = await client.listOffsets(topic, 0, LATEST);
        let resolveDelivered!: () => void;
        const delivered = new Promise<void>((r) => { resolveDelivered = r; });
        tail.track(topic, 0, end.offset, {
          records(read) {
            if (read.batches.length > 0) {
              events.push('tail delivered');
              resolveDelivered();
            }
          },
          outOfRange() {},
          gone(e) { events.push(`tail gone: ${e.message}`); },
          failed(e) { events.push(`tail failed: ${e.message}`); },
        });
        // Let the tail read and the general connection open before the poll takes it over.
        await client.topic(topic);
        const poll = client.fetchBatches(topic, 0, end.offset, { maxWaitMs: 8000, minBytes: 64 * 1024 * 1024 }).then((r) => {
          events.push('long poll answered');
          r.release();
        });
        await new Promise((r) => setTimeout(r, 300));
        const [ack] = await producer.send(topic, 0, [{ key: 'k', value: 'beside a long poll' }]);
        events.push('produce acknowledged');
        assert.equal(ack?.error, undefined, ack?.error?.message);
        await delivered;
        await poll;
        assert.deepEqual(events.slice(-1), ['long poll answered'], `order: ${events.join(', ')}`);
        assert.deepEqual(new Set(events.slice(0, 2)), new Set(['produce acknowledged', 'tail delivered']), `order: ${events.join(', ')}`);
      } finally {
        tail.close();
        await producer.close({ timeoutMs: 2000 });
        client.close();
      }
    });
  });
}
