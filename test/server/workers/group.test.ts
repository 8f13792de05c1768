import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kafkaRoute } from '../../support/proxy-fixture.js';
import { admin, childPids, http, openClients, perWorker, scrape, workerPids } from '../../support/proxy-group.js';
import { ProxyProcess } from '../../support/proxy-process.js';

/*
 * `start --workers 2` as a user runs it (issue 20, "every core of one machine"): one port served by
 * two worker processes, routes written through either, metrics of both. The routes point at a
 * port where no broker listens: upgrades and pings need no Kafka.
 */
const KEY = 'workers-admin-key-0123456789';
const WORKERS = 2;
const route = (uri: string) => kafkaRoute(uri, ['127.0.0.1:1']);

describe(`--workers ${WORKERS}: one port, shared routes, the group's metrics`, () => {
  let p: ProxyProcess;
  let url: string;
  let ws: string;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kwp-workers-'));
    p = await ProxyProcess.start(['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--workers', String(WORKERS)], { KAFKA_WS_PROXY_ADMIN_KEY: KEY }, 30_000);
    url = String(p.ready['url']);
    ws = url.replace(/^http/, 'ws');
  });

  after(async () => {
    await p?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the primary has exactly the workers as children, each listening on the ready line\'s url', () => {
    assert.equal(p.ready['workers'], WORKERS);
    const pids = workerPids(p);
    assert.deepEqual([...pids.keys()].sort(), [1, 2]);
    assert.deepEqual(childPids(p.child.pid!).sort(), [...pids.values()].sort());
    for (const l of p.lines.filter((x) => x['msg'] === 'worker listening')) assert.equal(l['url'], url);
    assert.ok(!p.lines.some((l) => l['msg'] === 'ready' && l['worker'] !== undefined), 'only the primary says ready');
  });

  test('a route PUT through the admin API serves on every worker at once; connections spread over the workers', async () => {
    const put = await admin(url, KEY, 'PUT', '/routes/spread', route('/spread'));
    assert.equal(put.status, 201, put.text);
    // No wait: the reply came after every worker had applied the route.
    const clients = await openClients(`${ws}/spread`, 4 * WORKERS);
    try {
      const counts = await perWorker(url, WORKERS);
      assert.equal(counts.reduce((a, b) => a + b, 0), 4 * WORKERS, `per worker: ${counts}`);
      for (const [i, n] of counts.entries()) assert.ok(n >= 1, `worker ${i + 1} served none of them: ${counts}`);
      for (const c of clients) assert.equal((await c.ping(Buffer.from('hi'))).resp, 'pongResp');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test('admin writes through different workers are never lost, and every worker reads the same routes', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `c${i}`);
    // All at once, each on a connection of its own, so they come through both workers.
    const puts = await Promise.all(ids.map((id) => admin(url, KEY, 'PUT', `/routes/${id}`, route(`/c/${id}`))));
    assert.deepEqual(puts.map((r) => r.status), ids.map(() => 201));
    const patches = await Promise.all(ids.map((id, i) => admin(url, KEY, 'PATCH', `/routes/${id}`, { name: `n${i}` })));
    assert.deepEqual(patches.map((r) => r.status), ids.map(() => 200));
    const seen = new Set<string>();
    for (let i = 0; i < 2 * WORKERS; i++) {
      const list = await admin(url, KEY, 'GET', '/routes');
      assert.equal(list.status, 200);
      const items = (list.json['list'] as Array<{ value: { id: string; name?: string }; modifiedIndex: number }>).filter((x) => x.value.id.startsWith('c'));
      assert.deepEqual(items.map((x) => x.value.id).sort(), [...ids].sort());
      for (const x of items) assert.equal(x.value.name, `n${x.value.id.slice(1)}`, `${x.value.id} lost its PATCH on a worker`);
      seen.add(JSON.stringify(items.map((x) => x.modifiedIndex)));
    }
    assert.equal(seen.size, 1, 'every worker has the same revisions');
    const files = readdirSync(join(dataDir, 'routes')).filter((f) => /^c\d+\.json$/.test(f));
    assert.equal(files.length, ids.length);
    const indexes = files.map((f) => (JSON.parse(readFileSync(join(dataDir, 'routes', f), 'utf8')) as { modifiedIndex: number }).modifiedIndex);
    assert.equal(new Set(indexes).size, ids.length, 'one writer numbered them: no index twice');
    await Promise.all(ids.map((id) => admin(url, KEY, 'DELETE', `/routes/${id}`)));
    assert.deepEqual(readdirSync(join(dataDir, 'routes')).filter((f) => f.startsWith('c')), []);
  });

  test('/metrics on any worker sums the workers; /readyz counts the group\'s connections', async () => {
    assert.equal((await admin(url, KEY, 'PUT', '/routes/m', route('/m'))).status, 201);
    const before = await scrape(url);
    const clients = await openClients(`${ws}/m`, 3 * WORKERS);
    try {
      for (const c of clients) {
        await c.ping(Buffer.from('1'));
        await c.ping(Buffer.from('2'));
      }
      const counts = await perWorker(url, WORKERS);
      assert.ok(counts.every((n) => n >= 1), `per worker: ${counts}`);
      // Several scrapes, each on a new connection, so each worker answers at least once.
      for (let i = 0; i < 2 * WORKERS; i++) {
        const m = await scrape(url);
        assert.equal(m.get('kwp_connections_open{route="m"}'), 3 * WORKERS);
        assert.equal(m.get('kwp_connections_total{route="m"}'), 3 * WORKERS);
        assert.equal(m.get('kwp_commands_total{route="m",command="ping",result="ok"}'), 6 * WORKERS);
        assert.equal(m.get('kwp_routes'), (before.get('kwp_routes') ?? 0), 'routes are not multiplied by the workers');
        assert.equal(m.get('kwp_workers'), WORKERS);
        assert.equal(m.get('kwp_workers_reporting'), WORKERS);
        assert.equal(m.get('kwp_worker_restarts_total'), 0);
        assert.ok(m.get('process_resident_memory_bytes')! > (WORKERS + 1) * 20 * 1024 * 1024, 'the memory of the primary and of every worker');
        const ready = await http(url, 'GET', '/readyz');
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.json, { status: 'ready', routes: before.get('kwp_routes'), connections: 3 * WORKERS, workers: WORKERS });
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test('DELETE through one worker closes the route\'s sockets on every worker with 1001; PATCH disabled does too', async () => {
    for (const [how, change] of [['DELETE', undefined], ['PATCH', { status: 0 }]] as const) {
      assert.equal((await admin(url, KEY, 'PUT', '/routes/gone', route('/gone'))).status, 201);
      const clients = await openClients(`${ws}/gone`, 3 * WORKERS);
      const counts = await perWorker(url, WORKERS);
      assert.ok(counts.every((n) => n >= 1), `per worker: ${counts}`);
      const r = await admin(url, KEY, how, '/routes/gone', change);
      assert.equal(r.status, 200, r.text);
      const closes = await Promise.all(clients.map((c) => c.closed));
      assert.deepEqual(closes.map((c) => c.code), clients.map(() => 1001), `${how}: ${JSON.stringify(closes)}`);
      assert.deepEqual(new Set(closes.map((c) => c.reason)), new Set([how === 'DELETE' ? 'route deleted' : 'route updated']));
      await assert.rejects(openClients(`${ws}/gone`, 1), /HTTP 404/);
      if (how === 'PATCH') assert.equal((await admin(url, KEY, 'DELETE', '/routes/gone')).status, 200);
    }
  });
});
