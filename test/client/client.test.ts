import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { ClientClosedError, ConnectionError, ProtocolError, RequestTimeoutError, ServerError, connect, type ConsumeStatus, type Message, type PubSubClient } from '../../src/client/index.js';
import { LoopbackServer, type DecodedReq, type Peer } from './loopback.js';

/*
 * The client's own rules against a scripted server: sequence matching, timeouts, socket loss,
 * close, and consume's resume/retry logic. Against real Kafka: client.kafka.test.ts.
 */
let server: LoopbackServer;
before(async () => {
  server = await LoopbackServer.start();
});
after(() => server.close());

const open = (opts: Parameters<typeof connect>[1] = {}): Promise<PubSubClient> => connect(server.url, { WebSocket, ...opts });

function pong(req: DecodedReq, peer: Peer): void {
  peer.reply({ sequence: req.sequence, pongResp: { state: req.cmdPing?.state } });
}

test('ping echoes bytes and strings; the client reports connected', async () => {
  server.onRequest = pong;
  const c = await open();
  try {
    assert.equal(c.connected, true);
    assert.equal(c.url, server.url);
    assert.equal(Buffer.from(await c.ping('héllo')).toString(), 'héllo');
    assert.deepEqual([...(await c.ping(new Uint8Array([0, 255, 7])))], [0, 255, 7]);
    assert.equal((await c.ping()).length, 0);
  } finally {
    await c.close();
  }
  assert.equal(c.connected, false);
});

test('many requests in flight are matched by sequence even when answered in reverse order', async () => {
  const held: Array<[DecodedReq, Peer]> = [];
  server.onRequest = (req, peer) => {
    held.push([req, peer]);
    if (held.length === 20) for (const [r, p] of held.reverse()) p.reply({ sequence: r.sequence, kafkaListOffsetResp: { offset: String(BigInt(r.cmdKafkaListOffset?.timestamp ?? '0') * 10n) } });
  };
  const c = await open();
  try {
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => c.listOffset('t', 0, BigInt(1000 + i))));
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => BigInt(1000 + i) * 10n));
    const seqs = server.requests.slice(-20).map((r) => BigInt(r.sequence ?? '0'));
    assert.equal(new Set(seqs).size, 20, 'distinct sequences');
    assert.ok(seqs.every((s) => s > 0n), 'never sequence 0');
  } finally {
    await c.close();
  }
});

test('replies with unknown sequences are ignored; "wrong command" with sequence 0 fails the oldest request', async () => {
  const held: Array<[DecodedReq, Peer]> = [];
  server.onRequest = (req, peer) => {
    held.push([req, peer]);
    if (held.length < 3) return;
    peer.reply({ sequence: '999999', pongResp: { state: Buffer.from('stray') } });
    peer.reply({ sequence: '0', errorResp: { code: 0, message: 'wrong command' } });
    for (const [r, p] of held.slice(1)) pong(r, p);
  };
  const c = await open();
  try {
    const results = await Promise.allSettled([c.ping('a'), c.ping('b'), c.ping('c')]);
    assert.equal(results[0].status, 'rejected');
    const e = (results[0] as PromiseRejectedResult).reason as ServerError;
    assert.ok(e instanceof ServerError);
    assert.equal(e.reason, 'wrong command');
    assert.deepEqual(results.slice(1).map((r) => (r.status === 'fulfilled' ? Buffer.from(r.value).toString() : 'rejected')), ['b', 'c']);
  } finally {
    await c.close();
  }
});

test('a request timeout rejects only that request; its late reply is ignored', async () => {
  let late: (() => void) | undefined;
  server.onRequest = (req, peer) => {
    if (req.cmdPing?.state?.toString() === 'slow') late = () => pong(req, peer);
    else pong(req, peer);
  };
  const c = await open({ requestTimeoutMs: 200 });
  try {
    const slow = c.ping('slow');
    const fast = await c.ping('fast');
    assert.equal(Buffer.from(fast).toString(), 'fast');
    await assert.rejects(slow, (e: unknown) => e instanceof RequestTimeoutError && e.code === 'KWP_CLIENT_ERR_TIMEOUT' && e.timeoutMs === 200);
    late?.();
    assert.equal(Buffer.from(await c.ping('after')).toString(), 'after');
    assert.equal(c.connected, true);
  } finally {
    await c.close();
  }
});

test('a dropped socket rejects every waiting request with ConnectionError; the next command reconnects', async () => {
  let count = 0;
  server.onRequest = (_req, peer) => {
    if (++count === 3) peer.ws.close(1011, 'boom');
  };
  const c = await open();
  const before = server.connections;
  try {
    const results = await Promise.allSettled([c.ping('1'), c.ping('2'), c.ping('3')]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as ConnectionError;
      assert.ok(e instanceof ConnectionError, String(e));
      assert.equal(e.closeCode, 1011);
      assert.equal(e.closeReason, 'boom');
    }
    assert.equal(c.connected, false);
    server.onRequest = pong;
    assert.equal(Buffer.from(await c.ping('again')).toString(), 'again');
    assert.equal(server.connections, before + 1);
  } finally {
    await c.close();
  }
});

test('close() fails waiting requests with ClientClosedError, closes with 1000 and waits for the handshake', async () => {
  server.onRequest = () => {};
  const c = await open();
  const peerClosed = new Promise<number>((resolve) => [...server.wss.clients].at(-1)!.once('close', (code) => resolve(code)));
  const waiting = assert.rejects(c.ping('never answered'), (e: unknown) => e instanceof ClientClosedError && e.code === 'KWP_CLIENT_ERR_CLOSED');
  await new Promise((r) => setTimeout(r, 50));
  await c.close();
  await waiting;
  assert.equal(await peerClosed, 1000);
  await assert.rejects(c.ping(), ClientClosedError);
  await c.close(); // idempotent
});

test('connect fails with ConnectionError when nothing listens, and after connectTimeoutMs when the handshake never ends', async () => {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  await assert.rejects(connect(`ws://127.0.0.1:${port}/kafka`, { WebSocket }), (e: unknown) => e instanceof ConnectionError && /ECONNREFUSED/.test(e.message));

  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const t0 = Date.now();
  try {
    await assert.rejects(connect(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { WebSocket, connectTimeoutMs: 300 }), (e: unknown) => e instanceof ConnectionError && /300 ms/.test(e.message));
    assert.ok(Date.now() - t0 < 3000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('a reply of the wrong kind is a ProtocolError; bad arguments throw before sending', async () => {
  server.onRequest = (req, peer) => peer.reply({ sequence: req.sequence, pongResp: {} });
  const c = await open();
  try {
    await assert.rejects(c.fetch('t', 0, 0n), ProtocolError);
    const sent = server.requests.length;
    await assert.rejects(c.fetch('t', 0, 2 ** 60), RangeError);
    await assert.rejects(c.fetch('t', 0, 1n << 63n), RangeError);
    await assert.rejects(c.listOffset('t', 0, new Date(Number.NaN)), RangeError);
    assert.equal(server.requests.length, sent);
  } finally {
    await c.close();
  }
});

/** An APISIX-like partition: `count` records in batches of 10; a fetch returns the whole batch holding the offset, no high watermark. */
function apisixPartition(count: number, failures: Map<number, string> = new Map()) {
  let fetches = 0;
  return (req: DecodedReq, peer: Peer): void => {
    const seq = req.sequence ?? '0';
    if (req.cmdKafkaListOffset !== undefined) {
      const t = req.cmdKafkaListOffset.timestamp;
      peer.reply({ sequence: seq, kafkaListOffsetResp: { offset: t === '-2' ? '0' : String(count) } });
      return;
    }
    const f = { topic: '', partition: 0, offset: '0', ...req.cmdKafkaFetch };
    const failure = failures.get(++fetches);
    if (failure === 'drop') {
      peer.ws.terminate();
      return;
    }
    if (failure !== undefined) {
      peer.reply({ sequence: seq, errorResp: { code: 0, message: `failed to fetch message, topic: ${f.topic}, partition: ${f.partition}, err: ${failure}` } });
      return;
    }
    const offset = Number(f.offset);
    if (offset > count) {
      peer.reply({ sequence: seq, errorResp: { code: 0, message: `failed to fetch message, topic: ${f.topic}, partition: ${f.partition}, err: OFFSET_OUT_OF_RANGE` } });
      return;
    }
    const start = offset - (offset % 10);
    const messages = [];
    for (let o = start; o < Math.min(start + 10, count); o++) messages.push({ offset: String(o), timestamp: String(1_700_000_000_000 + o), value: Buffer.from(`m${o}`) });
    peer.reply({ sequence: seq, kafkaFetchResp: { messages } });
  };
}

test('consume against an APISIX-like server: earlier records of a batch are skipped, high watermark is 0n, break stops', async () => {
  server.onRequest = apisixPartition(45);
  const c = await open();
  const infos: Array<{ highWatermark: bigint; nextOffset: bigint; count: number }> = [];
  try {
    const got: bigint[] = [];
    for await (const m of c.consume('t', 0, { from: 13n, onFetch: (i) => infos.push(i) })) {
      got.push(m.offset);
      assert.equal(m.valueText(), `m${m.offset}`);
      assert.deepEqual(m.headers, []);
      if (m.offset === 44n) break;
    }
    assert.deepEqual(got, Array.from({ length: 32 }, (_, i) => BigInt(13 + i)));
    assert.deepEqual(infos[0], { highWatermark: 0n, logStartOffset: 0n, nextOffset: 20n, count: 7 });
  } finally {
    await c.close();
  }
});

test('consume retries transient errors and dropped sockets with backoff, resuming without loss or repeats', async () => {
  server.onRequest = apisixPartition(60, new Map([[2, 'not found topic'], [3, 'drop'], [4, 'NOT_LEADER_OR_FOLLOWER'], [6, 'drop']]));
  const c = await open({ reconnect: { initialDelayMs: 20, maxDelayMs: 40 } });
  const statuses: ConsumeStatus[] = [];
  const got: bigint[] = [];
  try {
    for await (const m of c.consume('t', 0, { from: 'earliest', onStatus: (s) => statuses.push(s) })) {
      got.push(m.offset);
      if (got.length === 60) break;
    }
    assert.deepEqual(got, Array.from({ length: 60 }, (_, i) => BigInt(i)));
    assert.deepEqual(statuses.map((s) => `${s.state}${s.attempt ?? ''}`), ['connected', 'retrying1', 'reconnecting2', 'retrying3', 'connected', 'reconnecting1', 'connected']);
    assert.ok(statuses[1]!.error instanceof ServerError);
    assert.ok(statuses[2]!.error instanceof ConnectionError);
  } finally {
    await c.close();
  }
});

test('consume throws non-transient server errors (OFFSET_OUT_OF_RANGE) and gives up after maxAttempts', async () => {
  server.onRequest = apisixPartition(5);
  const c = await open({ reconnect: { initialDelayMs: 5, maxAttempts: 2 } });
  try {
    await assert.rejects(async () => {
      for await (const m of c.consume('t', 0, { from: 99n })) assert.fail(`unexpected ${m.offset}`);
    }, (e: unknown) => e instanceof ServerError && e.reason === 'OFFSET_OUT_OF_RANGE' && e.topic === 't' && e.partition === 0);
    server.onRequest = apisixPartition(5, new Map([[1, 'REQUEST_TIMED_OUT'], [2, 'REQUEST_TIMED_OUT'], [3, 'REQUEST_TIMED_OUT']]));
    const statuses: string[] = [];
    await assert.rejects(async () => {
      for await (const m of c.consume('t', 0, { from: 0n, onStatus: (s) => statuses.push(`${s.state}${s.attempt ?? ''}`) })) assert.fail(`unexpected ${m.offset}`);
    }, (e: unknown) => e instanceof ServerError && e.reason === 'REQUEST_TIMED_OUT');
    assert.deepEqual(statuses, ['retrying1', 'retrying2']);
  } finally {
    await c.close();
  }
});

test('abort ends consume promptly during a backoff wait, an idle wait and a pending fetch, without throwing', async () => {
  const c = await open({ reconnect: { initialDelayMs: 60_000 } });
  try {
    for (const scenario of ['backoff', 'idle', 'pending'] as const) {
      server.onRequest =
        scenario === 'backoff' ? apisixPartition(5, new Map([[1, 'not found topic']])) : scenario === 'idle' ? apisixPartition(0) : () => {};
      const ac = new AbortController();
      const got: Message[] = [];
      const t0 = Date.now();
      const loop = (async () => {
        for await (const m of c.consume('t', 0, { from: 0n, signal: ac.signal, idleDelayMs: 60_000 })) got.push(m);
      })();
      await new Promise((r) => setTimeout(r, 100));
      ac.abort();
      await loop;
      assert.ok(Date.now() - t0 < 2000, `${scenario}: ended in ${Date.now() - t0} ms`);
      assert.deepEqual(got, [], scenario);
    }
  } finally {
    await c.close();
  }
});
