import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { connect, type Message, type SubscriptionProgress } from '../../src/client/index.js';
import { LoopbackServer, type DecodedReq, type Peer } from './loopback.js';

/*
 * client.subscribe against a scripted server: pushes that arrive in the same read as the subscribe
 * answer, and onProgress (what each push reports, exact int64s, empty pushes, before the push's
 * messages; a throwing callback ends the iteration and unsubscribes). Against real Kafka:
 * subscribe.kafka.test.ts.
 */
let server: LoopbackServer;
before(async () => {
  server = await LoopbackServer.start();
});
after(() => server.close());

const BIG = 2n ** 60n + 7n;

function message(offset: bigint): Record<string, unknown> {
  return { offset: String(offset), timestamp: '1700000000000', key: Buffer.from(`k${offset}`), value: Buffer.from(`v${offset}`) };
}

function push(subscription: number, partition: number, offsets: bigint[], highWatermark: bigint, nextOffset: bigint): Record<string, unknown> {
  return { sequence: '0', kafkaRecordsPush: { subscription, partition, messages: offsets.map(message), highWatermark: String(highWatermark), nextOffset: String(nextOffset) } };
}

/**
 * Answers a subscribe with starts for partitions 0 and 1, then sends `pushes(id)`, all in one
 * socket write: the client reads them in one chunk, as it may from a real proxy that has the first
 * records at hand when it answers.
 */
function script(pushes: (id: number) => Array<Record<string, unknown>>): (req: DecodedReq, peer: Peer) => void {
  return (req, peer) => {
    const id = req.cmdSubscribe?.subscription;
    if (id === undefined) return;
    const socket = (peer.ws as unknown as { _socket: Socket })._socket;
    socket.cork();
    peer.reply({ sequence: req.sequence, subscribeResp: { subscription: id, start: [{ partition: 0, offset: '0' }, { partition: 1, offset: String(BIG) }], maxFrameBytes: '1024' } });
    for (const p of pushes(id)) peer.reply(p);
    process.nextTick(() => socket.uncork());
  };
}

/** The next `n` messages; fails after 5 s rather than hang on messages that never come. */
async function take(it: AsyncIterator<Message>, n: number): Promise<Message[]> {
  const out: Message[] = [];
  while (out.length < n) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, 5000, undefined);
    });
    const r = await Promise.race([it.next(), late]);
    clearTimeout(timer);
    if (r === undefined) throw new Error(`got ${out.length} of ${n} messages within 5 s`);
    if (r.done === true) throw new Error(`ended after ${out.length} of ${n}`);
    out.push(r.value);
  }
  return out;
}

test('pushes in the same read as the subscribe answer are delivered, each offset once (they were dropped: a gap)', async () => {
  server.onRequest = script((id) => [push(id, 0, [0n, 1n], 3n, 2n), push(id, 1, [BIG], BIG + 1n, BIG + 1n), push(id, 0, [2n], 3n, 3n)]);
  const c = await connect(server.url, { WebSocket });
  try {
    const sub = c.subscribe('t', { from: 'earliest' });
    const got = await take(sub, 4);
    assert.deepEqual(got.map((m) => [m.partition, m.offset]), [[0, 0n], [0, 1n], [1, BIG], [0, 2n]]);
    assert.deepEqual(sub.cursor, new Map([[0, 3n], [1, BIG + 1n]]));
    await sub.return();
  } finally {
    await c.close();
  }
});

test('onProgress reports every push as it arrives: partition, exact high watermark and next offset, count (0 for an empty push)', async () => {
  server.onRequest = script((id) => [
    push(id, 0, [0n, 1n], 5n, 2n),
    push(id, 1, [BIG], BIG + 100n, BIG + 1n),
    // Only skipped offsets (e.g. a transaction marker) advanced partition 0.
    push(id, 0, [], 5n, 3n),
    push(id, 0, [3n, 4n], 5n, 5n),
  ]);
  const c = await connect(server.url, { WebSocket });
  try {
    const seen: Array<SubscriptionProgress | bigint> = [];
    const sub = c.subscribe('t', { from: 'earliest', onProgress: (p) => seen.push(p) });
    for (const m of await take(sub, 5)) seen.push(m.offset);
    assert.deepEqual(seen.slice(0, 4), [
      { partition: 0, highWatermark: 5n, nextOffset: 2n, count: 2 },
      { partition: 1, highWatermark: BIG + 100n, nextOffset: BIG + 1n, count: 1 },
      { partition: 0, highWatermark: 5n, nextOffset: 3n, count: 0 },
      { partition: 0, highWatermark: 5n, nextOffset: 5n, count: 2 },
    ], 'all four pushes arrived before the loop took its first message');
    assert.deepEqual(seen.slice(4), [0n, 1n, BIG, 3n, 4n]);
    assert.deepEqual(sub.cursor, new Map([[0, 5n], [1, BIG + 1n]]));
    await sub.return();
  } finally {
    await c.close();
  }
});

test('a throwing onProgress ends the iteration with its error after the messages already received, and unsubscribes', async () => {
  const unsubscribed: number[] = [];
  const answer = script((id) => [push(id, 0, [0n, 1n], 10n, 2n), push(id, 0, [2n], 10n, 3n)]);
  server.onRequest = (req, peer) => {
    if (req.cmdUnsubscribe?.subscription !== undefined) unsubscribed.push(req.cmdUnsubscribe.subscription);
    answer(req, peer);
  };
  const c = await connect(server.url, { WebSocket });
  try {
    const boom = new Error('boom');
    const sub = c.subscribe('t', {
      from: 'earliest',
      onProgress: (p) => {
        if (p.nextOffset === 3n) throw boom;
      },
    });
    assert.deepEqual((await take(sub, 2)).map((m) => m.offset), [0n, 1n]);
    await assert.rejects(sub.next(), (e: unknown) => e === boom);
    assert.deepEqual(sub.cursor, new Map([[0, 2n], [1, BIG]]), 'the refused push did not move the cursor');
    const deadline = Date.now() + 5000;
    while (unsubscribed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(unsubscribed.length, 1);
    assert.equal(unsubscribed[0], Number(server.requests.find((r) => r.cmdSubscribe !== undefined)?.cmdSubscribe?.subscription));
  } finally {
    await c.close();
  }
});

test('cursor counts what the loop took, not what is queued: leaving early and resubscribing from it skips nothing', async () => {
  // Partition 0: offsets 0-2, then 3-4 are transaction markers (an empty push moves next to 5),
  // then offset 5. Partition 1 starts at BIG and has nothing.
  server.onRequest = script((id) => [push(id, 0, [0n, 1n, 2n], 6n, 3n), push(id, 0, [], 6n, 5n), push(id, 0, [5n], 6n, 6n)]);
  const c = await connect(server.url, { WebSocket });
  try {
    const sub = c.subscribe('t', { from: 'earliest' });
    const [first] = await take(sub, 1);
    assert.equal(first!.offset, 0n);
    // All four pushes are in the queue by now; the cursor is after offset 0 only.
    assert.deepEqual(sub.cursor, new Map([[0, 1n], [1, BIG]]));
    await take(sub, 2);
    // Offset 2 was the last message before the markers: taking it passes them.
    assert.deepEqual(sub.cursor, new Map([[0, 5n], [1, BIG]]));
    await take(sub, 1);
    assert.deepEqual(sub.cursor, new Map([[0, 6n], [1, BIG]]));
    await sub.return();
  } finally {
    await c.close();
  }
});

test('an empty push with nothing queued moves the cursor at once', async () => {
  server.onRequest = script((id) => [push(id, 0, [], 4n, 4n)]);
  const c = await connect(server.url, { WebSocket });
  try {
    const sub = c.subscribe('t', { from: 'earliest' });
    const deadline = Date.now() + 5000;
    while (sub.cursor.get(0) !== 4n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sub.cursor, new Map([[0, 4n], [1, BIG]]));
    await sub.return();
  } finally {
    await c.close();
  }
});
