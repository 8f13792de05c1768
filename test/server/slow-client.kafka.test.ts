import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection, encodeRecordBatch, KafkaClient, ProduceApi } from '../../src/kafka-wire/index.js';
import { bootstrap, ensureBroker, ensureTopic, type BrokerInfo } from '../harness/kafka.js';
import { ProxyProcess } from '../support/proxy-process.js';
import { TestPubSubClient } from '../support/pubsub-client.js';
import { encodeReq } from '../support/pubsub-proto.js';

/*
 * A client that sends fetches and never reads its socket (docs/operations.md, "Limits": what one
 * client can cost). What must happen, against real Kafka with replies of 1 MiB and the proxy's
 * default limits (max_in_flight 64, max_frame_bytes 1 MiB, max_unsent_bytes 4 MiB):
 * - a fetch starts only when the room for its reply fits in 4 MiB, so once its socket (and the
 *   kernel's buffers) stop taking replies, no more fetches run for it;
 * - the proxy stops reading its socket: the fetches it has not read are never run, however many
 *   the client sends;
 * - what the proxy holds for it stays within max_unsent_bytes (kwp_reply_bytes), its RSS grows by
 *   a few MiB, and neither grows with more commands;
 * - another client of the same route is served as usual meanwhile;
 * - when the slow client goes, its memory goes with it.
 * The proxy runs as its own process so its RSS is its own.
 */
const KEY = 'slow-client-admin-key-0123456789';
const TOPIC = 'slow-client';
const VALUE_BYTES = 64 * 1024;
const RECORDS = 48; // 3 MiB: every fetch from offset 0 fills a 1 MiB reply
const MiB = 1024 * 1024;

/** Completes the WebSocket upgrade on a raw socket, then stops reading it for good. */
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
  socket.pause();
  socket.on('error', () => {});
  return socket;
}

/** A masked binary WebSocket frame (client to server) with an all-zero mask, so the payload goes as is. */
function clientFrame(payload: Buffer): Buffer {
  const head = payload.length < 126 ? Buffer.from([0x82, 0x80 | payload.length]) : Buffer.from([0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

function fetchFrames(from: number, n: number): Buffer {
  return Buffer.concat(Array.from({ length: n }, (_, i) => clientFrame(encodeReq({ sequence: String(from + i), cmdKafkaFetch: { topic: TOPIC, partition: 0, offset: '0' } }))));
}

/** Writes without waiting for the proxy to read: what it does not take stays in our process. */
function send(socket: Socket, frames: Buffer): void {
  socket.write(frames);
}

async function metrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/** Fetch commands of the route the proxy has read and answered: with data (ok) or refused (error). */
function fetches(m: Map<string, number>): { ok: number; error: number } {
  return {
    ok: m.get('kwp_commands_total{route="slow",command="fetch",result="ok"}') ?? 0,
    error: m.get('kwp_commands_total{route="slow",command="fetch",result="error"}') ?? 0,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function seed(info: BrokerInfo): Promise<void> {
  await ensureTopic('4', TOPIC, 1);
  const client = new KafkaClient({ brokers: [bootstrap(info)] });
  const hw = Number((await client.listOffsets(TOPIC, 0, -1n)).offset);
  client.close();
  if (hw >= RECORDS) return;
  const conn = await Connection.connect({ host: info.host, port: info.ports.plaintext });
  try {
    for (let i = hw; i < RECORDS; i += 8) {
      const records = Array.from({ length: Math.min(8, RECORDS - i) }, () => ({ value: Buffer.alloc(VALUE_BYTES, 0x61) }));
      const res = await conn.request(ProduceApi, { acks: 1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records }) }] }] }, { version: Math.min(conn.version(ProduceApi), 12) });
      assert.equal(res.body.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
  } finally {
    conn.close();
  }
}

describe('a client that never reads (Kafka 4.x, proxy process)', () => {
  let info: BrokerInfo;
  let proxy: ProxyProcess;
  let url: string;
  let dataDir: string;

  before(async () => {
    info = await ensureBroker('4');
    await seed(info);
    dataDir = mkdtempSync(join(tmpdir(), 'kwp-slow-'));
    // One process: the bounds below are one process's memory and replies (docs/operations.md, "Workers").
    proxy = await ProxyProcess.start(['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--workers', '1'], { KAFKA_WS_PROXY_ADMIN_KEY: KEY });
    url = String(proxy.ready['url']);
    const res = await fetch(`${url}/apisix/admin/routes/slow`, {
      method: 'PUT', headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ uri: '/slow', upstream: { nodes: { [bootstrap(info)]: 1 }, type: 'none', scheme: 'kafka' } }),
    });
    assert.equal(res.status, 201);
  });

  after(async () => {
    await proxy?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the proxy stops reading it, holds a bounded amount for it, and serves another client meanwhile', async () => {
    const ws = new URL(`${url.replace(/^http/, 'ws')}/slow`);
    // Warm up: a normal client makes the route's Kafka client and its code paths exist first.
    const other = await TestPubSubClient.connect(ws.href);
    assert.ok((await other.fetch(TOPIC, 0, 0)).kafkaFetchResp?.messages?.length);
    await sleep(500);
    const base = await metrics(url);
    const rss0 = base.get('process_resident_memory_bytes')!;
    const f0 = fetches(base);

    const slow = await rawWebSocket(ws);
    send(slow, fetchFrames(1, 2_000));
    await sleep(3_000);
    const m1 = await metrics(url);
    const f1 = fetches(m1);
    const rss1 = m1.get('process_resident_memory_bytes')! - rss0;

    send(slow, fetchFrames(2_001, 8_000));
    await sleep(3_000);
    const m2 = await metrics(url);
    const f2 = fetches(m2);
    const rss2 = m2.get('process_resident_memory_bytes')! - rss0;
    const report = `after 2,000 then 10,000 fetches sent: ${f1.ok - f0.ok} then ${f2.ok - f0.ok} run, held ${m2.get('kwp_reply_bytes')} bytes, ` +
      `${f1.error - f0.error} then ${f2.error - f0.error} refused (too many in flight), the rest never read; ` +
      `proxy RSS +${(rss1 / MiB).toFixed(1)} then +${(rss2 / MiB).toFixed(1)} MiB`;

    // The proxy reads what arrived before the pause (one socket chunk holds ~2,000 of these small
    // commands): max_in_flight of them are accepted, the others refused at once. Of those accepted,
    // only as many run as the kernel's socket buffers and the 4 MiB room take replies for.
    assert.ok(f1.ok - f0.ok < 64, `every accepted fetch ran, as if replies had no bound: ${report}`);
    assert.equal(f2.ok, f1.ok, `fetches kept running for a client that does not read: ${report}`);
    assert.equal(f2.ok + f2.error, f1.ok + f1.error, `commands sent after the pause were read: ${report}`);
    const held = m2.get('kwp_reply_bytes')!;
    // 4 MiB of room, plus the pongs and error texts made at once (about 100 bytes each).
    assert.ok(held <= 4 * MiB + 512 * 1024, `the proxy holds ${held} bytes for it: ${report}`);
    // RSS also keeps the 1 MiB Kafka responses the replies were made from until the allocator
    // reuses that memory, and pooled frames; a few MiB, not the 64 replies of 1 MiB that
    // max_in_flight alone would allow. More commands must not add to it.
    assert.ok(rss2 < 24 * MiB, `RSS grew by more than a few MiB: ${report}`);
    assert.ok(rss2 - rss1 < 8 * MiB, `RSS kept growing with more commands: ${report}`);

    const started = performance.now();
    const r = await other.fetch(TOPIC, 0, 0);
    assert.ok((r.kafkaFetchResp?.messages?.length ?? 0) > 0);
    assert.ok(performance.now() - started < 2_000, `the other client waited ${Math.round(performance.now() - started)} ms`);
    assert.equal((await other.ping(Buffer.from('still here'))).resp, 'pongResp');

    slow.destroy();
    await other.close();
    for (let i = 0; i < 50 && (await metrics(url)).get('kwp_connections_open{route="slow"}') !== 0; i++) await sleep(100);
    assert.equal((await metrics(url)).get('kwp_connections_open{route="slow"}'), 0, 'the slow connection is gone');
    process.stdout.write(`# slow client: ${report}\n`);
  });
});
