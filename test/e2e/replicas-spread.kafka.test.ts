import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type PubSubClient } from '../../src/client/index.js';
import { bootstrap, ensureBroker, readTopics, type BrokerInfo } from '../harness/kafka.js';
import { kafkaRoute } from '../support/proxy-fixture.js';
import { ReplicaSet } from '../support/replica-set.js';

/*
 * Three proxy processes behind HAProxy (balance leastconn, health checks on /readyz): where new
 * WebSockets go, seen both from HAProxy's header on each upgrade and from each replica's own
 * kwp_connections_open; what a kill -9 does to the connections of that replica, and where new
 * connections go once it is back. The admin side stays off HAProxy's port.
 */
const ROUTE = 'spread';

describe('replicas behind HAProxy: connections spread', () => {
  let info: BrokerInfo;
  let set: ReplicaSet;
  const clients: Array<{ client: PubSubClient; replica: number }> = [];

  before(async () => {
    info = await ensureBroker('4');
    set = await ReplicaSet.start({ routes: [{ ...kafkaRoute('/kafka', [bootstrap(info)]), id: ROUTE }] });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.client.close()));
    await set?.stop();
  });

  const plainEnd = () => readTopics(info).find((t) => t.name === 'plain')!.offsets.find((o) => o.partition === 0)!.highWatermark;

  /** A client through HAProxy whose connection is open and has reached Kafka; `replica` follows its reconnects. */
  async function open(): Promise<{ client: PubSubClient; replica: number }> {
    const entry = { client: undefined as unknown as PubSubClient, replica: -1 };
    entry.client = await connect(set.url('/kafka'), { WebSocket: set.trackingWebSocket((r) => (entry.replica = r)) });
    assert.equal(await entry.client.listOffset('plain', 0, 'latest'), plainEnd());
    clients.push(entry);
    return entry;
  }

  const countBy = (list: Array<{ replica: number }>) => [0, 1, 2].map((i) => list.filter((c) => c.replica === i).length);

  async function openOn(index: number): Promise<number> {
    const m = new RegExp(`^kwp_connections_open\\{route="${ROUTE}"\\} (\\d+)$`, 'm').exec(await set.metrics(index));
    return Number(m?.[1] ?? 0);
  }

  test('30 connections: 10 on each replica, by HAProxy\'s header and by each replica\'s own count', async () => {
    for (let i = 0; i < 30; i++) await open();
    assert.deepEqual(countBy(clients), [10, 10, 10]);
    assert.deepEqual(await Promise.all([0, 1, 2].map(openOn)), [10, 10, 10]);
  });

  test('kill -9 of one: its clients reconnect to the other two; back up, it takes the next connections', async () => {
    const victims = clients.filter((c) => c.replica === 1);
    await set.kill(1);
    await set.waitSeen(1, 'DOWN');
    // HAProxy's health check can mark it down before every client's socket has seen its close; a
    // command sent before that would go out on the dying socket. Wait for the closes first.
    for (const deadline = Date.now() + 10_000; victims.some((c) => c.client.connected); ) {
      assert.ok(Date.now() < deadline, 'the clients of the killed replica saw their sockets close');
      await new Promise((r) => setTimeout(r, 20));
    }
    // These clients hold no subscription: their next command opens a new connection.
    for (const c of victims) assert.equal(await c.client.listOffset('plain', 0, 'latest'), plainEnd());
    assert.deepEqual(countBy(victims), [5, 0, 5], 'each reconnect went to the replica with fewer connections');
    assert.deepEqual(countBy(clients), [15, 0, 15]);

    await set.restart(1);
    const fresh: Array<{ replica: number }> = [];
    for (let i = 0; i < 10; i++) fresh.push(await open());
    // leastconn: the restarted replica is the emptiest until it has caught up (roundrobin would give it a third).
    assert.deepEqual(countBy(fresh), [0, 10, 0]);
    assert.deepEqual(await Promise.all([0, 1, 2].map(openOn)), [15, 10, 15]);
  });

  test('HAProxy answers /readyz from a replica and refuses the admin API and /metrics on its port', async () => {
    const base = set.url('').replace('ws:', 'http:');
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'ready');
    for (const path of ['/metrics', '/apisix/admin/routes', '/apisix/admin/routes/x']) {
      const res = await fetch(`${base}${path}`, { headers: { 'X-API-KEY': 'replica-set-admin-key-0123456789' } });
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    assert.equal((await fetch(set.direct(0, '/metrics', 'http'))).status, 200, 'a replica\'s own port still serves /metrics');
  });
});
