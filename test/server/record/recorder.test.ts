import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ApiVersionsApi, encodeRequestFrame, FindCoordinatorApi, FrameReader, MetadataApi, SaslHandshakeApi,
} from '../../../src/kafka-wire/index.js';
import { createLogger } from '../../../src/server/log.js';
import { Recorder, type Manifest } from '../../../src/server/record/index.js';
import { RawKafka } from '../../support/raw-kafka.js';
import { FakeBroker } from './fake-broker.js';

/**
 * The recording proxy against two loopback brokers: frames are recorded as the broker sent them,
 * while the client is given addresses of the recorder's own listeners; pipelined responses are
 * matched by correlation id; undeclared APIs and SaslHandshake v0 tokens pass through as raw.
 */
const CLI = join(process.cwd(), 'dist/src/server/cli.js');
const a = new FakeBroker(1);
const b = new FakeBroker(2);

before(async () => {
  await a.listen();
  await b.listen();
  a.peer.port = b.port;
  b.peer.port = a.port;
});
after(async () => {
  await a.close();
  await b.close();
});

async function withRecorder(fn: (r: Recorder, port: number, dir: string) => Promise<void>): Promise<Manifest> {
  const dir = join(mkdtempSync(join(tmpdir(), 'kwp-record-')), 'out');
  const logs: string[] = [];
  const r = await Recorder.start({
    listen: { host: '127.0.0.1', port: 0 }, broker: { host: '127.0.0.1', port: a.port }, outDir: dir,
    labels: { brokerVersion: 'fake', client: 'test' }, logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
  });
  try {
    await fn(r, (await r.address).port, dir);
  } finally {
    await r.close();
  }
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

test('Metadata and FindCoordinator reach the client with the recorder\'s listeners; the files keep the broker\'s bytes', async () => {
  let dir = '';
  const manifest = await withRecorder(async (_r, port, d) => {
    dir = d;
    const c = await RawKafka.open('127.0.0.1', port);
    const md = await c.request(MetadataApi, 12, { topics: [] });
    const [self, peer] = md.body.brokers;
    assert.deepEqual([self!.host, self!.port], ['127.0.0.1', port], 'the bootstrap broker is the first listener');
    assert.notEqual(peer!.port, b.port, 'the other broker is replaced too');
    const fc3 = await c.request(FindCoordinatorApi, 3, { key: 'g', keyType: 0 });
    assert.equal(fc3.body.port, peer!.port, 'v3 coordinator: the same listener as in Metadata');
    const fc4 = await c.request(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: ['g', 'h'] });
    assert.deepEqual(fc4.body.coordinators.map((x) => x.port), [peer!.port, -1], 'v4 coordinators; an error entry stays as it is');
    c.close();
    // The second listener forwards to broker 2.
    const c2 = await RawKafka.open('127.0.0.1', peer!.port);
    const md2 = await c2.request(MetadataApi, 12, { topics: [] });
    assert.equal(md2.body.controllerId, 2);
    c2.close();
  });
  assert.deepEqual(manifest.listeners.map((l) => l.broker), [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
  const byApi = manifest.exchanges.map((e) => `${e.api} v${e.version} ${e.rewritten}`);
  assert.deepEqual(byApi, ['Metadata v12 true', 'FindCoordinator v3 true', 'FindCoordinator v4 true', 'Metadata v12 true']);
  // What the fake brokers sent, byte for byte, in the files.
  const sent = [...a.sent, ...b.sent].map((x) => x.toString('hex'));
  for (const e of manifest.exchanges) assert.ok(sent.includes(readFileSync(join(dir, e.response!)).toString('hex')), `${e.response} holds the broker's bytes`);
  assert.equal(manifest.labels.brokerVersion, 'fake');
});

test('pipelined requests are matched by correlation id; an API our codec lacks is recorded raw', async () => {
  a.reverse = 3;
  let dir = '';
  try {
    const manifest = await withRecorder(async (_r, port, d) => {
      dir = d;
      const sock = connect({ host: '127.0.0.1', port });
      await new Promise((r) => sock.once('connect', r));
      const unknown = Buffer.from('0000000a' + '0015' + '0000' + '00000007' + 'ffff', 'hex'); // DeleteRecords v0 (not declared), correlation 7
      sock.write(Buffer.concat([
        encodeRequestFrame(ApiVersionsApi, 3, 5, 'c', { clientSoftwareName: 'test', clientSoftwareVersion: '1' }),
        encodeRequestFrame(MetadataApi, 1, 6, 'c', { topics: null }),
        unknown,
      ]));
      const got: number[] = [];
      const frames = new FrameReader(1 << 20, () => undefined);
      await new Promise<void>((resolve) => sock.on('data', (chunk: Buffer) => frames.push(chunk, (f) => {
        got.push(f.readInt32BE(0));
        if (got.length === 3) resolve();
      })));
      assert.deepEqual(got, [7, 6, 5], 'the client sees the broker\'s order');
      sock.destroy();
    });
    const byCorrelation = new Map(manifest.exchanges.map((e) => [e.correlationId, e]));
    for (const id of [5, 6, 7]) {
      const e = byCorrelation.get(id)!;
      assert.equal(readFileSync(join(dir, e.response!)).readInt32BE(0), id, `response of ${e.api} is the one with correlation id ${id}`);
    }
    assert.equal(byCorrelation.get(7)!.raw, true);
    assert.equal(byCorrelation.get(7)!.api, 'DeleteRecords');
    assert.match(byCorrelation.get(7)!.note!, /not declared/);
    assert.deepEqual(manifest.clientSoftware, [{ name: 'test', version: '1' }]);
  } finally {
    a.reverse = 0;
  }
});

test('after SaslHandshake v0 the tokens are recorded as raw frames, then Kafka framing resumes', async () => {
  const manifest = await withRecorder(async (_r, port) => {
    const c = await RawKafka.open('127.0.0.1', port);
    const hs = await c.request(SaslHandshakeApi, 0, { mechanism: 'PLAIN' });
    assert.equal(hs.body.errorCode, 0);
    const token = Buffer.from('\0alice\0alice-secret');
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    const reply = await c.exchangeRaw(Buffer.concat([size, token]));
    assert.equal(reply.length, 0, 'the empty PLAIN server token');
    const av = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    assert.equal(av.body.errorCode, 0);
    c.close();
  });
  assert.deepEqual(manifest.exchanges.map((e) => [e.api, e.raw === true, e.responseBytes === 0]), [
    ['SaslHandshake', false, false], ['SaslToken', true, true], ['ApiVersions', false, false],
  ]);
});

test('the output directory must be empty; the CLI documents the command and rejects a bad one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwp-record-'));
  writeFileSync(join(dir, 'old.bin'), 'x');
  await assert.rejects(Recorder.start({
    listen: { host: '127.0.0.1', port: 0 }, broker: { host: '127.0.0.1', port: a.port }, outDir: dir, logger: createLogger({ level: 'error', write: () => undefined }),
  }), { code: 'SERVER_ERR_RECORD' });
  assert.match(execFileSync(process.execPath, [CLI, 'record', '--help'], { encoding: 'utf8' }), /--broker HOST:PORT[\s\S]*--out DIR[\s\S]*--max-file-bytes/);
  assert.match(execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }), /kafka-ws-proxy record --broker/);
  const bad = spawnSync(process.execPath, [CLI, 'record', '--out', dir], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /SERVER_ERR_USAGE: record needs --broker/);
});
