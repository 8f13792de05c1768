import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { encodeRecordBatch, encodeRequestFrame, FetchApi, MetadataApi } from '../../src/kafka-wire/index.js';
import { HTTP_SOCKETS, parseFileLimit, socketBudget } from '../../src/server/socket-limits.js';

const CLI = join(process.cwd(), 'dist/src/server/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'kwp-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

test('decode --request reads api and version from the header', () => {
  const frame = encodeRequestFrame(MetadataApi, 12, 7, 'me', { topics: [{ name: 'orders' }], allowAutoTopicCreation: false }).subarray(4);
  const r = cli('decode', file('md.bin', Buffer.from(frame)), '--request');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.header, { requestApiKey: 3, requestApiVersion: 12, correlationId: 7, clientId: 'me' });
  assert.equal(out.body.topics[0].name, 'orders');
  assert.equal(out.body.allowAutoTopicCreation, false);
  const wrong = cli('decode', join(dir, 'md.bin'), '--request', '--api', 'Fetch');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /^error KWIRE_ERR_MISMATCH: /);
});

test('decode of a Fetch request shows int64 as strings', () => {
  const frame = encodeRequestFrame(FetchApi, 4, 1, null, {
    maxWaitMs: 100, minBytes: 1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 9007199254740993n, partitionMaxBytes: 1 }] }],
  }).subarray(4);
  const out = JSON.parse(cli('decode', file('fetch.bin', Buffer.from(frame)), '--request', '--api', '1', '--version', '4').stdout);
  assert.equal(out.body.topics[0].partitions[0].fetchOffset, '9007199254740993');
});

test('records prints records as JSON; --all keeps control records', () => {
  const data = encodeRecordBatch({ baseOffset: 10n, baseTimestamp: 1700000000000n, records: [{ key: null, value: 'a', headers: [{ key: 'h', value: null }] }] });
  const marker = encodeRecordBatch({ baseOffset: 11n, control: true, transactional: true, producerId: 1n, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6) }] });
  const p = file('records.bin', Buffer.concat([data, marker]));
  const r = cli('records', p);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ offset: '10', timestamp: '1700000000000', key: null, value: Buffer.from('a').toString('base64'), headers: [{ key: 'h', value: null }] }]);
  assert.equal(JSON.parse(cli('records', p, '--all').stdout).length, 2);
});

test('corrupt input exits 1 with the typed error code on stderr', () => {
  const batch = encodeRecordBatch({ records: [{ value: 'hello' }] });
  batch[batch.length - 2]! ^= 0xff;
  const r = cli('records', file('bad.bin', batch));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error KWIRE_ERR_CRC_MISMATCH: CRC mismatch in batch at base offset 0/);
  const short = cli('decode', file('short.bin', Buffer.from('000300', 'hex')), '--request');
  assert.equal(short.status, 1);
  assert.match(short.stderr, /^error KWIRE_ERR_SHORT_INPUT: /);
});

test('a wrong command line exits 2 with SERVER_ERR_USAGE', () => {
  for (const args of [['nope'], ['decode'], ['decode', 'x.bin', '--response', '--api', 'Fetch'], ['decode', 'x.bin', '--bogus']]) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^error SERVER_ERR_USAGE: /);
  }
  const missing = cli('records', join(dir, 'does-not-exist.bin'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^error SERVER_ERR_FILE: cannot read /);
  const help = cli('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /kafka-ws-proxy decode FILE/);
});

test('--help names the start command; start --help lists every option with its variable', () => {
  const top = cli('--help');
  assert.equal(top.status, 0);
  assert.match(top.stdout, /kafka-ws-proxy \[start\] \[options\]/);
  const start = cli('start', '--help');
  assert.equal(start.status, 0);
  for (const s of ['--port', '--host', '--data-dir', '--admin-key', '--config', '--admin-allow', '--max-connections', '--max-message-bytes', '--max-in-flight', '--kafka-connections',
    'KAFKA_WS_PROXY_PORT', 'KAFKA_WS_PROXY_HOST', 'KAFKA_WS_PROXY_DATA_DIR', 'KAFKA_WS_PROXY_ADMIN_KEY']) {
    assert.ok(start.stdout.includes(s), `start --help lacks ${s}`);
  }
});

test('start with a bad option exits 2 with SERVER_ERR_CONFIG and starts nothing', () => {
  const r = cli('start', '--port', 'eighty', '--data-dir', join(dir, 'never'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error SERVER_ERR_CONFIG: .*--port/m);
  const flags = cli('--prot', '9080');
  assert.equal(flags.status, 2);
  assert.match(flags.stderr, /SERVER_ERR_CONFIG/);
});

/** The bin run as npx runs it: executed, so the kernel reads its shebang. */
function viaShebang(args: string[]) {
  return spawn(CLI, args, { env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function readyLine(child: ReturnType<typeof spawn>): Promise<Record<string, unknown>> {
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    return await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        for (const l of out.split('\n')) if (l.includes('"msg":"ready"')) resolve(JSON.parse(l) as Record<string, unknown>);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
  } finally {
    child.kill('SIGTERM');
  }
}

test('the bin runs the proxy with single-threaded GC (its shebang, as npx and npm start run it); plain node does not', async () => {
  assert.equal(readFileSync(CLI, 'utf8').split('\n')[0], '#!/usr/bin/env -S node --single-threaded-gc');
  assert.ok((statSync(CLI).mode & 0o111) !== 0, 'the bin is not executable');
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts['start']!, /^node --single-threaded-gc dist\/src\/server\/cli\.js start$/);
  const args = ['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', mkdtempSync(join(dir, 'data-')), '--admin-key', 'cli-test-admin-key-0123456789'];
  assert.equal((await readyLine(viaShebang(args)))['gc'], 'single-threaded');
  const plain = spawn(process.execPath, [CLI, ...args, '--max-sockets-per-address', '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await readyLine(plain);
  assert.equal(ready['gc'], 'default');
  // The caps in force; without --max-sockets the total follows --max-connections and the open-file
  // limit (Node raises its soft limit to the hard one at start, in the child as in this process).
  const fileLimit = existsSync('/proc/self/limits') ? parseFileLimit(readFileSync('/proc/self/limits', 'utf8')) : undefined;
  const max = fileLimit === undefined ? 10_000 + HTTP_SOCKETS : Math.min(10_000 + HTTP_SOCKETS, socketBudget(fileLimit));
  assert.deepEqual(ready['sockets'], { max, perAddress: 7, adminReserve: 16, headerTimeoutMs: 10_000, ...(fileLimit !== undefined ? { fileLimit } : {}) });
});
