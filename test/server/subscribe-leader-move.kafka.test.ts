import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BROKER_LINES, bootstrap, electPreferredLeader, ensureBroker, ensureMovedTopic, MOVED_COUNT, partitionLeader, startSecondBroker, stopSecondBroker,
  type BrokerInfo,
} from '../harness/kafka.js';
import { produceAt, type TestRecord } from '../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { offsetsOf, startOf, SubscribeClient, type SeenSubscription } from '../support/subscribe-client.js';

/*
 * Live subscriptions while the partition's leader moves between the two brokers of a line
 * (test/kafka-wire/client/leader-move.kafka.test.ts moves it the same way): node 2 leads, then
 * shuts down (node 1 takes over), then comes back and is elected again. A subscriber at the tail
 * (the shared tail fetch) and one reading behind it on its own, paced by credit, both get every
 * offset once and in order across both moves.
 */

/** Its own topic: this test writes to it, and `moved` must keep exactly MOVED_COUNT records for the client test. */
const TOPIC = 'moved-live';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes to the broker at `port`, retrying only on answers that guarantee nothing was written
 * (NOT_LEADER_OR_FOLLOWER, a refused connection) while leadership settles.
 */
async function produceTo(port: number, records: readonly TestRecord[]): Promise<bigint> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await produceAt('127.0.0.1', port, TOPIC, 0, records);
    } catch (e) {
      const refused = (e as { code?: unknown }).code === 'ECONNREFUSED' || (e as Error).message.endsWith('failed with error 6');
      if (!refused || attempt >= 50) throw e;
      await sleep(200);
    }
  }
}

async function tailFetches(p: RunningProxy): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const l = text.split('\n').find((x) => x.startsWith(`kwp_tail_fetch_requests_total{topic="${TOPIC}",partition="0"} `));
  return l === undefined ? 0 : Number(l.slice(l.lastIndexOf(' ') + 1));
}

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: live subscriptions across partition leader moves`, () => {
    test('a subscriber at the tail and one catching up get every offset once and in order while the leader moves away and back', async () => {
      const info: BrokerInfo = await ensureBroker(line);
      const node2 = await startSecondBroker(line);
      const node2Port = Number(node2.bootstrap.slice(node2.bootstrap.lastIndexOf(':') + 1));
      let p: RunningProxy | undefined;
      let c: SubscribeClient | undefined;
      try {
        const moved = await ensureMovedTopic(line, TOPIC);
        if (moved.leader !== 2) assert.equal(await electPreferredLeader(line, TOPIC), 2);
        p = await startProxy();
        // Only node 1 as bootstrap: the proxy must find node 2 as the leader itself.
        assert.equal((await p.admin('PUT', '/apisix/admin/routes/moves', kafkaRoute('/moves', [bootstrap(info)]))).status, 201);
        c = await SubscribeClient.connect(p.ws('/moves'));
        const live = c.seen(1);
        const behind = c.seen(2);
        const start = startOf(await c.subscribe(1, { topic: TOPIC, credit: 64 << 20 })).get(0)!;
        assert.ok(start >= BigInt(MOVED_COUNT));
        // From the first record, with credit for a few KiB at a time: it reads behind the tail on its own.
        assert.deepEqual(startOf(await c.subscribe(2, { topic: TOPIC, start: 'SUBSCRIBE_START_EARLIEST', credit: 4096 })), new Map([[0, 0n]]));

        const written = new Map<bigint, string>();
        const write = async (port: number, phase: string) => {
          for (let b = 0; b < 5; b++) {
            const values = Array.from({ length: 20 }, (_, i) => `${phase}-${b}-${i}`);
            const base = await produceTo(port, values.map((v) => ({ key: Buffer.from(phase), value: Buffer.from(v) })));
            for (const [i, v] of values.entries()) written.set(base + BigInt(i), v);
          }
        };
        const liveHasAll = (what: string) => c!.until(() => live.messages.length === written.size, 30_000, what);

        // Node 2 leads: writes go there (node 1 would refuse them).
        await write(node2Port, 'on-node2');
        await liveHasAll('the records written to node 2');
        const fetchesBefore = await tailFetches(p);

        // Controlled shutdown of node 2: node 1 takes over.
        await stopSecondBroker(line);
        assert.equal((await partitionLeader(line, TOPIC)).leader, 1);
        await write(info.ports.plaintext, 'on-node1');
        await liveHasAll('the records written to node 1 after the move');
        assert.ok(await tailFetches(p) > fetchesBefore, 'the tail is fetched after the move');
        c.grant(2, 64 * 1024);

        // Node 2 back and elected again.
        await startSecondBroker(line);
        assert.equal(await electPreferredLeader(line, TOPIC), 2);
        await write(node2Port, 'back-on-node2');
        await liveHasAll('the records written to node 2 after the move back');

        const end = [...written.keys()].at(-1)! + 1n;
        c.grant(2, 64 << 20);
        await c.until(() => behind.next.get(0) === end, 60_000, 'the catching-up subscriber reaches the end');

        const want = [...written.keys()];
        assert.deepEqual(want, Array.from({ length: want.length }, (_, i) => start + BigInt(i)), 'the writes are contiguous from the start');
        assert.deepEqual(offsetsOf(live, 0), want, 'the tail subscriber: every offset once, in order');
        assert.deepEqual(live.messages.map((m) => m.value?.toString()), want.map((o) => written.get(o)));
        assert.deepEqual(offsetsOf(behind, 0), Array.from({ length: Number(end) }, (_, i) => BigInt(i)), 'the catching-up subscriber: every offset from 0 once, in order');
        assertValues(behind, written);
        assert.equal(live.end, undefined);
        assert.equal(behind.end, undefined);
        assert.deepEqual(c.strays, []);
      } finally {
        await c?.close();
        await p?.close();
        await stopSecondBroker(line);
      }
    });
  });
}

/** The seeded records hold `moved-<offset>`; the later ones what this run (or an earlier run) wrote. */
function assertValues(s: SeenSubscription, written: ReadonlyMap<bigint, string>): void {
  for (const m of s.messages) {
    const offset = BigInt(m.offset ?? '0');
    const value = m.value?.toString();
    if (offset < BigInt(MOVED_COUNT)) assert.equal(value, `moved-${offset}`, `offset ${offset}`);
    else if (written.has(offset)) assert.equal(value, written.get(offset), `offset ${offset}`);
    else assert.match(value ?? '', /^(on-node2|on-node1|back-on-node2)-\d-\d+$/, `offset ${offset}, from an earlier run`);
  }
}
