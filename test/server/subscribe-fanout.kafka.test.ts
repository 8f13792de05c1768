import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { bootstrap, ensureBroker, ensureTopic, type BrokerInfo } from '../harness/kafka.js';
import { produce } from '../support/produce.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { encodeReq } from '../support/pubsub-proto.js';
import { offsetsOf, SubscribeClient } from '../support/subscribe-client.js';

/*
 * Fan-out: many subscribers of one partition share one tail read (its Fetch requests do not grow
 * with them) and receive identical streams; a subscriber that stops granting credit or stops
 * reading costs the others nothing, and one that does not read what it granted is closed (4001).
 */

const line = '4';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metrics(p: RunningProxy): Promise<Map<string, number>> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const m = new Map<string, number>();
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const sp = l.lastIndexOf(' ');
    m.set(l.slice(0, sp), Number(l.slice(sp + 1)));
  }
  return m;
}

const tailFetches = async (p: RunningProxy, topic: string) => (await metrics(p)).get(`kwp_tail_fetch_requests_total{topic="${topic}",partition="0"}`) ?? 0;

/** A masked binary client frame with an all-zero mask. */
function clientFrame(payload: Buffer): Buffer {
  const head = payload.length < 126 ? Buffer.from([0x82, 0x80 | payload.length]) : Buffer.from([0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

/** Completes a WebSocket upgrade on a raw socket. */
async function rawWebSocket(url: URL): Promise<Socket> {
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head.split('\r\n')[0]!}`));
      else resolve();
    };
    socket.on('data', onData);
  });
  socket.on('error', () => {});
  return socket;
}

describe(`Kafka ${line}: fan-out of live subscriptions`, () => {
  let info: BrokerInfo;
  let p: RunningProxy;

  before(async () => {
    info = await ensureBroker(line);
    p = await startProxy();
    const put = await p.admin('PUT', '/apisix/admin/routes/fan', kafkaRoute('/fan', [bootstrap(info)], { plugin: { subscribe: { max_unsent_bytes: 256 * 1024 } } }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
  });
  after(async () => {
    await p?.close();
  });

  test('1,000 subscribers of one partition receive identical streams, and the partition is fetched as for one reader', async () => {
    const topic = `fan-${Date.now()}`;
    await ensureTopic(line, topic, 1);
    const clients: SubscribeClient[] = [];
    try {
      for (let i = 0; i < 1000; i += 100) {
        clients.push(...await Promise.all(Array.from({ length: 100 }, () => SubscribeClient.connect(p.ws('/fan')))));
      }
      const starts = await Promise.all(clients.map((c) => c.subscribe(1, { topic })));
      for (const r of starts) assert.equal(r.resp, 'subscribeResp', r.errorResp?.message);
      const before = await tailFetches(p, topic);
      const written: bigint[] = [];
      for (let i = 0; i < 25; i++) {
        const base = await produce(info, topic, 0, [{ value: Buffer.from(`a${i}`) }, { value: Buffer.from(`b${i}`) }]);
        written.push(base, base + 1n);
        await sleep(20);
      }
      await Promise.all(clients.map((c) => c.until(() => c.seen(1).messages.length >= written.length, 30_000, 'every record')));
      for (const c of clients) {
        assert.deepEqual(offsetsOf(c.seen(1), 0), written);
        assert.deepEqual(c.seen(1).messages.map((m) => m.value?.toString()), clients[0]!.seen(1).messages.map((m) => m.value?.toString()));
      }
      const fetches = (await tailFetches(p, topic)) - before;
      // One reader answers once per write (25) plus long polls that time out; a fetch per
      // subscriber would be at least 1,000 per write.
      assert.ok(fetches > 0 && fetches <= 60, `${fetches} tail fetches for 25 writes to 1,000 subscribers`);
      assert.equal((await metrics(p)).get('kwp_subscriptions{route="fan"}'), 1000);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test('a subscriber that stops granting credit holds nothing and does not delay the others', async () => {
    const topic = `stall-${Date.now()}`;
    await ensureTopic(line, topic, 1);
    const stalled = await SubscribeClient.connect(p.ws('/fan'));
    const live = await SubscribeClient.connect(p.ws('/fan'));
    try {
      assert.equal((await stalled.subscribe(1, { topic, credit: 2048 })).resp, 'subscribeResp');
      assert.equal((await live.subscribe(1, { topic, credit: 64 << 20 })).resp, 'subscribeResp');
      const written: bigint[] = [];
      for (let i = 0; i < 40; i++) {
        const base = await produce(info, topic, 0, Array.from({ length: 25 }, (_, j) => ({ value: Buffer.alloc(1000, (i + j) & 0xff) })));
        for (let j = 0; j < 25; j++) written.push(base + BigInt(j));
      }
      await live.until(() => live.seen(1).messages.length === written.length, 15_000, 'the live subscriber gets everything');
      assert.deepEqual(offsetsOf(live.seen(1), 0), written);
      const stalledGot = stalled.seen(1);
      assert.ok(stalledGot.pushBytes.reduce((a, b) => a + b, 0) <= 2048, 'never more than its credit');
      // Nothing waits for it in the proxy: no pushes unsent (the live one has read everything).
      assert.ok((await metrics(p)).get('kwp_unsent_bytes')! < 64 * 1024, 'the stalled subscriber holds no pushes');
      // Given credit again, it continues exactly where it stopped.
      stalled.grant(1, 64 << 20);
      await stalled.until(() => stalledGot.messages.length === written.length, 15_000, 'the stalled one catches up');
      assert.deepEqual(offsetsOf(stalledGot, 0), written);
    } finally {
      await stalled.close();
      await live.close();
    }
  });

  test('a subscriber that grants credit but does not read is closed with 4001 within a second; the others go on', async () => {
    const topic = `noread-${Date.now()}`;
    await ensureTopic(line, topic, 1);
    const url = new URL(`${p.ws('/fan')}`);
    const raw = await rawWebSocket(url);
    raw.write(clientFrame(encodeReq({ sequence: '1', cmdSubscribe: { subscription: 1, topic, credit: String(1 << 30) } })));
    await sleep(300);
    raw.pause();
    const live = await SubscribeClient.connect(p.ws('/fan'));
    try {
      assert.equal((await live.subscribe(1, { topic, credit: 1 << 30 })).resp, 'subscribeResp');
      const opened = (await metrics(p)).get('kwp_connections_open{route="fan"}')!;
      let base = 0n;
      // 16 MB: more than the kernel's socket buffers take (4 MiB to send on Linux by default).
      for (let i = 0; i < 40; i++) base = await produce(info, topic, 0, Array.from({ length: 20 }, () => ({ value: Buffer.alloc(20_000, 7) })));
      await live.until(() => live.seen(1).messages.length === 800, 15_000, 'the reading subscriber gets everything');
      // The proxy ends it within a second of falling behind: wait for that, then read what it left.
      let ended = false;
      for (let i = 0; i < 100 && !ended; i++) {
        ended = (await metrics(p)).get('kwp_subscription_ends_total{route="fan",reason="slow_consumer"}') === 1;
        if (!ended) await sleep(50);
      }
      assert.ok(ended, 'the subscription ended as a slow consumer');
      const endedAt = performance.now();
      assert.ok(((await metrics(p)).get('kwp_errors_total{code="PUBSUB_ERR_SLOW_CONSUMER"}') ?? 0) >= 1);
      // Reading now, it finds its pushes, then the close frame with 4001 (if it reads in time:
      // the proxy cuts the connection half a second after queueing the close).
      raw.resume();
      const close = await new Promise<number>((resolve) => {
        let tail = Buffer.alloc(0);
        raw.on('data', (d: Buffer) => {
          tail = Buffer.concat([tail.subarray(-8), d]);
          for (let i = 0; i + 3 < tail.length; i++) if (tail[i] === 0x88 && tail[i + 1]! >= 2 && tail[i + 1]! < 126 && tail.readUInt16BE(i + 2) === 4001) resolve(4001);
        });
        raw.on('close', () => resolve(-1));
      });
      assert.equal(close, 4001);
      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        gone = (await metrics(p)).get('kwp_connections_open{route="fan"}') === opened - 1;
        if (!gone) await sleep(50);
      }
      assert.ok(gone, 'the connection is gone');
      assert.ok(performance.now() - endedAt < 2000, 'within a second or two of the end');
      void base;
    } finally {
      raw.destroy();
      await live.close();
    }
  });
});
