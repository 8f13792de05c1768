import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { kafkaRoute } from '../../support/proxy-fixture.js';
import { admin, childPids, openClients, perWorker, scrape, workerPids } from '../../support/proxy-group.js';
import { ProxyProcess } from '../../support/proxy-process.js';

/*
 * The life of a worker group (issue 20): SIGTERM drains every worker, a killed worker is replaced,
 * a crash loop gives up, a worker that cannot listen fails the start, and --workers 1 is the
 * single process of before, with no primary.
 */
const KEY = 'workers-admin-key-0123456789';
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kwp-workers-life-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function start(workers: number, extra: string[] = []): Promise<ProxyProcess> {
  const dataDir = mkdtempSync(join(dir, 'data-'));
  return ProxyProcess.start(['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--workers', String(workers), ...extra], { KAFKA_WS_PROXY_ADMIN_KEY: KEY }, 30_000);
}

async function withRoute(p: ProxyProcess): Promise<string> {
  const url = String(p.ready['url']);
  const put = await admin(url, KEY, 'PUT', '/routes/life', kafkaRoute('/life', ['127.0.0.1:1']));
  assert.equal(put.status, 201, put.text);
  return url;
}

test('SIGTERM to the primary closes every worker\'s WebSockets with 1001 and exits 0', async () => {
  const p = await start(2);
  const url = await withRoute(p);
  const clients = await openClients(`${url.replace(/^http/, 'ws')}/life`, 6);
  const counts = await perWorker(url, 2);
  assert.ok(counts.every((n) => n >= 1), `per worker: ${counts}`);
  const pids = [...workerPids(p).values()];
  const { code, signal } = await p.stop('SIGTERM');
  assert.equal(code, 0, p.stderr);
  assert.equal(signal, null);
  const closes = await Promise.all(clients.map((c) => c.closed));
  assert.deepEqual(closes, clients.map(() => ({ code: 1001, reason: 'server shutting down' })));
  assert.equal(p.lines.filter((l) => l['msg'] === 'worker stopped' && l['code'] === 0).length, 2);
  assert.ok(p.lines.some((l) => l['msg'] === 'stopped' && l['worker'] === undefined), 'the primary logs stopped last');
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} outlived the primary`);
});

test('a worker killed with SIGKILL is restarted, gets the routes, and serves; the group counts the restart', async () => {
  const p = await start(2);
  try {
    const url = await withRoute(p);
    const before = workerPids(p);
    const victim = before.get(2)!;
    process.kill(victim, 'SIGKILL');
    const exited = await p.waitFor((l) => l['msg'] === 'worker exited' && l['pid'] === victim, 15_000);
    assert.equal(exited['level'], 'error');
    assert.equal(exited['signal'], 'SIGKILL');
    assert.equal(exited['restartInMs'], 500);
    await p.waitFor((l) => l['msg'] === 'worker restarted' && l['worker'] === 2, 15_000);
    const fresh = workerPids(p).get(2)!;
    assert.notEqual(fresh, victim);
    assert.deepEqual(childPids(p.child.pid!).sort(), [before.get(1)!, fresh].sort());
    // A route written after the restart and the one from before it both serve on the new worker.
    assert.equal((await admin(url, KEY, 'PUT', '/routes/later', kafkaRoute('/later', ['127.0.0.1:1']))).status, 201);
    for (const path of ['/life', '/later']) {
      const clients = await openClients(`${url.replace(/^http/, 'ws')}${path}`, 4);
      const counts = await perWorker(url, 2);
      assert.ok(counts.every((n) => n >= 1), `${path} per worker: ${counts}`);
      await Promise.all(clients.map((c) => c.close()));
    }
    const m = await scrape(url);
    assert.equal(m.get('kwp_worker_restarts_total'), 1);
    assert.equal(m.get('kwp_workers'), 2);
  } finally {
    assert.equal((await p.stop()).code, 0, p.stderr);
  }
});

test('a worker that keeps dying is restarted with growing delays, then the primary gives up: exit 1 with a clear error', async () => {
  const p = await start(2);
  const delays: unknown[] = [];
  for (let i = 0; i < 6; i++) {
    const pid = workerPids(p).get(1)!;
    const mark = p.lines.length;
    const later = (l: Record<string, unknown>) => p.lines.indexOf(l) >= mark;
    process.kill(pid, 'SIGKILL');
    const line = await p.waitFor((l) => later(l) && (l['msg'] === 'worker exited' || l['msg'] === 'worker crash loop: giving up') && l['pid'] === pid, 20_000);
    if (line['msg'] === 'worker crash loop: giving up') break;
    delays.push(line['restartInMs']);
    await p.waitFor((l) => later(l) && l['msg'] === 'worker listening' && l['worker'] === 1, 30_000);
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000]);
  const { code } = await p.exited;
  assert.equal(code, 1);
  assert.match(p.stderr, /^error SERVER_ERR_WORKER: worker 1 exited 6 times within 60 s; giving up$/m);
  assert.ok(p.lines.some((l) => l['msg'] === 'worker stopped' && l['worker'] === 2), 'the other worker was stopped, not left running');
});

test('a worker that cannot listen fails the start: exit 1, its error on stderr, then the primary\'s', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as AddressInfo).port;
  try {
    const p = await start(2, ['--admin-port', String(port), '--admin-host', '127.0.0.1']).then(
      () => assert.fail('started on a port in use'),
      (e: unknown) => e as Error,
    );
    assert.match(p.message, /proxy exited 1/);
    assert.match(p.message, /EADDRINUSE/);
    assert.match(p.message, /error SERVER_ERR_WORKER: worker \d exited \(code 1\) before it was listening/);
  } finally {
    taken.close();
  }
});

test('--workers 1 is one process: no primary, no child, the ready line of before', async () => {
  const p = await start(1);
  try {
    assert.deepEqual(childPids(p.child.pid!), []);
    assert.equal(p.ready['workers'], undefined);
    assert.ok(!p.lines.some((l) => l['msg'] === 'worker listening'));
    const url = await withRoute(p);
    const m = await scrape(url);
    assert.equal(m.get('kwp_workers'), undefined, 'no group metrics');
    assert.equal(m.get('kwp_routes'), 1);
  } finally {
    assert.equal((await p.stop()).code, 0);
  }
});
