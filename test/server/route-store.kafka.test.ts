import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect as tcp, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrap, ensureBroker, readTopic, type BrokerInfo } from '../harness/kafka.js';
import { freePortBelowEphemeral } from '../support/ports.js';
import { produce } from '../support/produce.js';
import { ProxyProcess } from '../support/proxy-process.js';
import { kafkaRoute } from '../support/proxy-fixture.js';

/*
 * One proxy process at a time with a Kafka route store: an unreachable store cluster at start,
 * replicas that lack the key a record needs, a key rotation, and records in the topic that are
 * not ours. docs/deployment.md, "Routes shared through Kafka".
 */
const ADMIN = 'route-store-admin-key-0123456789';
const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

interface Started {
  p: ProxyProcess;
  port: number;
}

async function spawnProxy(brokers: string[], topic: string, keys: string, extraEnv: Record<string, string> = {}, workers = 1): Promise<Started> {
  const port = await freePortBelowEphemeral(HOST);
  const p = ProxyProcess.spawn(['start', '--host', HOST, '--port', String(port), '--workers', String(workers), '--data-dir', mkdtempSync(join(tmpdir(), 'kwp-rs-'))], {
    KAFKA_WS_PROXY_ADMIN_KEY: ADMIN,
    KAFKA_WS_PROXY_ROUTE_STORE: JSON.stringify({ kafka: { brokers, topic } }),
    KAFKA_WS_PROXY_ROUTE_STORE_KEYS: keys,
    ...extraEnv,
  });
  return { p, port };
}

async function readyz(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://${HOST}:${port}/readyz`);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

async function admin(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://${HOST}:${port}/apisix/admin/routes${path}`, {
    method, headers: { 'x-api-key': ADMIN }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

/** A TCP relay on `port` to the broker: the store's bootstrap address, reachable once it listens. */
function relay(port: number, to: { host: string; port: number }): Promise<Server> {
  const server = createServer((c) => {
    const b = tcp(to);
    c.pipe(b).pipe(c);
    c.on('error', () => b.destroy());
    b.on('error', () => c.destroy());
  });
  return new Promise((resolve) => server.listen(port, HOST, () => resolve(server)));
}

describe('a Kafka route store, one process', () => {
  let info: BrokerInfo;
  const running: ProxyProcess[] = [];

  before(async () => {
    info = await ensureBroker('4');
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
  });

  test('a store cluster out of reach at start: listening, 503 on /readyz with the reason, retried until it is reachable, then ready', async () => {
    const storePort = await freePortBelowEphemeral(HOST);
    const topic = `kwp-rs-late-${Date.now()}`;
    const { p, port } = await spawnProxy([`${HOST}:${storePort}`], topic, key('k1'));
    running.push(p);
    await p.waitFor((l) => l['msg'] === 'listening');
    await p.waitFor((l) => l['msg'] === 'route store unreachable, retrying');
    const r = await readyz(port);
    assert.equal(r.status, 503);
    assert.match(String(r.body['reason']), /^route store unreachable: /);
    assert.equal((await admin(port, 'GET', '')).status, 503);
    await sleep(3000);
    assert.equal(p.child.exitCode, null, 'it keeps retrying, it does not exit');
    assert.equal(p.lines.some((l) => l['msg'] === 'ready'), false);
    const attempts = p.lines.filter((l) => l['msg'] === 'route store unreachable, retrying');
    assert.ok(attempts.length >= 1 && attempts.every((l) => l['topic'] === topic && typeof l['retryInMs'] === 'number'));

    const server = await relay(storePort, { host: info.host, port: info.ports.plaintext });
    try {
      const readyAt = Date.now();
      await p.waitFor((l) => l['msg'] === 'ready', 15_000);
      assert.ok(Date.now() - readyAt < 10_000);
      assert.equal((await readyz(port)).status, 200);
      assert.ok(p.lines.some((l) => l['msg'] === 'route topic created' && l['topic'] === topic));
      assert.equal((await admin(port, 'PUT', '/late', kafkaRoute('/late', [bootstrap(info)]))).status, 201);
    } finally {
      await p.stop();
      server.close();
    }
  });

  test('a replica without the key a record needs, or with another key under its id, stops at start: exit code 3 and the message', async () => {
    const topic = `kwp-rs-keys-${Date.now()}`;
    const k1 = key('k1');
    const writer = await spawnProxy([bootstrap(info)], topic, k1);
    running.push(writer.p);
    await writer.p.waitFor((l) => l['msg'] === 'ready');
    assert.equal((await admin(writer.port, 'PUT', '/a', kafkaRoute('/a', [bootstrap(info)]))).status, 201);
    await writer.p.stop();

    const lacking = await spawnProxy([bootstrap(info)], topic, key('k9'));
    const e1 = await lacking.p.exited;
    assert.equal(e1.code, 3);
    assert.match(lacking.p.stderr, /^error SERVER_ERR_ROUTE_KEY: a route record is encrypted with key k1, which this replica does not have \(it has k9\)$/m);

    // With workers the primary owns the store: it stops them and exits the same way.
    const group = await spawnProxy([bootstrap(info)], topic, key('k9'), {}, 2);
    assert.equal((await group.p.exited).code, 3);
    assert.match(group.p.stderr, /^error SERVER_ERR_ROUTE_KEY: a route record is encrypted with key k1/m);
    assert.equal(group.p.lines.filter((l) => l['msg'] === 'worker stopped').length, 2, 'both workers stopped');

    const impostor = await spawnProxy([bootstrap(info)], topic, key('k1'));
    const e2 = await impostor.p.exited;
    assert.equal(e2.code, 3);
    assert.match(impostor.p.stderr, /^error SERVER_ERR_ROUTE_KEY: a route record does not decrypt with this replica's key k1/m);
    assert.ok(!impostor.p.stderr.includes(k1.slice(3)), 'no key in the message');

    const keyless = ProxyProcess.spawn(['start', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'kwp-rs-'))], {
      KAFKA_WS_PROXY_ADMIN_KEY: ADMIN, KAFKA_WS_PROXY_ROUTE_STORE: JSON.stringify({ kafka: { brokers: [bootstrap(info)], topic } }),
    });
    assert.equal((await keyless.exited).code, 2);
    assert.match(keyless.stderr, /^error SERVER_ERR_CONFIG: KAFKA_WS_PROXY_ROUTE_STORE: a route store in Kafka needs the keys/m);
  });

  test('key rotation: add the new key second, then first, re-write the routes; then the old key can go', async () => {
    const topic = `kwp-rs-rotate-${Date.now()}`;
    const [old, neu] = [key('old'), key('new')];
    const ids = ['r1', 'r2', 'r3'];
    let s = await spawnProxy([bootstrap(info)], topic, old);
    running.push(s.p);
    await s.p.waitFor((l) => l['msg'] === 'ready');
    for (const id of ids) assert.equal((await admin(s.port, 'PUT', `/${id}`, kafkaRoute(`/${id}`, [bootstrap(info)]))).status, 201);
    await s.p.stop();

    s = await spawnProxy([bootstrap(info)], topic, `${neu},${old}`);
    running.push(s.p);
    const ready = await s.p.waitFor((l) => l['msg'] === 'route store ready');
    assert.deepEqual(ready['keys'], { old: 3 }, 'the ready line says which keys the routes use');
    // Step 3: every route written again, now under the first key.
    for (const id of ids) {
      const got = await admin(s.port, 'GET', `/${id}`);
      assert.equal((await admin(s.port, 'PUT', `/${id}`, got.body['value'])).status, 200);
    }
    await s.p.stop();

    s = await spawnProxy([bootstrap(info)], topic, neu);
    running.push(s.p);
    const after = await s.p.waitFor((l) => l['msg'] === 'route store ready');
    assert.deepEqual(after['keys'], { new: 3 });
    const list = (await admin(s.port, 'GET', '')).body['list'] as Array<{ value: { id: string } }>;
    assert.deepEqual(list.map((r) => r.value.id), ids, 'every route, read with the new key alone');
    await s.p.stop();
    const kids = (await readTopic('4', topic)).map((r) => (r.value === null ? null : (JSON.parse(r.value.toString()) as { kid: string }).kid));
    assert.deepEqual(kids, ['old', 'old', 'old', 'new', 'new', 'new'], 'the old records stay until compaction; no replica needs their key');
  });

  test('records in the topic that are not routes: logged and skipped, the replica serves the others', async () => {
    const topic = `kwp-rs-hostile-${Date.now()}`;
    const s = await spawnProxy([bootstrap(info)], topic, key('k1'));
    running.push(s.p);
    await s.p.waitFor((l) => l['msg'] === 'ready');
    assert.equal((await admin(s.port, 'PUT', '/good', kafkaRoute('/good', [bootstrap(info)]))).status, 201);
    assert.equal((await admin(s.port, 'PUT', '/victim', kafkaRoute('/victim', [bootstrap(info)]))).status, 201);
    // Kafka refuses a record without a key on a compacted topic (INVALID_RECORD), so there is none here.
    const junk = [
      { key: Buffer.from('victim'), value: Buffer.from('not json at all') },
      { key: Buffer.from('x'), value: Buffer.from('{"v":1,"kid":"k1","iv":"AAAAAAAAAAAAAAAA","data":"AAAAAAAAAAAAAAAAAAAAAA=="}') },
      { key: Buffer.from('../../etc/passwd'), value: Buffer.from('{}') },
      { key: Buffer.from('__proto__'), value: null },
      { key: Buffer.from('y'), value: Buffer.from(`{"v":2,"kid":"k1","iv":"","data":""}`) },
    ];
    await produce(info, topic, 0, junk);
    const unusable = (id: string) => s.p.waitFor((l) => l['msg'] === 'route topic record unusable: the route is absent on every replica of this version' && l['route'] === id);
    await unusable('y');
    assert.match(String((await unusable('x'))['error']), /does not authenticate under key k1, which decrypts other records/);
    assert.equal(s.p.lines.filter((l) => l['msg'] === 'route topic record ignored').length, 2, 'keys that are no route ids');
    const list = (await admin(s.port, 'GET', '')).body['list'] as Array<{ value: { id: string } }>;
    assert.deepEqual(list.map((r) => r.value.id), ['good'], 'the route whose last record is junk is gone; the other stays');
    assert.equal((await readyz(s.port)).status, 200);
    assert.equal(s.p.child.exitCode, null, 'a forged record under a key that decrypts the others does not stop the replica');
  });
});
