import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Connection } from '../../src/kafka-wire/index.js';
import { bootstrap, BROKER_LINES, ensureBroker, type BrokerInfo } from '../harness/kafka.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import type { DecodedResp } from '../support/pubsub-proto.js';
import { TestPubSubClient } from '../support/pubsub-client.js';

/*
 * Issue 16: one hostile client must not hurt the proxy or anyone else through topic names. The
 * proxy runs in this process, so its heap is this test's heap.
 */

const METADATA_API_KEY = 3;
const FLOOD = 5000;
const NAME_BYTES = 30_000;
/** In flight at once from the flooding client (the proxy's max_in_flight is 64). */
const WINDOW = 48;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A distinct name Kafka would refuse (spaces), exactly `bytes` long. */
function hostileName(i: number, bytes: number): string {
  const head = `hostile ${i} `;
  return head + 'x'.repeat(bytes - head.length);
}

function errorOf(r: DecodedResp): string {
  assert.equal(r.resp, 'errorResp', `expected an error reply, got ${r.resp}`);
  return r.errorResp?.message ?? '';
}

describe('Kafka 4: a flood of distinct invalid topic names', () => {
  let info: BrokerInfo;
  let relay: FaultProxy;
  let p: RunningProxy;

  before(async () => {
    info = await ensureBroker('4');
    // The route's bootstrap broker is a relay that counts requests: Metadata requests use the
    // first connection opened, so every one this client sends passes through it.
    relay = await FaultProxy.start(info.host, info.ports.plaintext);
    p = await startProxy();
    const put = await p.admin('PUT', '/apisix/admin/routes/flood', kafkaRoute('/flood', [`127.0.0.1:${relay.port}`]));
    assert.equal(put.status, 201, JSON.stringify(put.body));
  });
  after(async () => {
    await p?.close();
    await relay?.close();
  });

  test(`${FLOOD} fetches of distinct ${NAME_BYTES}-byte names: each answered INVALID_TOPIC_EXCEPTION, none reaches Kafka, the heap stays flat`, async (t) => {
    const c = await TestPubSubClient.connect(p.ws('/flood'));
    try {
      // Warm up: the route's Kafka client, its connection and this code path exist before measuring.
      assert.equal((await c.listOffset('plain', 0, -1)).resp, 'kafkaListOffsetResp');
      assert.equal(errorOf(await c.fetch(hostileName(-1, NAME_BYTES), 0, 0)), `failed to fetch message, topic: ${hostileName(-1, NAME_BYTES)}, partition: 0, err: INVALID_TOPIC_EXCEPTION`);
      const metadataBefore = relay.requests.get(METADATA_API_KEY) ?? 0;
      const heapBefore = heapUsed();
      const started = performance.now();
      for (let from = 0; from < FLOOD; from += WINDOW) {
        const batch: Array<[string, string]> = [];
        for (let i = from; i < Math.min(FLOOD, from + WINDOW); i++) {
          const name = hostileName(i, NAME_BYTES);
          batch.push([c.send({ cmdKafkaFetch: { topic: name, partition: 0, offset: '0' } }), name]);
        }
        for (const [sequence, name] of batch) {
          const r = await c.next();
          assert.equal(r.sequence, sequence);
          const want = `failed to fetch message, topic: ${name}, partition: 0, err: INVALID_TOPIC_EXCEPTION`;
          const got = errorOf(r);
          // Not assert.equal: its diff of two 30,000-byte strings would bury the point.
          if (got !== want) assert.fail(`reply ${sequence} is ${JSON.stringify(got.slice(0, 40))}...${JSON.stringify(got.slice(-60))}`);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const grown = heapUsed() - heapBefore;
      t.diagnostic(`${FLOOD} invalid names answered in ${seconds.toFixed(1)} s; heap grew ${(grown / 1048576).toFixed(1)} MiB`);
      assert.equal((relay.requests.get(METADATA_API_KEY) ?? 0) - metadataBefore, 0, 'Metadata requests sent to Kafka for invalid names');
      // What remains is mostly this test's in-memory log (a debug line per refused name, ~2 KiB
      // parsed); before the fix, the metadata cache alone held every name, FLOOD × NAME_BYTES.
      assert.ok(grown < 32 * 1024 * 1024, `the heap grew ${(grown / 1048576).toFixed(1)} MiB over ${FLOOD} distinct names (${((FLOOD * NAME_BYTES) / 1048576).toFixed(0)} MiB of names)`);
      const longest = Math.max(...p.logs.map((l) => JSON.stringify(l).length));
      assert.ok(longest < 2000, `a log line of ${longest} characters: a client's topic name is logged unbounded`);
      // The proxy still serves this client and valid names as before.
      assert.equal(errorOf(await c.listOffset('a b', 0, -1)), 'failed to list offset, topic: a b, partition: 0, err: INVALID_TOPIC_EXCEPTION');
      assert.equal(errorOf(await c.fetch('no-such-topic', 0, 0)), 'failed to fetch message, topic: no-such-topic, partition: 0, err: not found topic');
      assert.ok((await c.fetch('plain', 0, 0)).kafkaFetchResp?.messages?.length);
    } finally {
      await c.close();
    }
  });
});

for (const line of BROKER_LINES) {
  describe(`Kafka ${line}: one client's oversize topic names and other clients on the same cluster`, () => {
    let info: BrokerInfo;
    let p: RunningProxy;

    before(async () => {
      info = await ensureBroker(line);
      p = await startProxy({ kafkaConnections: 1 });
      const brokers = [bootstrap(info)];
      // Two routes, one cluster, the same (no) credentials: one shared Kafka client and connection.
      let put = await p.admin('PUT', '/apisix/admin/routes/reader', kafkaRoute('/reader', brokers));
      assert.equal(put.status, 201, JSON.stringify(put.body));
      put = await p.admin('PUT', '/apisix/admin/routes/hostile', kafkaRoute('/hostile', brokers));
      assert.equal(put.status, 201, JSON.stringify(put.body));
    });
    after(async () => {
      await p?.close();
    });

    test('B\'s 40,000-byte names are answered INVALID_TOPIC_EXCEPTION while A\'s pipelined fetches all succeed on the same Kafka connection', async () => {
      const a = await TestPubSubClient.connect(p.ws('/reader'));
      const b = await TestPubSubClient.connect(p.ws('/hostile'));
      // Every Kafka connection the proxy opens from here on: the shared one must never be replaced.
      let opened = 0;
      const connect = Connection.connect;
      Connection.connect = (o) => {
        opened++;
        return connect.call(Connection, o);
      };
      try {
        assert.equal((await a.fetch('plain', 0, 0)).resp, 'kafkaFetchResp');
        assert.equal(p.proxy.kafkaClients, 1, 'both routes share one Kafka client');
        opened = 0;
        let bDone = false;
        let fetched = 0;
        // A: four fetches in flight at all times, so some always sit behind B's requests on the connection.
        const aLoops = Promise.all(Array.from({ length: 4 }, async () => {
          while (!bDone) {
            const r = await a.fetch('plain', 0, 0);
            assert.equal(r.resp, 'kafkaFetchResp', `A's fetch failed: ${r.errorResp?.message}`);
            assert.equal(r.kafkaFetchResp?.messages?.[0]?.offset ?? '0', '0');
            fetched++;
          }
        }));
        aLoops.catch(() => undefined); // awaited below; a failure must not surface as unhandled first
        // B: a new 40,000-byte name every 50 ms.
        const names: Array<[string, string]> = [];
        for (let i = 0; i < 40; i++) {
          await new Promise((r) => setTimeout(r, 50));
          const name = hostileName(i, 40_000);
          names.push([b.send({ cmdKafkaFetch: { topic: name, partition: 0, offset: '0' } }), name]);
        }
        const bReplies: DecodedResp[] = [];
        for (let i = 0; i < names.length; i++) bReplies.push(await b.next());
        bDone = true;
        await aLoops;
        assert.ok(fetched > 20, `A fetched only ${fetched} times while B sent`);
        assert.equal(opened, 0, 'Kafka connections opened while B sent: the shared connection was lost');
        bReplies.forEach((r, i) => {
          const [sequence, name] = names[i]!;
          assert.equal(r.sequence, sequence);
          const got = errorOf(r);
          if (got !== `failed to fetch message, topic: ${name}, partition: 0, err: INVALID_TOPIC_EXCEPTION`) assert.fail(`B's reply ${sequence} ends ${JSON.stringify(got.slice(-60))}`);
        });
      } finally {
        Connection.connect = connect;
        await a.close();
        await b.close();
      }
    });
  });
}
