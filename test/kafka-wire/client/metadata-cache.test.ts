import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetadataCache } from '../../../src/kafka-wire/client/metadata.js';
import { defaultMessage, MetadataResponse } from '../../../src/kafka-wire/index.js';

/** A Metadata response (v12) describing `topics` with their error codes, one partition each. */
function response(topics: Array<[string, number]>): ReturnType<typeof defaultMessage<typeof MetadataResponse.fields>> {
  const body = defaultMessage(MetadataResponse, 12);
  body.brokers = [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }];
  body.topics = topics.map(([name, errorCode]) => ({
    name, errorCode, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, topicAuthorizedOperations: 0,
    partitions: errorCode === 0 ? [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] : [],
  }));
  return body;
}

test('only topics described without an error are kept; an error removes an earlier entry', () => {
  const cache = new MetadataCache(10);
  cache.update(response([['ok', 0], ['unknown', 3], ['invalid', 17], ['denied', 29]]), 1);
  assert.equal(cache.size, 1);
  assert.equal(cache.peek('ok')?.partitions.get(0)?.leader, 1);
  assert.equal(cache.brokers.get(1)?.port, 9092);
  cache.update(response([['ok', 5]]), 2);
  assert.equal(cache.peek('ok'), undefined);
  assert.equal(cache.size, 0);
});

test('at most maxTopics entries; the least recently used goes first', () => {
  const cache = new MetadataCache(3);
  for (const t of ['a', 'b', 'c']) cache.update(response([[t, 0]]), 1);
  assert.ok(cache.use('a'));
  assert.equal(cache.peek('b')?.name, 'b', 'peek leaves the order alone');
  cache.update(response([['d', 0]]), 2);
  assert.deepEqual(['a', 'b', 'c', 'd'].filter((t) => cache.peek(t) !== undefined), ['a', 'c', 'd'], 'b, used least recently, went');
  cache.invalidate('c');
  assert.equal(cache.peek('c')?.fetchedAt, -Infinity);
  cache.update(response([['e', 0], ['f', 0]]), 3);
  assert.deepEqual(['a', 'c', 'd', 'e', 'f'].filter((t) => cache.peek(t) !== undefined), ['d', 'e', 'f']);
  for (let i = 0; i < 1000; i++) {
    cache.update(response([[`t${i}`, 0]]), 4);
    assert.ok(cache.size <= 3);
  }
  assert.equal(cache.size, 3);
});
