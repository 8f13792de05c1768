import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { createProxy } from '../../src/server/index.js';
import { createLogger } from '../../src/server/log.js';
import { kafkaRoute, startProxy, TEST_ADMIN_KEY, type RunningProxy } from '../support/proxy-fixture.js';

/**
 * Hostile TCP clients (issue 16, defect 6): sockets that never send a request, too many from one
 * address, too many in all. Each client address is a loopback address of its own (127.0.0.x), so
 * the per-address cap can be reached by one "attacker" while another address is served. Only
 * 127.0.0.1 is admin-allowed here, so the others stand for the internet.
 */

/** Time for the proxy to see and refuse a connection; refused sockets close well within it. */
const SETTLE_MS = 300;
/** A route whose broker port is unused: an upgrade succeeds, and no command is ever sent. */
const ROUTES = [{ id: 't', ...kafkaRoute('/kafka/t', ['127.0.0.1:1']) }];

interface Idle {
  socket: Socket;
  /** ms after opening when the proxy closed it, if it did. */
  closedAfter?: number;
}

/** Opens `n` TCP connections from `from`, one after another, that never send a byte (unless `send`). */
async function openIdle(url: string, from: string, n: number, send?: string): Promise<Idle[]> {
  const { hostname, port } = new URL(url);
  const out: Idle[] = [];
  for (let i = 0; i < n; i++) {
    const started = Date.now();
    const socket = connect({ host: hostname, port: Number(port), localAddress: from });
    const idle: Idle = { socket };
    socket.on('error', () => {});
    // Read what comes (Node's own 408 on a server without a clientError listener): a socket with
    // unread data never sees the end, and so never reports the close.
    socket.resume();
    socket.on('close', () => {
      idle.closedAfter = Date.now() - started;
    });
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    });
    if (send !== undefined) socket.write(send);
    out.push(idle);
  }
  return out;
}

const stillOpen = (sockets: Idle[]): number => sockets.filter((s) => s.closedAfter === undefined).length;

/**
 * A GET on a connection of its own from `from`, closed after the reply (no keep-alive pool holds
 * it); resolves with the status and body, or the socket error's code.
 */
function getReply(url: string, path: string, from: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const req = request({ host: hostname, port, path, headers, localAddress: from, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.setTimeout(5000, () => req.destroy(new Error('no answer in 5 s')));
    req.end();
  });
}

async function get(url: string, path: string, from: string, headers: Record<string, string> = {}): Promise<number | string> {
  const r = await getReply(url, path, from, headers);
  return typeof r === 'string' ? r : r.status;
}

/** A WebSocket upgrade from `from`; resolves 'open', or the HTTP status it was refused with, or the error. */
function upgrade(p: RunningProxy, from: string): Promise<'open' | number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(p.ws('/kafka/t'), { localAddress: from, handshakeTimeout: 5000 });
    ws.once('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function rejectedMetric(p: RunningProxy, reason: string): Promise<number> {
  const r = await getReply(p.url, '/metrics', '127.0.0.1');
  assert.ok(typeof r !== 'string' && r.status === 200, `GET /metrics: ${JSON.stringify(r)}`);
  const line = r.body.split('\n').find((l) => l.startsWith(`kwp_connections_rejected_total{reason="${reason}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

function closeAll(groups: Idle[][]): void {
  for (const g of groups) for (const s of g) s.socket.destroy();
}

describe('per-address cap', () => {
  let p: RunningProxy;
  const held: Idle[][] = [];
  before(async () => {
    p = await startProxy({ routes: ROUTES, adminAllow: ['127.0.0.1'], maxSockets: 50, maxSocketsPerAddress: 20, headerTimeoutMs: 30_000, heartbeatMs: 0 });
  });
  after(async () => {
    closeAll(held);
    await p.proxy.close(0);
  });

  test('sockets beyond --max-sockets-per-address from one address are closed at once; another address still upgrades', async () => {
    const attacker = await openIdle(p.url, '127.0.0.3', 25);
    held.push(attacker);
    await sleep(SETTLE_MS);
    assert.equal(stillOpen(attacker), 20, 'the first 20 stay, the 5 beyond the cap are closed');
    for (const s of attacker.slice(20)) assert.ok(s.closedAfter !== undefined && s.closedAfter < SETTLE_MS, `closed after ${s.closedAfter} ms`);
    assert.equal(await upgrade(p, '127.0.0.2'), 'open');
    assert.equal(await get(p.url, '/healthz', '127.0.0.4'), 200);
    assert.equal(await rejectedMetric(p, 'max_sockets_per_address'), 5);
    // One warn line for the burst, not one per refused socket.
    const warned = p.logs.filter((l) => l['msg'] === 'connections refused');
    assert.deepEqual(warned.map((l) => [l['level'], l['reason'], l['count']]), [['warn', 'max_sockets_per_address', 1]]);
  });
});

describe('total cap', () => {
  let p: RunningProxy;
  const held: Idle[][] = [];
  before(async () => {
    p = await startProxy({ routes: ROUTES, adminAllow: ['127.0.0.1'], maxSockets: 50, maxSocketsPerAddress: 20, headerTimeoutMs: 30_000, heartbeatMs: 0 });
  });
  after(async () => {
    closeAll(held);
    await p.proxy.close(0);
  });

  test('at --max-sockets new sockets are closed at once, but /healthz and the admin API answer admin-allowed addresses', async () => {
    for (const from of ['127.0.0.3', '127.0.0.4']) held.push(await openIdle(p.url, from, 20));
    const last = await openIdle(p.url, '127.0.0.5', 15);
    held.push(last);
    await sleep(SETTLE_MS);
    assert.equal(held.reduce((n, g) => n + stillOpen(g), 0), 50, 'exactly --max-sockets stay open');
    assert.equal(stillOpen(last), 10);
    assert.equal(await get(p.url, '/healthz', '127.0.0.6'), 'ECONNRESET', 'a client that is not admin-allowed is refused at the cap');
    assert.equal(await upgrade(p, '127.0.0.2'), 'ECONNRESET');

    assert.equal(await get(p.url, '/healthz', '127.0.0.1'), 200);
    assert.equal(await get(p.url, '/readyz', '127.0.0.1'), 200);
    assert.equal(await get(p.url, '/apisix/admin/routes', '127.0.0.1', { 'x-api-key': TEST_ADMIN_KEY }), 200);
    // The reserve is for plain HTTP: an upgrade on it would let WebSockets eat it.
    assert.equal(await upgrade(p, '127.0.0.1'), 503);
    assert.equal(await rejectedMetric(p, 'max_sockets'), 5 + 2 + 1);
  });

  test('the admin-allowed reserve is bounded too', async () => {
    // Sockets from the requests above close with them; give the proxy time to see that.
    await sleep(SETTLE_MS);
    const admin = await openIdle(p.url, '127.0.0.1', 20);
    held.push(admin);
    await sleep(SETTLE_MS);
    assert.equal(stillOpen(admin), p.proxy.socketLimits.adminReserve);
    assert.equal(p.proxy.socketLimits.adminReserve, 16);
  });
});

describe('first-request deadline', () => {
  let p: RunningProxy;
  const held: Idle[][] = [];
  before(async () => {
    p = await startProxy({ routes: ROUTES, headerTimeoutMs: 500, heartbeatMs: 0 });
  });
  after(async () => {
    closeAll(held);
    await p.proxy.close(0);
  });

  test('connections that send no request, or only part of its head, are closed after --header-timeout-ms', async () => {
    const silent = await openIdle(p.url, '127.0.0.2', 5);
    const slow = await openIdle(p.url, '127.0.0.3', 2, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    held.push(silent, slow);
    const all = [...silent, ...slow];
    const deadline = Date.now() + 3000;
    while (stillOpen(all) > 0 && Date.now() < deadline) await sleep(50);
    assert.equal(stillOpen(all), 0, 'every idle socket is closed within 3 s');
    for (const s of all) assert.ok(s.closedAfter !== undefined && s.closedAfter >= 450 && s.closedAfter < 1500, `closed after ${s.closedAfter} ms`);
    assert.equal(await rejectedMetric(p, 'request_timeout'), 7);
  });

  test('a client that sends its request in time is served, and an upgrade is not cut by the deadline', async () => {
    assert.equal(await get(p.url, '/healthz', '127.0.0.2'), 200);
    const ws = new WebSocket(p.ws('/kafka/t'));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await sleep(1200);
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.terminate();
  });
});

describe('separate admin listener', () => {
  let p: RunningProxy;
  let adminUrl: string;
  const held: Idle[][] = [];
  before(async () => {
    p = await startProxy({ routes: ROUTES, adminAllow: ['127.0.0.1'], heartbeatMs: 0 });
    // startProxy listened already; a second listen adds the admin listener beside a new main one.
    const urls = await p.proxy.listen({ port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' });
    adminUrl = urls.adminUrl ?? '';
  });
  after(async () => {
    closeAll(held);
    await p.proxy.close(0);
  });

  test('it answers /healthz, /readyz and /metrics too, and keeps 64 sockets plus the reserve of its own', async () => {
    assert.equal(await get(adminUrl, '/healthz', '127.0.0.2'), 200);
    assert.equal(await get(adminUrl, '/readyz', '127.0.0.2'), 200);
    assert.equal(await get(adminUrl, '/metrics', '127.0.0.2'), 403);
    const crowd = [await openIdle(adminUrl, '127.0.0.2', 40), await openIdle(adminUrl, '127.0.0.3', 40)];
    held.push(...crowd);
    await sleep(SETTLE_MS);
    assert.equal(crowd.reduce((n, g) => n + stillOpen(g), 0), 64);
    assert.equal(await get(adminUrl, '/healthz', '127.0.0.4'), 'ECONNRESET');
    assert.equal(await get(adminUrl, '/healthz', '127.0.0.1'), 200);
    assert.equal(await get(adminUrl, '/apisix/admin/routes', '127.0.0.1', { 'x-api-key': TEST_ADMIN_KEY }), 200);
    // The main listener has a budget of its own.
    assert.equal(await get(p.url, '/healthz', '127.0.0.4'), 200);
  });
});

describe('embedded: limitConnections on the program\'s own server', () => {
  test('the caps and the deadline apply to a server the proxy did not create', async () => {
    const logs: string[] = [];
    const logger = createLogger({ level: 'info', write: (line) => logs.push(line) });
    const proxy = await createProxy({ routes: ROUTES, maxSockets: 10, maxSocketsPerAddress: 4, headerTimeoutMs: 400, adminAllow: ['127.0.0.1'], heartbeatMs: 0, logger });
    const server = createServer((req, res) => {
      void proxy.handleRequest(req, res).then((handled) => {
        if (!handled) res.end('mine');
      });
    });
    server.on('upgrade', (req, socket, head) => {
      if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
    });
    proxy.limitConnections(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const one = await openIdle(url, '127.0.0.2', 6);
      await sleep(SETTLE_MS);
      assert.equal(stillOpen(one), 4);
      const started = Date.now();
      while (stillOpen(one) > 0 && Date.now() - started < 3000) await sleep(50);
      assert.equal(stillOpen(one), 0, 'closed by the 400 ms deadline');
      assert.equal(await get(url, '/anything', '127.0.0.3'), 200);
      assert.equal(logs.filter((l) => l.includes('"reason":"max_sockets_per_address"')).length, 1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await proxy.close(0);
    }
  });
});
