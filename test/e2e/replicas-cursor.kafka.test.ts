import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientClosedError, connect, type Message, type PubSubClient } from '../../src/client/index.js';
import { bootstrap, ensureBroker, ensureTopic, readTopic, type BrokerInfo } from '../harness/kafka.js';
import { exactlyOnceInOrder } from '../support/delivery.js';
import { PacedProducer } from '../support/paced-producer.js';
import { kafkaRoute } from '../support/proxy-fixture.js';
import { ReplicaSet } from '../support/replica-set.js';

/*
 * Clients holding their own cursor, consuming through HAProxy from three proxy processes while
 * the replica holding most of them is killed with SIGKILL and restarted, 30 times: every record
 * Kafka's Java consumer reads back arrives at each of them once and in order. The consumers:
 * two client.subscribe (the SDK resubscribes from its cursor on whichever replica HAProxy picks),
 * three client.consume loops sharing one client, and a page that reloads each cycle, starting a
 * new client with `from: sub.cursor` of the old one. Half the kills are restarted before HAProxy
 * has marked the replica down, so reconnects also meet a refused connection HAProxy must redispatch.
 */
const CYCLES = 30;
const PARTITIONS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Consumer {
  name: string;
  got: Message[];
  /** The replica its connection is on now; -1 between connections. */
  replica: number;
  /** Times a kill cut its connection. */
  cut: number;
}

describe('replicas behind HAProxy: client-held cursors through kill -9 and restarts', () => {
  let info: BrokerInfo;
  let set: ReplicaSet;
  const clients: PubSubClient[] = [];

  before(async () => {
    info = await ensureBroker('4');
    set = await ReplicaSet.start({ routes: [{ ...kafkaRoute('/kafka', [bootstrap(info)]), id: 'cursor' }] });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await set?.stop();
  });

  async function client(c: Consumer): Promise<PubSubClient> {
    const WebSocket = set.trackingWebSocket((r) => (c.replica = r), () => (c.replica = -1));
    const pc = await connect(set.url('/kafka'), { WebSocket, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, requestTimeoutMs: 5000 });
    clients.push(pc);
    return pc;
  }

  test(`${CYCLES} kills and restarts: every record once, in order, for subscribe, consume and a reloading page`, async (t) => {
    const topic = `rep-cursor-${Date.now()}`;
    await ensureTopic('4', topic, PARTITIONS);
    const consumers: Consumer[] = ['subscribe-a', 'subscribe-b', 'consume', 'reload'].map((name) => ({ name, got: [], replica: -1, cut: 0 }));
    const [subA, subB, consume, reload] = consumers as [Consumer, Consumer, Consumer, Consumer];
    const loops: Array<Promise<void>> = [];
    const failures: Error[] = [];
    // Closing the clients at the end ends these loops with ClientClosedError; anything else is a failure.
    const watch = <T>(loop: Promise<T>) => loop.catch((e: unknown) => {
      if (!(e instanceof ClientClosedError)) failures.push(e as Error);
    });
    const run = (loop: Promise<void>) => loops.push(watch(loop));
    for (const c of [subA, subB]) {
      const sub = (await client(c)).subscribe(topic, { from: 'earliest' });
      run((async () => { for await (const m of sub) c.got.push(m); })());
    }
    const shared = await client(consume);
    for (let p = 0; p < PARTITIONS; p++) {
      const it = shared.consume(topic, p, { from: 'earliest', idleDelayMs: 10, maxIdleDelayMs: 50 });
      run((async () => { for await (const m of it) consume.got.push(m); })());
    }
    // The reloading page: each cycle it stops, closes its client and starts a new one from its
    // cursor (over where it started, for partitions it had not heard of yet). A fresh topic starts at 0.
    const openPage = async (from: Map<number, bigint>) => {
      const pc = await client(reload);
      const stop = new AbortController();
      const sub = pc.subscribe(topic, { from, signal: stop.signal });
      const done = (async () => {
        for await (const m of sub) reload.got.push(m);
        return new Map([...from, ...sub.cursor]);
      })();
      void watch(done);
      return { stop, done, client: pc };
    };
    let page = await openPage(new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0n])));
    const producer = new PacedProducer(info, topic, PARTITIONS, 5);
    const kills = [0, 0, 0];
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        await sleep(150 + (cycle % 4) * 60);
        const deadline = Date.now() + 10_000;
        while (consumers.some((c) => c.replica < 0) && Date.now() < deadline) await sleep(20);
        // The replica holding most consumers, so every kill cuts some; ties: the one killed least.
        const load = [0, 1, 2].map((i) => consumers.filter((c) => c.replica === i).length);
        const victim = [0, 1, 2].sort((a, b) => load[b]! - load[a]! || kills[a]! - kills[b]!)[0]!;
        for (const c of consumers) if (c.replica === victim) c.cut++;
        kills[victim]!++;
        await set.kill(victim);
        if (cycle % 2 === 0) await set.waitSeen(victim, 'DOWN');
        page.stop.abort();
        const cursor = await page.done;
        await page.client.close();
        page = await openPage(cursor);
        await set.restart(victim);
      }
      const written = await producer.stop();
      const inTopic = await readTopic('4', topic);
      assert.equal(inTopic.length, written.length, 'Kafka holds every acknowledged write, and only those');
      const deadline = Date.now() + 30_000;
      while (consumers.some((c) => c.got.length < inTopic.length) && Date.now() < deadline) await sleep(50);
      await sleep(300); // a duplicate arriving late would show
      assert.deepEqual(failures, [], 'no consumer ended with an error');
      for (const c of consumers) exactlyOnceInOrder(c.got, inTopic, c.name);
      t.diagnostic(`${inTopic.length} records; kills per replica ${kills.join('/')}; connections cut per consumer ${consumers.map((c) => `${c.name} ${c.cut}`).join(', ')}`);
      for (const c of [subA, subB, consume]) assert.ok(c.cut >= 3, `${c.name}: kills cut its connection ${c.cut} times`);
      assert.ok(kills.every((k) => k >= 3), `every replica was killed several times: ${kills.join('/')}`);
    } finally {
      await producer.stop().catch(() => {});
      page.stop.abort();
      await Promise.all(clients.map((c) => c.close()));
      await Promise.allSettled([...loops, page.done]);
    }
  });
});
