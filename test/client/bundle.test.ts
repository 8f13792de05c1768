import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import * as nodeSdk from '../../src/client/index.js';
import { LoopbackServer } from './loopback.js';

/*
 * The browser bundle (scripts/bundle-client.mjs), built here into a temporary directory and
 * imported into this Node process. protobufjs inside it cannot reach the `long` package (the
 * bundler resolves it to null), and the codec reads int64 varints into bigints itself.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

type Sdk = typeof nodeSdk;
let dir: string;
let bundleText: string;
let bundleSdk: Sdk;
let server: LoopbackServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kwp-client-bundle-'));
  const { bundleClient } = (await import(pathToFileURL(join(root, 'scripts/bundle-client.mjs')).href)) as { bundleClient(outfile: string): Promise<string> };
  const out = await bundleClient(join(dir, 'kafka-ws-proxy-client.mjs'));
  bundleText = readFileSync(out, 'utf8');
  bundleSdk = (await import(pathToFileURL(out).href)) as Sdk;
  server = await LoopbackServer.start();
  // Answers every fetch with int64 values at both ends of the range.
  server.onRequest = (req, peer) => {
    if (req.cmdKafkaFetch !== undefined) {
      peer.reply({
        sequence: req.sequence,
        kafkaFetchResp: {
          messages: [
            { offset: (MAX - 1n).toString(), timestamp: MIN.toString(), value: Buffer.from('near max'), headers: [{ key: 'h' }] },
            { offset: MAX.toString(), timestamp: (MIN + 1n).toString(), key: Buffer.from('k') },
          ],
          highWatermark: MAX.toString(),
          logStartOffset: (2n ** 53n + 1n).toString(),
        },
      });
    } else if (req.cmdKafkaListOffset !== undefined) {
      peer.reply({ sequence: req.sequence, kafkaListOffsetResp: { offset: req.cmdKafkaListOffset.timestamp } });
    }
  };
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the bundle is a self-contained browser module: no require(), no node: imports, no long.js, no eval', () => {
  assert.ok(bundleText.startsWith('// kafka-ws-proxy/client'), 'banner');
  assert.doesNotMatch(bundleText, /(?<![\w$.])require\(/);
  assert.doesNotMatch(bundleText, /["']node:/);
  // Method names only long.js has.
  assert.doesNotMatch(bundleText, /fromBytesLE|multiply\(multiplier\)/);
  // A page whose Content-Security-Policy lacks 'unsafe-eval' (the demo page's) must be able to run it.
  assert.doesNotMatch(bundleText, /new Function|\beval\(|Function\(/);
  assert.match(bundleText, /export \{[^}]*\bconnect\b[^}]*\}/);
  assert.equal((globalThis as { Long?: unknown }).Long, undefined, 'no global Long for protobufjs to find');
});

test('the bundle exports the same API as the Node build', () => {
  assert.deepEqual(Object.keys(bundleSdk).sort(), Object.keys(nodeSdk).sort());
  assert.equal(new bundleSdk.ServerError('failed to fetch message, topic: a, partition: 1, err: X').reason, 'X');
});

for (const [name, sdk] of [['bundle', () => bundleSdk], ['Node build', () => nodeSdk]] as const) {
  test(`${name}: int64 near ±2^63 goes out and comes back exactly`, async () => {
    const c = await sdk().connect(server.url, { WebSocket });
    try {
      const r = await c.fetch('t', 0, MAX);
      const sent = server.requests.at(-1)!;
      assert.equal(sent.cmdKafkaFetch?.offset, MAX.toString(), 'request offset');
      assert.deepEqual(r.messages.map((m) => [m.offset, m.timestamp]), [[MAX - 1n, MIN], [MAX, MIN + 1n]]);
      assert.equal(r.highWatermark, MAX);
      assert.equal(r.logStartOffset, 2n ** 53n + 1n);
      assert.equal(r.messages[0]!.valueText(), 'near max');
      assert.equal(r.messages[0]!.headers[0]!.value, null);
      assert.equal(r.messages[1]!.keyText(), 'k');
      assert.equal(await c.listOffset('t', 0, MIN), MIN);
      assert.equal(await c.listOffset('t', 0, MAX - 2n), MAX - 2n);
    } finally {
      await c.close();
    }
  });
}
