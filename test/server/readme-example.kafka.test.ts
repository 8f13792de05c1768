import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bootstrap, ensureBroker, readExpected } from '../harness/kafka.js';
import { TestPubSubClient } from '../support/pubsub-client.js';

/** The embedding example of docs/configuration.md, run as written (only the package import points at our build). */
test('docs/configuration.md: the embedding example serves a static route, the admin API and the host app, and stops on SIGTERM', async () => {
  const info = await ensureBroker('4');
  const page = readFileSync(join(process.cwd(), 'docs/configuration.md'), 'utf8');
  const block = /<!-- example:embed -->\n```js\n([\s\S]*?)```\n<!-- \/example:embed -->/.exec(page)?.[1];
  assert.ok(block !== undefined, 'docs/configuration.md has no embedding example');
  const dir = mkdtempSync(join(tmpdir(), 'kwp-example-'));
  const file = join(dir, 'embed.mjs');
  const entry = pathToFileURL(join(process.cwd(), 'dist/src/index.js')).href;
  assert.ok(block.includes("from 'kafka-ws-proxy'"));
  writeFileSync(file, block.replace("from 'kafka-ws-proxy'", `from '${entry}'`));
  const key = 'example-admin-key-0123456789';
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env['PATH'] ?? '', KAFKA: bootstrap(info), PORT: '0', ADMIN_KEY: key, DATA_DIR: join(dir, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`example exited: ${err}`)));
  });
  try {
    const c = await TestPubSubClient.connect(`ws://127.0.0.1:${port}/kafka/orders`);
    const r = await c.fetch('plain', 0, 0);
    assert.equal(r.kafkaFetchResp?.messages?.length, readExpected(info, 'plain').filter((x) => x.partition === 0).length);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/somewhere`)).text(), 'my app\n');
    const route = await fetch(`http://127.0.0.1:${port}/apisix/admin/routes/orders`, { headers: { 'x-api-key': key } });
    assert.equal(route.status, 200);
    child.kill('SIGTERM');
    assert.equal((await c.closed).code, 1001);
    assert.equal(await exited, 0, err);
  } finally {
    child.kill('SIGKILL');
  }
});
