import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { ClientClosedError, connect, type Message, type PubSubClient } from '../../src/client/index.js';
import { bootstrap, ensureBroker, ensureTopic, readCommittedOffsets, readTopic, type BrokerInfo } from '../harness/kafka.js';
import { deliveryCounts, exactlyOnceInOrder } from '../support/delivery.js';
import { GroupConsumer } from '../support/group-consumer.js';
import { PacedProducer } from '../support/paced-producer.js';
import { produce } from '../support/produce.js';
import { kafkaRoute } from '../support/proxy-fixture.js';
import { ReplicaSet } from '../support/replica-set.js';

/*
 * Consumer groups across proxy replicas: the offsets live in Kafka, so a commit made through one
 * replica is what every other one reads; and a group consumer that dies with its replica and
 * starts again through HAProxy (a page reloaded without a cursor of its own) skips nothing and
 * gets again only what it had taken since its last commit.
 */
const CYCLES = 24;
const PARTITIONS = 3;
const INTERVAL_MS = 500;
/*
 * The bound on what a hop redelivers. The SDK commits the position the loop has taken every
 * INTERVAL_MS while messages come (GroupCommitter), so when a life crashes, the records it took
 * since the snapshot of its last acknowledged commit are those it took in at most INTERVAL_MS,
 * plus that commit's round trip and the commit timer's lateness when the crash caught the next
 * commit in flight. The consumer keeps up with the producer (pushes, no polling), so those records
 * were written in that window, give or take the push latency. Hence: redelivered records per hop
 * <= records the producer had acknowledged from INTERVAL_MS + SLACK_MS before the crash to
 * SLACK_MS after it (an acknowledgement may reach the producer after the push reached the
 * consumer). SLACK_MS covers round trip, lateness and push latency on a loaded 2-core machine.
 * The producer waits 5 ms after each acknowledgement, so that count is at most
 * (INTERVAL_MS + 2 * SLACK_MS) / 5 = 200 whatever the broker's speed; the test asserts the count
 * of actual writes, which is tighter. Each life lives at least 2 * INTERVAL_MS, so it has
 * committed what it took of the backlog it started with before it dies.
 */
const SLACK_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('replicas behind HAProxy: consumer group offsets in Kafka', () => {
  let info: BrokerInfo;
  let set: ReplicaSet;

  before(async () => {
    info = await ensureBroker('4');
    const route = { ...kafkaRoute('/kafka', [bootstrap(info)], { plugin: { groups: ['rep-*'] } }), id: 'groups' };
    set = await ReplicaSet.start({ routes: [route] });
  });
  after(async () => {
    await set?.stop();
  });

  test('a commit through one replica is what the others read, and where a subscription on a third starts', async () => {
    const topic = 'rep-grp-direct';
    await ensureTopic('4', topic, 2);
    const group = `rep-direct-${Date.now()}`;
    const base = [await produce(info, topic, 0, Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`a${i}`) }))),
      await produce(info, topic, 1, Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`b${i}`) })))];
    const [a, b, c] = await Promise.all([0, 1, 2].map((i) => connect(set.direct(i, '/kafka'), { WebSocket })));
    try {
      const start = new Map([[0, base[0]! + 3n], [1, base[1]! + 5n]]);
      await a!.commitOffsets(group, topic, start);
      assert.deepEqual(await b!.fetchCommitted(group, topic), start, 'replica 1 reads what replica 0 committed');
      const got: Message[] = [];
      for await (const m of c!.subscribe(topic, { group, from: 'latest' })) {
        got.push(m);
        if (got.length === 12) break;
      }
      for (const p of [0, 1]) {
        assert.deepEqual(got.filter((m) => m.partition === p).map((m) => m.offset), Array.from({ length: p === 0 ? 7 : 5 }, (_, i) => start.get(p)! + BigInt(i)), `replica 2 started partition ${p} at the commit`);
      }
      const end = new Map([[0, base[0]! + 10n], [1, base[1]! + 10n]]);
      assert.deepEqual(await a!.fetchCommitted(group, topic), end, 'replica 0 reads what leaving the loop on replica 2 committed');
      const java = await readCommittedOffsets('4', group);
      assert.deepEqual(new Map(java.map((o) => [o.partition, o.offset])), end, 'and so does Kafka\'s Java Admin client');
    } finally {
      await Promise.all([a, b, c].map((x) => x?.close()));
    }
  });

  test(`${CYCLES} replica kills: a group consumer that dies with its replica skips nothing and gets again at most one commit interval's records`, async (t) => {
    const topic = `rep-grp-${Date.now()}`;
    await ensureTopic('4', topic, PARTITIONS);
    const clients: PubSubClient[] = [];
    const open = async (onReplica: (r: number) => void) => {
      const ws = set.trackingWebSocket(onReplica, () => onReplica(-1));
      const pc = await connect(set.url('/kafka'), { WebSocket: ws, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, requestTimeoutMs: 5000 });
      clients.push(pc);
      return pc;
    };
    // One consumer of another group lives through every kill: the SDK resumes from its own position.
    const survivor = { got: [] as Message[], replica: -1, cut: 0, error: undefined as Error | undefined };
    const survivorSub = (await open((r) => (survivor.replica = r))).subscribe(topic, { group: `rep-survivor-${Date.now()}`, from: 'earliest', commitIntervalMs: INTERVAL_MS });
    const survivorLoop = (async () => { for await (const m of survivorSub) survivor.got.push(m); })().catch((e: unknown) => {
      if (!(e instanceof ClientClosedError)) survivor.error = e as Error;
    });
    const group = `rep-crash-${Date.now()}`;
    const lives: GroupConsumer[] = [await GroupConsumer.start(open, topic, group, INTERVAL_MS)];
    const producer = new PacedProducer(info, topic, PARTITIONS, 5);
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // Longer than an interval plus slack, so each life commits before it dies.
        await sleep(2 * INTERVAL_MS + (cycle % 4) * 100);
        const life = lives.at(-1)!;
        const deadline = Date.now() + 10_000;
        while ((life.replica < 0 || survivor.replica < 0) && Date.now() < deadline) await sleep(20);
        // Odd cycles kill the survivor's replica instead (the group consumer just reconnects if it is there too).
        const victim = cycle % 2 === 0 ? life.replica : survivor.replica;
        if (survivor.replica === victim) survivor.cut++;
        if (victim === life.replica) await life.crash();
        await set.kill(victim);
        if (cycle % 4 < 2) await set.waitSeen(victim, 'DOWN');
        if (life.crashedAt !== undefined) lives.push(await GroupConsumer.start(open, topic, group, INTERVAL_MS));
        await set.restart(victim);
      }
      const written = await producer.stop();
      const inTopic = await readTopic('4', topic);
      assert.equal(inTopic.length, written.length, 'Kafka holds every acknowledged write, and only those');
      const last = lives.at(-1)!;
      const deadline = Date.now() + 30_000;
      while ((survivor.got.length < inTopic.length || !last.has(inTopic)) && Date.now() < deadline) await sleep(50);
      assert.equal(survivor.error, undefined, 'the survivor did not end with an error');
      exactlyOnceInOrder(survivor.got, inTopic, 'survivor');
      assert.ok(survivor.cut >= 3, `kills cut the survivor's connection ${survivor.cut} times`);

      assert.deepEqual(lives.map((l) => l.error), lives.map(() => undefined), 'no life ended with an error');
      assert.ok(lives.every((l) => l.started.size === PARTITIONS), 'every life started from the group\'s offsets of every partition');
      const all = lives.flatMap((l) => l.got);
      assert.equal(deliveryCounts(all, inTopic).missing, 0, 'no record skipped over all lives');
      const hops = lives.slice(0, -1).map((l, k) => l.hop(lives[k + 1]!, written, INTERVAL_MS + SLACK_MS, SLACK_MS));
      t.diagnostic(`${inTopic.length} records, ${hops.length} hops; redelivered per hop ${hops.map((h) => h.redelivered).join(' ')}; bound per hop ${hops.map((h) => h.bound).join(' ')}`);
      for (const [k, h] of hops.entries()) {
        assert.ok(h.startedAtACommit, `hop ${k}: life ${k + 1} started at life ${k}'s last acknowledged commit or one in flight: ${h.detail}`);
        assert.ok(h.redelivered <= h.bound, `hop ${k}: ${h.redelivered} redelivered, more than the ${h.bound} written in the interval before the crash (+ slack): ${h.detail}`);
      }
      assert.ok(hops.length >= CYCLES / 2, `${hops.length} hops`);
      await last.stop();
      const java = await readCommittedOffsets('4', group);
      assert.deepEqual(new Map(java.map((o) => [o.partition, o.offset])), last.cursor, 'leaving the last life\'s loop committed its cursor');
    } finally {
      await producer.stop().catch(() => {});
      await Promise.all(clients.map((c) => c.close()));
      await survivorLoop;
    }
  });
});
