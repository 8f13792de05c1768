// Real-broker tier: per-user authorization on the OAUTH_JWKS listener of Kafka 3.9 and 4, the
// ground for identity passthrough (issue 18: the browser's JWT becomes the OAUTHBEARER token of
// its own broker connection, so broker ACLs apply per user). The brokers run the StandardAuthorizer
// with allow.everyone.if.no.acl.found=true; the principal of an OAUTHBEARER login is the token's
// sub. Tokens are RS256 JWTs signed with the harness key (harnessJwt); our own client reads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { EARLIEST, KafkaClient, KafkaProtocolError, LATEST, ListOffsetsApi } from '../../src/kafka-wire/index.js';
import { sameAsProduced } from '../support/expected-records.js';
import {
  BROKER_LINES,
  aclAllowRead,
  aclClear,
  bootstrap,
  ensureBroker,
  ensureTopic,
  harnessJwt,
  readExpected,
  readTopic,
  type BrokerInfo,
  type BrokerLine,
  type ExpectedRecord,
} from './kafka.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Only User:alice may read it; no other test uses it. */
const ALICE_ONLY = 'acl-alice-only';
/** Closed to bob, then opened again with aclClear. */
const CLEARED = 'acl-cleared';
const RECORDS = 5;

/** Fills an empty topic with RECORDS records, through PLAINTEXT (User:ANONYMOUS, a super user), with Kafka's Java producer. */
function fill(line: BrokerLine, topic: string): void {
  const r = spawnSync('bash', [join(root, 'scripts/kafka/produce-latency.sh'), line, topic, String(RECORDS), '0'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** What Kafka's Java consumer reads from the topic (over PLAINTEXT), in the form sameAsProduced compares against. */
async function javaRead(line: BrokerLine, topic: string): Promise<ExpectedRecord[]> {
  return (await readTopic(line, topic)).map((r) => ({ ...r, aborted: false, committed: true }));
}

function client(info: BrokerInfo, user: string): KafkaClient {
  return new KafkaClient({ brokers: [bootstrap(info, 'oauthJwks')], sasl: { mechanism: 'OAUTHBEARER', token: harnessJwt(info, user) }, retries: 1 });
}

async function withClient<T>(info: BrokerInfo, user: string, f: (k: KafkaClient) => Promise<T>): Promise<T> {
  const k = client(info, user);
  try {
    return await f(k);
  } finally {
    k.close();
  }
}

function topicAuthorizationFailed(api: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof KafkaProtocolError, String(e));
    assert.deepEqual([e.api, e.errorName, e.errorCode], [api, 'TOPIC_AUTHORIZATION_FAILED', 29]);
    return true;
  };
}

/** ListOffsets (LATEST) sent straight to the leader, with no Metadata first: the partition's error code. */
async function rawListOffsets(k: KafkaClient, topic: string): Promise<number> {
  const conn = await k.anyBroker();
  const res = await conn.request(ListOffsetsApi, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: LATEST }] }],
    timeoutMs: 10_000,
  });
  const p = res.body.topics.find((t) => t.name === topic)?.partitions[0];
  assert.ok(p, 'ListOffsets answered for the partition');
  return p.errorCode;
}

/** Fetch sent straight to the leader by name (no Metadata, so no topic id): the partition's error, or null. */
async function rawFetchError(k: KafkaClient, info: BrokerInfo, topic: string): Promise<Error | null> {
  const r = await k.fetchFrom(bootstrap(info, 'oauthJwks'), [{ topic, partition: 0, offset: 0n }], {});
  try {
    const p = r.partitions.find((x) => x.topic === topic && x.partition === 0);
    assert.ok(p, 'Fetch answered for the partition');
    return p.error ?? null;
  } finally {
    r.release();
  }
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: ACLs per OAUTHBEARER principal on OAUTH_JWKS`, () => {
    let info: BrokerInfo;

    before(async () => {
      info = await ensureBroker(line);
      for (const topic of [ALICE_ONLY, CLEARED]) {
        await ensureTopic(line, topic);
        if ((await javaRead(line, topic)).length === 0) fill(line, topic);
      }
      await aclAllowRead(line, ALICE_ONLY, 'alice');
    }, { timeout: 300_000 });

    it('a topic with an ACL for User:alice: alice reads it (Metadata, ListOffsets, Fetch); bob gets TOPIC_AUTHORIZATION_FAILED from each', async () => {
      const want = await javaRead(line, ALICE_ONLY);
      assert.equal(want.length, RECORDS);
      await withClient(info, 'alice', async (k) => {
        assert.equal((await k.topic(ALICE_ONLY)).partitions.size, 1);
        assert.deepEqual([(await k.listOffsets(ALICE_ONLY, 0, EARLIEST)).offset, (await k.listOffsets(ALICE_ONLY, 0, LATEST)).offset], [0n, BigInt(RECORDS)]);
        const r = await k.fetch(ALICE_ONLY, 0, 0n);
        try {
          sameAsProduced(r.records, want, `${ALICE_ONLY} as alice`);
        } finally {
          r.release();
        }
        assert.equal(await rawListOffsets(k, ALICE_ONLY), 0);
        assert.equal(await rawFetchError(k, info, ALICE_ONLY), null);
      });
      await withClient(info, 'bob', async (k) => {
        await assert.rejects(k.topic(ALICE_ONLY), topicAuthorizationFailed('Metadata'));
        await assert.rejects(k.fetch(ALICE_ONLY, 0, 0n), topicAuthorizationFailed('Metadata'));
        assert.equal(await rawListOffsets(k, ALICE_ONLY), 29, 'ListOffsets: TOPIC_AUTHORIZATION_FAILED');
        assert.ok(topicAuthorizationFailed('Fetch')(await rawFetchError(k, info, ALICE_ONLY)));
      });
    });

    it('a topic without ACLs is read by alice and bob alike', async () => {
      const want = readExpected(info, 'plain');
      for (const user of ['alice', 'bob']) {
        await withClient(info, user, async (k) => {
          assert.equal((await k.listOffsets('plain', 0, LATEST)).offset, BigInt(want.length));
          const r = await k.fetch('plain', 0, 0n);
          try {
            sameAsProduced(r.records, want, `plain as ${user}`);
          } finally {
            r.release();
          }
        });
      }
    });

    it('aclClear opens a topic again: bob is refused while alice has an ACL on it, and reads it after', async () => {
      await aclAllowRead(line, CLEARED, 'alice');
      await withClient(info, 'bob', async (k) => {
        assert.equal(await rawListOffsets(k, CLEARED), 29);
      });
      assert.equal(await aclClear(line, CLEARED), 2, 'READ and DESCRIBE deleted');
      assert.equal(await aclClear(line, CLEARED), 0, 'idempotent');
      await withClient(info, 'bob', async (k) => {
        assert.equal(await rawListOffsets(k, CLEARED), 0);
        const r = await k.fetch(CLEARED, 0, 0n);
        try {
          sameAsProduced(r.records, await javaRead(line, CLEARED), `${CLEARED} as bob`);
        } finally {
          r.release();
        }
      });
    });
  });
}
