import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { connect } from '../../src/client/index.js';
import { bootstrap, ensureBroker, ensureTopic, readTopic, type BrokerInfo } from '../harness/kafka.js';
import { produce } from '../support/produce.js';
import { kafkaRoute } from '../support/proxy-fixture.js';
import { ADMIN_KEY, ReplicaSet } from '../support/replica-set.js';

/*
 * Three replicas, each its own process and data directory, sharing their routes through one
 * compacted topic, behind HAProxy (docs/deployment.md, "Routes shared through Kafka"). Replica 2
 * runs two worker processes, whose primary owns the store. Every check of a route's presence
 * connects to each replica directly, bypassing HAProxy.
 */
const TOPIC = `kwp-routes-e2e-${Date.now()}`;
const KEY = `k1:${randomBytes(32).toString('base64')}`;
const DATA = 'rr-data';
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

describe('replicas sharing routes through a compacted Kafka topic', () => {
  let info: BrokerInfo;
  let set: ReplicaSet;
  let brokers: string[];

  async function admin(replica: number, method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(set.direct(replica, `/apisix/admin/routes${path}`, 'http'), {
      method, headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  }

  /** The status an upgrade to `path` on replica `replica` gets: 101, or the refusal's. */
  function upgrade(url: string): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_q, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      ws.once('error', () => resolve(0));
    });
  }

  /** Polls until `check` holds, or fails naming `what` after `ms`. */
  async function eventually(what: string, check: () => Promise<boolean>, ms = 5000): Promise<number> {
    const start = Date.now();
    for (;;) {
      if (await check()) return Date.now() - start;
      if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
      await sleep(10);
    }
  }

  /** Every replica's route list, once all three give the same one. */
  async function converged(): Promise<Array<Record<string, unknown>>> {
    let lists: string[] = [];
    await eventually('the replicas\' route lists agree', async () => {
      lists = await Promise.all([0, 1, 2].map(async (i) => JSON.stringify((await admin(i, 'GET', '')).body)));
      return lists.every((l) => l === lists[0]);
    });
    return (JSON.parse(lists[0]!) as { list: Array<Record<string, unknown>> }).list;
  }

  function route(uri: string, extra: Parameters<typeof kafkaRoute>[2] = {}): Record<string, unknown> {
    return kafkaRoute(uri, brokers, extra);
  }

  before(async () => {
    info = await ensureBroker('4');
    brokers = [bootstrap(info)];
    await ensureTopic('4', DATA, 1);
    await produce(info, DATA, 0, [{ value: Buffer.from('x') }]);
    set = await ReplicaSet.start({
      routes: [],
      args: (i) => ['--workers', i === 2 ? '2' : '1'],
      env: () => ({ KAFKA_WS_PROXY_ROUTE_STORE: JSON.stringify({ kafka: { brokers, topic: TOPIC } }), KAFKA_WS_PROXY_ROUTE_STORE_KEYS: KEY }),
    });
  });
  after(async () => {
    await set?.stop();
  });

  test('a PUT on one replica is live on the other two, and through HAProxy, once it is answered', async () => {
    const put = await admin(0, 'PUT', '/live', route('/live'));
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal(await upgrade(set.direct(0, '/live')), 101, 'the replica that answered serves it at once (read your write)');
    for (const i of [1, 2]) {
      const ms = await eventually(`replica ${i} serves /live`, async () => (await upgrade(set.direct(i, '/live'))) === 101);
      assert.ok(ms < 2000, `replica ${i} took ${ms} ms`);
      const c = await connect(set.direct(i, '/live'), { WebSocket });
      try {
        assert.equal(await c.listOffset(DATA, 0, 'earliest'), 0n, `replica ${i} reaches Kafka through the route`);
      } finally {
        await c.close();
      }
    }
    for (let n = 0; n < 6; n++) assert.equal(await upgrade(set.url('/live')), 101, 'through HAProxy, whichever replica it picks');
    const lists = await converged();
    assert.deepEqual(lists.map((r) => (r['value'] as { id: string }).id), ['live']);
  });

  test('a route deleted on one replica closes its sockets on all of them', async () => {
    assert.equal((await admin(1, 'PUT', '/doomed', route('/doomed'))).status, 201);
    await converged();
    const sockets = await Promise.all([0, 1, 2, 2].map((i) => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(set.direct(i, '/doomed'));
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    })));
    const closed = sockets.map((ws) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))));
    const del = await admin(2, 'DELETE', '/doomed');
    assert.equal(del.status, 200);
    const results = await Promise.race([Promise.all(closed), sleep(5000).then(() => undefined)]);
    assert.ok(results !== undefined, 'every socket closed within 5 s');
    for (const r of results) assert.deepEqual(r, { code: 1001, reason: 'route deleted' });
    for (const i of [0, 1, 2]) assert.equal(await upgrade(set.direct(i, '/doomed')), 404, `replica ${i}`);
  });

  test('a replica restarted after routes changed while it was down is current when it reports ready', async () => {
    for (const id of ['keep', 'drop', 'move']) assert.equal((await admin(0, 'PUT', `/${id}`, route(`/r/${id}`))).status, 201);
    await converged();
    await set.kill(1);
    assert.equal((await admin(0, 'DELETE', '/drop')).status, 200);
    assert.equal((await admin(2, 'PATCH', '/move', { uri: '/r/moved' })).status, 200);
    assert.equal((await admin(0, 'PUT', '/new', route('/r/new'))).status, 201);
    const want = (await admin(0, 'GET', '')).body;
    await set.restart(1);
    const ready = set.process(1).ready;
    assert.equal(ready['routes'], (want['list'] as unknown[]).length, 'the ready line counts the current routes');
    assert.deepEqual((await admin(1, 'GET', '')).body, want, 'its first answer is the current list');
    assert.equal(await upgrade(set.direct(1, '/r/new')), 101);
    assert.equal(await upgrade(set.direct(1, '/r/moved')), 101);
    assert.equal(await upgrade(set.direct(1, '/r/move')), 404);
    assert.equal(await upgrade(set.direct(1, '/r/drop')), 404);
    const listening = set.process(1).lines.find((l) => l['msg'] === 'listening');
    assert.ok(listening !== undefined && /reading the route topic/.test(String(listening['routes'])), 'it said it was reading before it was ready');
  });

  test('concurrent PUTs of one uri on two replicas: one is refused, and every replica keeps the same one', async (t) => {
    let shadowedOnApply = 0;
    for (let round = 0; round < 12; round++) {
      const uri = `/race/${round}`;
      const [a, b] = await Promise.all([admin(0, 'PUT', `/race-${round}-a`, route(uri)), admin(1, 'PUT', `/race-${round}-b`, route(uri))]);
      const ok = [a, b].filter((r) => r.status === 201);
      const refused = [a, b].filter((r) => r.status === 400);
      assert.equal(ok.length, 1, `round ${round}: ${a.status} ${JSON.stringify(a.body)} / ${b.status} ${JSON.stringify(b.body)}`);
      assert.equal(refused.length, 1);
      const winner = (ok[0]!.body['value'] as { id: string }).id;
      assert.equal(refused[0]!.body['error_msg'], `uri is already used by route ${winner}`, 'the loser is told who holds the uri, as by one replica');
      const list = await converged();
      const holders = list.filter((r) => (r['value'] as { uri: string }).uri === uri).map((r) => (r['value'] as { id: string }).id);
      assert.deepEqual(holders, [winner], `round ${round}: every replica has the winner, and only it`);
    }
    for (const i of [0, 1, 2]) shadowedOnApply += set.process(i).lines.filter((l) => l['msg'] === 'route shadowed: another route holds its uri').length;
    // Each round either refused the loser before it was written (its replica had read the
    // winner) or when it was read back; the second is what this test is for.
    t.diagnostic(`shadowed records seen by the replicas: ${shadowedOnApply} (3 per round decided on read-back)`);
    assert.ok(shadowedOnApply > 0, 'at least one round was decided when the records were read back');
  });

  test('kill -9 of a replica while admin writes run loses no acknowledged write; the records in the topic are encrypted', async (t) => {
    const acked = new Set<string>();
    let stop = false;
    let sent = 0;
    const body = (i: number) => route(`/w/${i}`, { plugin: { sasl: { username: 'svc', password: PASSWORD } } });
    const writers = [0, 2].map(async (r) => {
      while (!stop) {
        const i = sent++;
        try {
          const res = await admin(r, 'PUT', `/w-${i}`, body(i));
          if (res.status === 201) acked.add(`w-${i}`);
        } catch {
          await sleep(20); // the replica is down: not acknowledged
        }
      }
    });
    await sleep(1500);
    await set.kill(0);
    const killedAt = acked.size;
    await sleep(1000);
    await set.restart(0);
    await sleep(1000);
    stop = true;
    await Promise.all(writers);
    assert.ok(killedAt > 10 && acked.size > killedAt, `writes were acknowledged before (${killedAt}) and after the kill (${acked.size})`);
    t.diagnostic(`writes sent ${sent}, acknowledged ${acked.size} (${killedAt} before the kill)`);
    const list = await converged();
    const ids = new Set(list.map((r) => (r['value'] as { id: string }).id));
    const lost = [...acked].filter((id) => !ids.has(id));
    assert.deepEqual(lost, [], 'every acknowledged write is on every replica, the restarted one too');

    const records = await readTopic('4', TOPIC);
    const keys = new Set(records.map((r) => r.key?.toString('utf8')));
    assert.deepEqual([...acked].filter((id) => !keys.has(id)), [], 'Kafka\'s Java consumer reads a record of every acknowledged write');
    for (const r of records) {
      if (r.value === null) continue;
      const text = r.value.toString('utf8');
      const envelope = JSON.parse(text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(envelope).sort(), ['data', 'iv', 'kid', 'v']);
      // Checked on the ciphertext's bytes, not its base64: '/w/' is a base64 substring by chance
      // about once in a few hundred records.
      const sealed = Buffer.from(String(envelope['data']), 'base64');
      const rest = JSON.stringify({ ...envelope, data: '' });
      for (const plain of [PASSWORD, '/w/', brokers[0]!]) {
        assert.ok(!rest.includes(plain) && !sealed.includes(plain), `offset ${r.offset} holds no plaintext`);
      }
      assert.ok(r.headers.some((h) => h.key === 'kwp-writer'));
    }
  });
});
