import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { bootstrap, ensureBroker, ensureTopic, readTopic, type BrokerInfo } from '../harness/kafka.js';
import { makeKeys, signJwt, type Keys } from './auth/support.js';
import { assertAckedOnce, outcomesOf, produceBody, type Outcome } from '../support/produce-client.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { TestPubSubClient } from '../support/pubsub-client.js';

/*
 * What a produce may not do, through a real proxy on Kafka 4 (read back with Kafka's Java
 * consumer): per-record errors with Kafka's names (unknown topic, over max_record_bytes, over the
 * topic's own max.message.bytes, an invalid partition) next to records that are written, whole
 * command refusals (topic not allowed, produce off, a command over --max-produce-bytes, a message
 * over --max-message-bytes), a flood past the in-flight bound (paced, memory bounded, nothing
 * lost), and idempotency keys: a retry after a killed socket is not written again, a key is
 * scoped by the identity.
 */
const line = '4';
const RUN = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const b = (s: string) => Buffer.from(s);

/** A metric's value for a route (0 when it has no series yet). */
function metric(p: RunningProxy, name: string, route: string): number {
  const m = p.proxy.metrics.snapshot().find((x) => x.name === name);
  if (m === undefined || m.type === 'histogram') throw new Error(`no metric ${name}`);
  return m.series.filter((s) => s.values[0] === route).reduce((n, s) => n + s.value, 0);
}

function errorsOf(outcomes: Outcome[]): string[] {
  return outcomes.map((o) => o.error ?? 'written');
}

describe(`Kafka ${line}: produce limits, errors and idempotency through the proxy`, () => {
  const topic = `kwp-ws-lim-${RUN}`;
  const small = `kwp-ws-lim-small-${RUN}`;
  const flood = `kwp-ws-lim-flood-${RUN}`;
  const idem = `kwp-ws-lim-idem-${RUN}`;
  let info: BrokerInfo;
  let keys: Keys;
  let p: RunningProxy;

  before(async () => {
    keys = makeKeys();
    info = await ensureBroker(line);
    await ensureTopic(line, topic, 2);
    await ensureTopic(line, small, 1, { 'max.message.bytes': '2000' });
    await ensureTopic(line, flood, 4);
    await ensureTopic(line, idem, 2);
    p = await startProxy({ maxProduceBytes: 64 * 1024, maxMessageBytes: 256 * 1024 });
    const routes: Array<[string, Record<string, unknown>]> = [
      ['lim', { topics: ['kwp-ws-lim-*'], produce: { topics: ['kwp-ws-lim-*'], max_record_bytes: 3000 } }],
      // Reading a topic does not allow writing it: the consume list admits everything.
      ['readonly', { produce: { topics: ['nothing-here-*'] } }],
      ['off', {}],
      ['idem', { produce: { topics: ['kwp-ws-lim-idem-*'], linger_ms: 1000 } }],
      ['idauth', {
        produce: { topics: ['kwp-ws-lim-idem-*'] },
        auth: { jwt: { keys: [{ kid: 'k1', algs: ['RS256'], pem: keys.rsa.pem }] } },
        authorize: { produce: ['kwp-ws-lim-idem-*'] },
      }],
    ];
    for (const [id, plugin] of routes) {
      const put = await p.admin('PUT', `/apisix/admin/routes/${id}`, kafkaRoute(`/${id}`, [bootstrap(info)], { plugin }));
      assert.equal(put.status, 201, JSON.stringify(put.body));
    }
  });
  after(async () => {
    await p?.close();
  });

  test('per-record errors carry Kafka\'s names and leave the other records of the command written', async () => {
    const c = await TestPubSubClient.connect(p.ws('/lim'));
    try {
      const mixed = outcomesOf(await c.request(produceBody(topic, [
        { value: b(`ok-1-${RUN}`) },
        { value: Buffer.alloc(3001, 'x') },
        { key: b('k'), value: Buffer.alloc(2000, 'y'), headers: [{ key: 'h', value: Buffer.alloc(999, 'z') }] },
        { value: b(`ok-2-${RUN}`) },
      ], { partition: 1 })));
      assert.deepEqual(errorsOf(mixed), ['written', 'MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE', 'written'], 'over max_record_bytes 3000: the value alone, and key + value + header');
      const unknown = outcomesOf(await c.request(produceBody(`kwp-ws-lim-missing-${RUN}`, [{ value: b('a') }, { value: b('b') }])));
      assert.deepEqual(errorsOf(unknown), ['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION']);
      for (const partition of [2, -1, 2_147_483_647]) {
        const bad = outcomesOf(await c.request(produceBody(topic, [{ value: b('x') }], { partition })));
        assert.deepEqual(errorsOf(bad), ['UNKNOWN_TOPIC_OR_PARTITION'], `partition ${partition}`);
      }
      // Under the route's limit, over the topic's max.message.bytes: Kafka's own refusal.
      const broker = outcomesOf(await c.request(produceBody(small, [{ value: Buffer.alloc(2500, 'q') }])));
      assert.deepEqual(errorsOf(broker), ['MESSAGE_TOO_LARGE']);
      const next = outcomesOf(await c.request(produceBody(small, [{ value: b(`small-ok-${RUN}`) }])));
      assert.deepEqual(errorsOf(next), ['written'], 'the partition goes on after a refused batch');
      const read = await readTopic(line, topic);
      assert.deepEqual(read.map((r) => r.value?.toString()), [`ok-1-${RUN}`, `ok-2-${RUN}`]);
      assert.deepEqual((await readTopic(line, small)).map((r) => r.value?.toString()), [`small-ok-${RUN}`]);
      assert.equal(metric(p, 'kwp_produced_records_total', 'lim'), 3);
      const errs = p.proxy.metrics.snapshot().find((x) => x.name === 'kwp_produce_errors_total');
      const byName = new Map((errs?.type === 'counter' ? errs.series : []).filter((s) => s.values[0] === 'lim').map((s) => [s.values[1], s.value]));
      assert.deepEqual(byName, new Map([['MESSAGE_TOO_LARGE', 3], ['UNKNOWN_TOPIC_OR_PARTITION', 5]]));
    } finally {
      await c.close();
    }
  });

  test('whole-command refusals: a topic outside the produce allow-list, produce off, a command over --max-produce-bytes, a message over --max-message-bytes', async () => {
    const c = await TestPubSubClient.connect(p.ws('/lim'));
    try {
      assert.equal((await c.request(produceBody('other-topic', [{ value: b('x') }]))).errorResp?.message,
        'failed to produce message, topic: other-topic, partition: -1, err: topic not allowed');
      const ro = await TestPubSubClient.connect(p.ws('/readonly'));
      assert.equal((await ro.request(produceBody(topic, [{ value: b('x') }], { partition: 0 }))).errorResp?.message,
        `failed to produce message, topic: ${topic}, partition: 0, err: topic not allowed`, 'the consume allow-list does not admit writing');
      assert.ok((await ro.listOffset(topic, 0, -1)).kafkaListOffsetResp, 'the same route reads it');
      await ro.close();
      const off = await TestPubSubClient.connect(p.ws('/off'));
      assert.equal((await off.request(produceBody(topic, [{ value: b('x') }]))).errorResp?.message,
        `failed to produce message, topic: ${topic}, partition: -1, err: produce is not enabled on this route`);
      await off.close();
      // 100 KB of records in one 100 KB message: under --max-message-bytes, over --max-produce-bytes.
      const big = produceBody(topic, Array.from({ length: 50 }, () => ({ value: Buffer.alloc(2000, 'w') })));
      const r = await c.request(big);
      assert.match(r.errorResp?.message ?? '', new RegExp(`^failed to produce message, topic: ${topic}, partition: -1, err: command too large: \\d+ bytes, more than max_produce_bytes 65536$`));
      assert.ok((await c.ping(b('still here'))).pongResp, 'the connection goes on');
      c.send(produceBody(topic, [{ value: Buffer.alloc(300 * 1024, 'm') }]));
      assert.equal((await c.closed).code, 1009, 'over --max-message-bytes: the socket is closed');
      assert.deepEqual((await readTopic(line, topic)).map((r) => r.value?.toString()), [`ok-1-${RUN}`, `ok-2-${RUN}`], 'none of it was written');
    } finally {
      c.ws.terminate();
    }
  });

  test('a flood past --max-produce-bytes is paced, not buffered: the bytes held stay bounded and every record is written once', async (t) => {
    const c = await TestPubSubClient.connect(p.ws('/lim'));
    const commands = 600;
    const perCommand = 8;
    let peak = 0;
    let sampling = true;
    const sample = () => {
      peak = Math.max(peak, metric(p, 'kwp_produce_bytes', 'lim'));
      if (sampling) setImmediate(sample);
    };
    sample();
    try {
      const sent = new Set<string>();
      const seqs: string[] = [];
      // About 16 KB a command, 9.6 MB in all, sent without waiting for a single reply.
      for (let i = 0; i < commands; i++) {
        const values = Array.from({ length: perCommand }, (_, j) => `flood-${i}-${j}-${RUN}-${'f'.repeat(2000)}`);
        for (const v of values) sent.add(v);
        seqs.push(c.send(produceBody(flood, values.map((v) => ({ key: b(`k${i}`), value: b(v) })))));
      }
      const acked: Array<{ value: string; partition: number; offset: bigint }> = [];
      for (let i = 0; i < commands; i++) {
        const r = await c.next(120_000);
        assert.equal(r.sequence, seqs[i]);
        const outcomes = outcomesOf(r);
        outcomes.forEach((o, j) => {
          if (o.error !== undefined) throw new Error(`command ${i} record ${j}: ${o.error}`);
          acked.push({ value: `flood-${i}-${j}-${RUN}-${'f'.repeat(2000)}`, partition: o.partition, offset: o.offset });
        });
      }
      sampling = false;
      t.diagnostic(`peak produce bytes held: ${peak}`);
      // The bound, plus what had been read from the socket when reading paused: ws's parser
      // finishes the chunk it holds and one more it queued (64 KiB reads), and the last command
      // accepted may straddle the bound. Unpaced, all 9.8 MB would have been held at once.
      assert.ok(peak > 64 * 1024 && peak <= 64 * 1024 + 2 * 64 * 1024 + 20 * 1024, `peak ${peak} bytes of produce commands held`);
      assert.equal(metric(p, 'kwp_produce_bytes', 'lim'), 0, 'nothing held once answered');
      const read = await readTopic(line, flood);
      assert.equal(read.length, commands * perCommand);
      assert.deepEqual(assertAckedOnce(read, acked, sent), []);
    } finally {
      sampling = false;
      await c.close();
    }
  });

  test('a retry with the same key after the socket was killed mid-command is answered with the first result, not written again', async () => {
    const key = `retry-${RUN}`;
    const records = [{ key: b('a'), value: b(`idem-1-${RUN}`) }, { key: b('b'), value: b(`idem-2-${RUN}`) }];
    const repeatsBefore = metric(p, 'kwp_produce_repeats_total', 'idem');
    // linger_ms 1000 on this route: the first attempt is still waiting for its batch when its socket dies.
    const first = await TestPubSubClient.connect(p.ws('/idem'));
    first.send(produceBody(idem, records, { key }));
    await new Promise((r) => setTimeout(r, 300));
    first.ws.terminate();
    const second = await TestPubSubClient.connect(p.ws('/idem'));
    const third = await TestPubSubClient.connect(p.ws('/idem'));
    try {
      const again = outcomesOf(await second.request(produceBody(idem, records, { key })));
      assert.deepEqual(errorsOf(again), ['written', 'written']);
      assert.equal(metric(p, 'kwp_produce_repeats_total', 'idem') - repeatsBefore, 1, 'answered from the first attempt, which was running');
      const once = outcomesOf(await third.request(produceBody(idem, records, { key })));
      assert.deepEqual(once, again, 'the same partitions and offsets every time');
      const other = outcomesOf(await third.request(produceBody(idem, [{ value: b(`idem-3-${RUN}`) }], { key: `${key}-other` })));
      assert.deepEqual(errorsOf(other), ['written'], 'another key is another command');
      const read = (await readTopic(line, idem)).filter((r) => r.value?.toString().startsWith('idem-'));
      assert.deepEqual(read.map((r) => r.value?.toString()).sort(), [`idem-1-${RUN}`, `idem-2-${RUN}`, `idem-3-${RUN}`]);
      assert.deepEqual(assertAckedOnce(read, again.map((o, i) => ({ value: records[i]!.value.toString(), partition: o.partition, offset: (o as { offset: bigint }).offset })), new Set(read.map((r) => r.value!.toString()))), []);
    } finally {
      await second.close();
      await third.close();
    }
  });

  test('keys are scoped by the identity: alice\'s retry from another socket is answered, bob\'s same key is his own command', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = (sub: string) => signJwt('RS256', keys.rsa.privateKey, { sub, exp: now + 600 }, { kid: 'k1' });
    const connect = (sub: string) => TestPubSubClient.connect(p.ws('/idauth'), { authorization: `Bearer ${token(sub)}` });
    const key = `shared-${RUN}`;
    const alice1 = await connect('alice');
    const alice2 = await connect('alice');
    const bob = await connect('bob');
    try {
      const a = outcomesOf(await alice1.request(produceBody(idem, [{ value: b(`alice-${RUN}`) }], { key })));
      alice1.ws.terminate();
      const a2 = outcomesOf(await alice2.request(produceBody(idem, [{ value: b(`alice-${RUN}`) }], { key })));
      assert.deepEqual(a2, a, 'same subject, same key: the first result');
      const bb = outcomesOf(await bob.request(produceBody(idem, [{ value: b(`bob-${RUN}`) }], { key })));
      assert.deepEqual(errorsOf(bb), ['written']);
      assert.notDeepEqual(bb, a, 'bob never gets alice\'s result');
      const read = (await readTopic(line, idem)).filter((r) => /^(alice|bob)-/.test(r.value?.toString() ?? ''));
      assert.deepEqual(read.map((r) => r.value?.toString()).sort(), [`alice-${RUN}`, `bob-${RUN}`]);
    } finally {
      await alice2.close();
      await bob.close();
    }
  });
});
