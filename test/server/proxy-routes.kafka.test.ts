import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { bootstrap, ensureBroker, type BrokerInfo } from '../harness/kafka.js';
import { TestPubSubClient } from '../support/pubsub-client.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';

/** Routes coming and going at run time, HTTP answers, limits, heartbeats and metrics (Kafka 4.x). */
describe('proxy routes, limits and operations', () => {
  let info: BrokerInfo;
  let p: RunningProxy;

  before(async () => {
    info = await ensureBroker('4');
    p = await startProxy({ heartbeatMs: 200 });
  });
  after(() => p?.close());

  async function put(id: string, route: Record<string, unknown>): Promise<void> {
    const r = await p.admin('PUT', `/apisix/admin/routes/${id}`, route);
    assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
  }

  async function upgradeStatus(url: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => reject(new Error('upgrade accepted')));
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('error', () => undefined);
    });
  }

  test('plain HTTP: a route URI without an upgrade is 400, an unknown URI 404 (also for upgrades); health and readiness', async () => {
    await put('http', kafkaRoute('/http', [bootstrap(info)]));
    const r = await fetch(`${p.url}/http`);
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error_msg: string }).error_msg, /WebSocket/);
    const nf = await fetch(`${p.url}/nothing-here`);
    assert.equal(nf.status, 404);
    assert.deepEqual(await nf.json(), { error_msg: '404 Route Not Found' });
    assert.equal(await upgradeStatus(p.ws('/nothing-here')), 404);
    assert.deepEqual(await (await fetch(`${p.url}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${p.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { routes: number }).routes, p.proxy.routes.list().length);
  });

  test('prefix routes (uri ending in *) match deeper paths', async () => {
    await put('prefix', kafkaRoute('/topics/*', [bootstrap(info)]));
    const c = await TestPubSubClient.connect(p.ws('/topics/orders?from=latest'));
    assert.equal((await c.ping(Buffer.from('p'))).resp, 'pongResp');
    await c.close();
  });

  test('deleting a route closes its WebSockets with 1001 and releases its Kafka connections at once', async () => {
    await put('gone', kafkaRoute('/gone', [`localhost:${info.ports.plaintext}`]));
    const clients = await Promise.all([1, 2, 3].map(() => TestPubSubClient.connect(p.ws('/gone'))));
    for (const c of clients) assert.ok((await c.fetch('plain', 0, 0)).kafkaFetchResp);
    const before = p.proxy.kafkaClients;
    const del = await p.admin('DELETE', '/apisix/admin/routes/gone');
    assert.equal(del.status, 200);
    for (const c of clients) assert.deepEqual(await c.closed, { code: 1001, reason: 'route deleted' });
    assert.equal(p.proxy.kafkaClients, before - 1);
    assert.equal(await upgradeStatus(p.ws('/gone')), 404);
  });

  test('updating a route: accepted commands are answered, then the old sockets close with 1001; new ones get the new settings', async () => {
    const hw = (await (await TestPubSubClient.connect(p.ws('/http'))).listOffset('plain', 0, -1)).kafkaListOffsetResp?.offset ?? '0';
    await put('upd', kafkaRoute('/upd', [bootstrap(info)], { plugin: { fetch: { max_wait_ms: 1500, min_bytes: 1 } } }));
    const old = await TestPubSubClient.connect(p.ws('/upd'));
    const started = Date.now();
    const seq = old.send({ cmdKafkaFetch: { topic: 'plain', partition: 0, offset: hw } });
    await new Promise((r) => setTimeout(r, 200));
    await put('upd', kafkaRoute('/upd', [bootstrap(info)], { plugin: { topics: ['headers'] } }));
    const reply = await old.next();
    assert.equal(reply.sequence, seq);
    assert.equal(reply.resp, 'kafkaFetchResp');
    assert.ok(Date.now() - started >= 1000, 'the pending fetch was cut short');
    assert.deepEqual(await old.closed, { code: 1001, reason: 'route updated' });
    const fresh = await TestPubSubClient.connect(p.ws('/upd'));
    assert.match((await fresh.fetch('plain', 0, 0)).errorResp?.message ?? '', /topic not allowed/);
    await fresh.close();
  });

  test('too many commands in flight: the extra ones get an error reply, in order, and the connection goes on', async () => {
    const q = await startProxy({ maxInFlight: 2 });
    try {
      const r = await q.admin('PUT', '/apisix/admin/routes/slow', kafkaRoute('/slow', [bootstrap(info)], { plugin: { fetch: { max_wait_ms: 800, min_bytes: 1 } } }));
      assert.equal(r.status, 201);
      const c = await TestPubSubClient.connect(q.ws('/slow'));
      const hw = (await c.listOffset('plain', 0, -1)).kafkaListOffsetResp?.offset ?? '0';
      const seqs = [1, 2, 3, 4].map(() => c.send({ cmdKafkaFetch: { topic: 'plain', partition: 0, offset: hw } }));
      const replies = [await c.next(), await c.next(), await c.next(), await c.next()];
      assert.deepEqual(replies.map((x) => x.sequence), seqs);
      assert.deepEqual(replies.map((x) => x.resp), ['kafkaFetchResp', 'kafkaFetchResp', 'errorResp', 'errorResp']);
      assert.equal(replies[2]!.errorResp?.message, 'too many commands in flight (limit 2)');
      assert.equal((await c.ping(Buffer.from('ok'))).resp, 'pongResp');
      await c.close();
    } finally {
      await q.close();
    }
  });

  test('connection limit: 503 past maxConnections; message size limit: close 1009 for that socket only', async () => {
    const q = await startProxy({ maxConnections: 2, maxMessageBytes: 1024 });
    try {
      assert.equal((await q.admin('PUT', '/apisix/admin/routes/lim', kafkaRoute('/lim', [bootstrap(info)]))).status, 201);
      const a = await TestPubSubClient.connect(q.ws('/lim'));
      const b = await TestPubSubClient.connect(q.ws('/lim'));
      assert.equal(await upgradeStatus(q.ws('/lim')), 503);
      b.ws.send(Buffer.alloc(2000));
      assert.equal((await b.closed).code, 1009);
      assert.equal((await a.ping(Buffer.from('still here'))).resp, 'pongResp');
      const c = await TestPubSubClient.connect(q.ws('/lim'));
      assert.equal((await c.ping(Buffer.from('room again'))).resp, 'pongResp');
      await Promise.all([a.close(), c.close()]);
      const metrics = await (await fetch(`${q.url}/metrics`)).text();
      assert.match(metrics, /kwp_connections_rejected_total\{reason="max_connections"\} 1/);
    } finally {
      await q.close();
    }
  });

  test('heartbeat: WebSocket pings are answered; an idle live client stays, a silent peer is cut', async () => {
    const c = await TestPubSubClient.connect(p.ws('/http'));
    const pong = new Promise<Buffer>((resolve) => c.ws.once('pong', resolve));
    c.ws.ping(Buffer.from('are you there'));
    assert.equal((await pong).toString(), 'are you there');
    // A raw TCP peer that completes the upgrade and then never answers a ping.
    const port = Number(new URL(p.url).port);
    const silent = connect(port, '127.0.0.1');
    silent.write('GET /http HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    silent.resume();
    const cut = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      silent.once('close', () => resolve(Date.now() - t0));
    });
    assert.ok(cut < 2000, `silent peer kept ${cut} ms`);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await c.ping(Buffer.from('idle but alive'))).resp, 'pongResp');
    await c.close();
  });

  test('metrics: connections, commands by type and result, Kafka latency, bytes out, errors by code', async () => {
    await put('m', kafkaRoute('/m', [bootstrap(info)]));
    const c = await TestPubSubClient.connect(p.ws('/m'));
    await c.fetch('plain', 0, 0);
    await c.fetch('plain', 0, 0);
    await c.fetch('no-such-topic', 0, 0);
    await c.request({ cmdEmpty: {} });
    const text = await (await fetch(`${p.url}/metrics`)).text();
    assert.match(text, /kwp_connections_open\{route="m"\} 1\n/);
    assert.match(text, /kwp_commands_total\{route="m",command="fetch",result="ok"\} 2\n/);
    assert.match(text, /kwp_commands_total\{route="m",command="fetch",result="error"\} 1\n/);
    assert.match(text, /kwp_commands_total\{route="m",command="empty",result="error"\} 1\n/);
    assert.match(text, /kwp_kafka_request_duration_seconds_count\{operation="fetch"\} \d+/);
    assert.match(text, /kwp_errors_total\{code="KWIRE_ERR_UNKNOWN_TOPIC"\} \d+/);
    const bytes = Number(/kwp_bytes_out_total\{route="m"\} (\d+)/.exec(text)?.[1]);
    assert.ok(bytes > 100, `bytes out ${bytes}`);
    await c.close();
  });

  test('the admin API and /metrics answer only allowed addresses', async () => {
    const q = await startProxy({ adminAllow: ['10.0.0.0/8'] });
    try {
      const r = await q.admin('PUT', '/apisix/admin/routes/x', kafkaRoute('/x', [bootstrap(info)]));
      assert.equal(r.status, 403);
      assert.equal((await fetch(`${q.url}/metrics`)).status, 403);
      assert.equal((await fetch(`${q.url}/healthz`)).status, 200);
    } finally {
      await q.close();
    }
  });

  test('a separate admin listener takes the admin API off the WebSocket port', async () => {
    const { createProxy } = await import('../../src/server/index.js');
    const proxy = await createProxy({ adminKey: 'separate-admin-key-0123', heartbeatMs: 0 });
    try {
      const { url, adminUrl } = await proxy.listen({ port: 0, host: '127.0.0.1', adminPort: 0 });
      assert.ok(adminUrl !== undefined && adminUrl !== url);
      const body = JSON.stringify(kafkaRoute('/sep', [bootstrap(info)]));
      const headers = { 'x-api-key': 'separate-admin-key-0123' };
      assert.equal((await fetch(`${url}/apisix/admin/routes/sep`, { method: 'PUT', headers, body })).status, 404);
      assert.equal((await fetch(`${adminUrl}/apisix/admin/routes/sep`, { method: 'PUT', headers, body })).status, 201);
      const c = await TestPubSubClient.connect(`${url.replace('http', 'ws')}/sep`);
      assert.equal((await c.ping(Buffer.from('s'))).resp, 'pongResp');
      await c.close();
    } finally {
      await proxy.close();
    }
  });

  test('without an admin key the admin API is off', async () => {
    const q = await startProxy({ adminKey: undefined as unknown as string });
    try {
      const r = await q.admin('GET', '/apisix/admin/routes');
      assert.equal(r.status, 404);
      assert.match(String(r.body['error_msg']), /disabled/);
    } finally {
      await q.close();
    }
  });
});
