import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { connect, CursorOutOfRangeError, ServerError, type ConsumeStatus, type Message, type PubSubClient, type SubscriptionProgress } from '../../src/client/index.js';
import { bootstrap, ensureBroker, ensureTopic, readExpected, readTopic, readTopics, restartBroker, type BrokerInfo } from '../harness/kafka.js';
import { sameAsProduced } from '../support/expected-records.js';
import { produce } from '../support/produce.js';
import { ProxyProcess } from '../support/proxy-process.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';

/*
 * client.subscribe in Node against a real proxy and Kafka 4: what it delivers (compared with what
 * the Java producer wrote), credit that follows consumption, typed errors, and resuming from its
 * cursor through proxy restarts, proxy kills and a broker restart with no gap and no duplicate.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function take(it: AsyncIterator<Message>, n: number, timeoutMs = 30_000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`got ${out.length} of ${n} messages`);
    const r = await Promise.race([it.next(), sleep(left).then(() => undefined)]);
    if (r === undefined) throw new Error(`got ${out.length} of ${n} messages within ${timeoutMs} ms`);
    if (r.done === true) throw new Error(`the iteration ended after ${out.length} of ${n} messages`);
    out.push(r.value);
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe('client.subscribe through a real proxy to Kafka 4', () => {
  let info: BrokerInfo;
  let p: RunningProxy;
  let c: PubSubClient;

  before(async () => {
    info = await ensureBroker('4');
    p = await startProxy();
    const put = await p.admin('PUT', '/apisix/admin/routes/kafka', kafkaRoute('/kafka', [bootstrap(info)], { plugin: { topics: ['multi', 'sdk-*', 'headers'] } }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
    c = await connect(p.ws('/kafka'), { WebSocket });
  });
  after(async () => {
    await c?.close();
    await p?.close();
  });

  test('from earliest, every partition, as the Java producer wrote it (headers included), with the high watermark of each push; leaving the loop unsubscribes', async () => {
    const want = readExpected(info, 'headers');
    const progress: SubscriptionProgress[] = [];
    const sub = c.subscribe('headers', { from: 'earliest', onProgress: (p) => progress.push(p) });
    const got = await take(sub, want.length);
    for (const partition of new Set(want.map((r) => r.partition))) {
      sameAsProduced(got.filter((m) => m.partition === partition), want.filter((r) => r.partition === partition), `headers-${partition}`, true);
    }
    const topic = readTopics(info).find((t) => t.name === 'headers')!;
    assert.deepEqual(sub.cursor, new Map(topic.offsets.map((o) => [o.partition, o.highWatermark])));
    // Nothing is written to this topic any more: every push saw the final high watermark, and
    // the pushes of a partition account for each of its messages, ending at the cursor.
    for (const o of topic.offsets) {
      const mine = progress.filter((p) => p.partition === o.partition);
      assert.ok(mine.length > 0, `pushes of partition ${o.partition}`);
      assert.ok(mine.every((p) => p.highWatermark === o.highWatermark), `partition ${o.partition}: high watermark ${o.highWatermark}`);
      assert.equal(mine.at(-1)!.nextOffset, o.highWatermark);
      assert.equal(mine.reduce((n, p) => n + p.count, 0), got.filter((m) => m.partition === o.partition).length);
    }
    await sub.return();
    assert.deepEqual(await sub.next(), { value: undefined, done: true });
  });

  test('credit follows what the loop takes: a slow loop is paced, never more than the window ahead', async (t) => {
    await ensureTopic('4', 'sdk-paced', 1);
    const base = await produce(info, 'sdk-paced', 0, Array.from({ length: 400 }, (_, i) => ({ value: Buffer.alloc(1000, i) })));
    const window = 32 * 1024;
    // The window is at least the route's frame limit (a record that large must fit): a route with
    // 16 KiB frames lets a 32 KiB window be what it says.
    const put = await p.admin('PUT', '/apisix/admin/routes/paced', kafkaRoute('/paced', [bootstrap(info)], { plugin: { max_frame_bytes: 16384 } }));
    assert.equal(put.status, 201);
    const pc = await connect(p.ws('/paced'), { WebSocket });
    t.after(() => pc.close());
    const sub = pc.subscribe('sdk-paced', { from: new Map([[0, base]]), creditBytes: window });
    const got: Message[] = [];
    for await (const m of sub) {
      got.push(m);
      // What the proxy has pushed beyond what the loop took stays within the window.
      const queued = (sub as unknown as { queue: unknown[]; head: number });
      assert.ok((queued.queue.length - queued.head) * 1000 <= window + 2000, `${queued.queue.length - queued.head} messages queued ahead of the loop`);
      if (got.length % 50 === 0) await sleep(20);
      if (got.length === 400) break;
    }
    assert.deepEqual(got.map((m) => m.offset), Array.from({ length: 400 }, (_, i) => base + BigInt(i)));
  });

  test('typed errors: a cursor off the log, a topic the route does not allow', async () => {
    const off = c.subscribe('multi', { from: new Map([[0, 10_000_000n]]) });
    await assert.rejects(off.next(), (e: unknown) => e instanceof CursorOutOfRangeError && e.partition === 0 && e.logStartOffset === 0n);
    const denied = c.subscribe('plain');
    await assert.rejects(denied.next(), (e: unknown) => e instanceof ServerError && e.reason === 'topic not allowed');
  });

  test('100 restarts under it (in-process proxy restarts, proxy kills, a broker restart): every offset once, in order', async () => {
    const topic = `sdk-chaos-${Date.now()}`;
    await ensureTopic('4', topic, 2);
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'kwp-chaos-'));
    const route = { ...kafkaRoute('/kafka', [bootstrap(info)]), id: 'chaos' };
    const { createProxy } = await import('../../src/server/index.js');
    let inProcess: Awaited<ReturnType<typeof createProxy>> | undefined;
    let child: ProxyProcess | undefined;
    const startInProcess = async () => {
      inProcess = await createProxy({ routes: [route] });
      await inProcess.listen({ port, host: '127.0.0.1' });
    };
    const startChild = async () => {
      const config = join(dir, 'config.json');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(config, JSON.stringify({ routes: [route] }));
      child = await ProxyProcess.start(['start', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dir, '--config', config], { KAFKA_WS_PROXY_ADMIN_KEY: 'chaos-admin-key-0123456789' });
    };
    await startInProcess();
    const client = await connect(`ws://127.0.0.1:${port}/kafka`, { WebSocket, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, requestTimeoutMs: 5000 });
    const statuses: ConsumeStatus[] = [];
    const sub = client.subscribe(topic, { from: 'earliest', onStatus: (s) => statuses.push(s) });
    const written: Array<[number, bigint]> = [];
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        const partition = i % 2;
        try {
          written.push([partition, await produce(info, topic, partition, [{ value: Buffer.from(`m${i}`) }])]);
        } catch {
          await sleep(100); // the broker restarting
        }
        await sleep(5);
      }
    })();
    const got: Message[] = [];
    const reader = (async () => {
      for await (const m of sub) got.push(m);
    })();
    try {
      for (let cycle = 0; cycle < 100; cycle++) {
        await sleep(cycle % 10 === 0 ? 300 : 60);
        if (cycle === 50) {
          // The broker itself goes away and comes back.
          await restartBroker('4');
          continue;
        }
        if (child !== undefined) {
          await child.stop('SIGKILL');
          child = undefined;
          await startInProcess();
        } else if (cycle % 12 === 5) {
          await inProcess!.close(0);
          inProcess = undefined;
          await startChild();
        } else {
          await inProcess!.close(0);
          await startInProcess();
        }
      }
      producing = false;
      await producer;
      // The topic as Kafka's Java consumer reads it is the truth: a write that failed on our side
      // during the broker restart can still have landed, and must arrive like any other.
      const inTopic = await readTopic('4', topic);
      assert.ok(inTopic.length >= written.length, 'every acknowledged write is in the topic');
      const deadline = Date.now() + 30_000;
      while (got.length < inTopic.length && Date.now() < deadline) await sleep(50);
      for (const partition of [0, 1]) {
        const want = inTopic.filter((r) => r.partition === partition);
        const mine = got.filter((m) => m.partition === partition);
        assert.deepEqual(mine.map((m) => m.offset), want.map((r) => r.offset), `partition ${partition}: every offset once, in order`);
        assert.deepEqual(mine.map((m) => m.valueText()), want.map((r) => r.value?.toString('utf8') ?? ''), `partition ${partition}: the values Kafka holds`);
      }
      for (const [partition, offset] of written) {
        assert.ok(inTopic.some((r) => r.partition === partition && r.offset === offset), `acknowledged ${partition}@${offset} is in the topic`);
      }
      assert.ok(statuses.filter((s) => s.state === 'reconnecting').length >= 50, 'it did reconnect through the restarts');
    } finally {
      producing = false;
      await sub.return();
      await reader.catch(() => {});
      await client.close();
      await inProcess?.close(0);
      await child?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
