import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { KafkaWsProxy } from '../../../src/server/proxy.js';
import { RouteStore } from '../../../src/server/routes/store.js';
import { kafkaRoute } from '../../support/proxy-fixture.js';

/** A store whose routes are not current until the test says so, as a Kafka route store reading its topic. */
class PendingStore extends RouteStore {
  constructor() {
    super(undefined, Date.now, []);
  }

  set(problem: string | undefined): void {
    this.setUnavailable(problem);
  }
}

const KEY = 'unavailable-test-admin-key';
let store: PendingStore;
let proxy: KafkaWsProxy;
let url: string;

before(async () => {
  store = new PendingStore();
  proxy = await KafkaWsProxy.create({ adminKey: KEY, heartbeatMs: 0 }, { store });
  ({ url } = await proxy.listen({ port: 0, host: '127.0.0.1' }));
  await store.put('r1', kafkaRoute('/kafka', ['127.0.0.1:1']));
});
after(async () => {
  await proxy.close(0);
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${url}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

function upgrade(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}${path}`);
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

test('while the routes are not current: /readyz, every upgrade and the admin API answer 503 with the reason; /healthz 200', async () => {
  store.set('reading the route topic');
  const ready = await get('/readyz');
  assert.equal(ready.status, 503);
  assert.deepEqual(JSON.parse(ready.body), { status: 'routes not ready', reason: 'reading the route topic' });
  assert.equal((await get('/healthz')).status, 200);
  assert.equal(await upgrade('/kafka'), 503, 'a route the store holds is not served from it');
  assert.equal(await upgrade('/nowhere'), 503, 'nor is an unknown path called unknown');
  const admin = await get('/apisix/admin/routes', { 'x-api-key': KEY });
  assert.equal(admin.status, 503);
  assert.match(JSON.parse(admin.body).error_msg, /the route store is not ready: reading the route topic/);
  assert.equal((await get('/apisix/admin/routes')).status, 401, 'the key is still checked first');
  const metrics = proxy.metrics.render();
  assert.match(metrics, /kwp_connections_rejected_total\{reason="routes_not_ready"\} 2/);
  assert.match(metrics, /^kwp_route_store_unavailable 1$/m);
});

test('once they are: ready, served, and the admin API answers', async () => {
  store.set(undefined);
  assert.equal((await get('/readyz')).status, 200);
  assert.match(proxy.metrics.render(), /^kwp_route_store_unavailable 0$/m);
  assert.equal(await upgrade('/nowhere'), 404);
  const admin = await get('/apisix/admin/routes/r1', { 'x-api-key': KEY });
  assert.equal(admin.status, 200);
});
