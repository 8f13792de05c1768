import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { bootstrap, ensureBroker, readExpected, type BrokerInfo } from '../harness/kafka.js';
import { ProxyProcess } from '../support/proxy-process.js';
import { TestPubSubClient } from '../support/pubsub-client.js';

const run = promisify(execFile);
const KEY = 'guide-admin-key-0123456789';

/*
 * The three admin commands of APISIX's Kafka PubSub guide (docs/en/latest/pubsub/kafka.md), as
 * printed there. Only what cannot be pasted literally is substituted: the API key, the broker
 * addresses (kafka-server1..3 do not resolve here) and the SASL user.
 */
const GUIDE_PLAIN = `curl -X PUT 'http://127.0.0.1:9080/apisix/admin/routes/kafka' \\
    -H 'X-API-KEY: <api-key>' \\
    -H 'Content-Type: application/json' \\
    -d '{
    "uri": "/kafka",
    "upstream": {
        "nodes": {
            "kafka-server1:9092": 1,
            "kafka-server2:9092": 1,
            "kafka-server3:9092": 1
        },
        "type": "none",
        "scheme": "kafka"
    }
}'`;

const GUIDE_TLS = `curl -X PUT 'http://127.0.0.1:9080/apisix/admin/routes/kafka' \\
    -H 'X-API-KEY: <api-key>' \\
    -H 'Content-Type: application/json' \\
    -d '{
    "uri": "/kafka",
    "upstream": {
        "nodes": {
            "kafka-server1:9092": 1,
            "kafka-server2:9092": 1,
            "kafka-server3:9092": 1
        },
        "type": "none",
        "scheme": "kafka",
        "tls": {
            "verify": true
        }
    }
}'`;

const GUIDE_SASL = `curl -X PUT 'http://127.0.0.1:9080/apisix/admin/routes/kafka' \\
    -H 'X-API-KEY: <api-key>' \\
    -H 'Content-Type: application/json' \\
    -d '{
    "uri": "/kafka",
    "plugins": {
        "kafka-proxy": {
            "sasl": {
                "username": "user",
                "password": "pwd"
            }
        }
    },
    "upstream": {
        "nodes": {
            "kafka-server1:9092": 1,
            "kafka-server2:9092": 1,
            "kafka-server3:9092": 1
        },
        "type": "none",
        "scheme": "kafka"
    }
}'`;

/** APISIX 2.14's version of the TLS/SASL command, with plugin fields APISIX itself ignores. */
const GUIDE_2_14_FIELDS = GUIDE_SASL.replace(/"sasl": \{[^}]*\}/, '"enable_tls": true, "ssl_verify": true, "enable_sasl": true, "sasl_username": "user", "sasl_password": "pwd"');

async function paste(command: string, brokerPort: number, user?: { username: string; password: string }): Promise<{ status: number; body: string }> {
  let cmd = command
    .replace('<api-key>', KEY)
    .replace('kafka-server1:9092', `127.0.0.1:${brokerPort}`)
    .replace('kafka-server2:9092', `localhost:${brokerPort}`)
    .replace('kafka-server3:9092', '127.0.0.1:1');
  if (user !== undefined) cmd = cmd.replace('"user"', JSON.stringify(user.username)).replace('"pwd"', JSON.stringify(user.password));
  const { stdout } = await run('bash', ['-c', `${cmd} -s -w '\\n%{http_code}'`]);
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

async function fetchesPlain(info: BrokerInfo, url = 'ws://127.0.0.1:9080/kafka'): Promise<void> {
  const c = await TestPubSubClient.connect(url);
  try {
    const r = await c.fetch('plain', 0, 0);
    assert.equal(r.resp, 'kafkaFetchResp', r.errorResp?.message);
    assert.equal(r.kafkaFetchResp?.messages?.length, readExpected(info, 'plain').filter((x) => x.partition === 0).length);
  } finally {
    await c.close();
  }
}

describe('kafka-ws-proxy start: the APISIX guide pasted, restarts, signals', () => {
  let info: BrokerInfo;
  const dataDir = mkdtempSync(join(tmpdir(), 'kwp-start-'));

  before(async () => {
    info = await ensureBroker('4');
  });

  test('the guide\'s three admin commands work pasted; routes survive a restart; SIGTERM closes sockets with 1001 and exits 0', async () => {
    // The proxy trusts the harness CA the way APISIX's ssl_trusted_certificate would: Node's NODE_EXTRA_CA_CERTS.
    const env = { NODE_EXTRA_CA_CERTS: info.caPemPath };
    let p = await ProxyProcess.start(['start', '--port', '9080', '--host', '127.0.0.1', '--data-dir', dataDir, '--admin-key', KEY], env);
    try {
      assert.equal(p.ready['url'], 'http://127.0.0.1:9080');
      const plain = await paste(GUIDE_PLAIN, info.ports.plaintext);
      assert.equal(plain.status, 201, plain.body);
      assert.equal(JSON.parse(plain.body).key, '/apisix/routes/kafka');
      await fetchesPlain(info);
      const tls = await paste(GUIDE_TLS, info.ports.ssl);
      assert.equal(tls.status, 200, tls.body);
      await fetchesPlain(info);
      const sasl = await paste(GUIDE_SASL, info.ports.saslPlaintext, info.users.plain);
      assert.equal(sasl.status, 200, sasl.body);
      await fetchesPlain(info);
      const old = await paste(GUIDE_2_14_FIELDS, info.ports.saslPlaintext);
      assert.equal(old.status, 400);
      assert.match(JSON.parse(old.body).error_msg, /plugins\.kafka-proxy.*enable_tls/);
      const wrongKey = await paste(GUIDE_PLAIN.replace('<api-key>', 'nope'), info.ports.plaintext);
      assert.equal(wrongKey.status, 401);

      const open = await TestPubSubClient.connect('ws://127.0.0.1:9080/kafka');
      const exit = await p.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.equal((await open.closed).code, 1001);
      assert.ok(p.lines.some((l) => l['msg'] === 'stopped'));
      assert.ok(!JSON.stringify(p.lines).includes(KEY) && !p.stderr.includes(KEY), 'the admin key was printed');
      assert.ok(!JSON.stringify(p.lines).includes(info.users.plain.password), 'a SASL password was logged');

      p = await ProxyProcess.start(['start', '--port', '9080', '--host', '127.0.0.1', '--data-dir', dataDir, '--admin-key', KEY], env);
      assert.equal(p.ready['routes'], 1);
      await fetchesPlain(info);
    } finally {
      await p.stop('SIGTERM');
    }
  });

  test('configuration from the environment; a generated admin key is printed once, stored 0600, and reused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kwp-env-'));
    const env = { KAFKA_WS_PROXY_PORT: '0', KAFKA_WS_PROXY_HOST: '127.0.0.1', KAFKA_WS_PROXY_DATA_DIR: dir };
    const first = await ProxyProcess.start([], env);
    const key = /\n([0-9a-f]{64})\n/.exec(first.stderr)?.[1];
    assert.ok(key !== undefined, `no generated key on stderr: ${first.stderr}`);
    assert.equal(first.ready['adminKeySource'], 'generated');
    assert.equal(statSync(join(dir, 'admin.key')).mode & 0o777, 0o600);
    const url = String(first.ready['url']);
    const put = await fetch(`${url}/apisix/admin/routes/k`, {
      method: 'PUT', headers: { 'x-api-key': key },
      body: JSON.stringify({ uri: '/k', upstream: { nodes: { [bootstrap(info)]: 1 }, type: 'none', scheme: 'kafka' } }),
    });
    assert.equal(put.status, 201);
    assert.equal((await first.stop()).code, 0);
    const second = await ProxyProcess.start([], env);
    try {
      assert.equal(second.ready['adminKeySource'], 'stored');
      assert.ok(!second.stderr.includes(key), 'the stored key was printed again');
      const get = await fetch(`${String(second.ready['url'])}/apisix/admin/routes/k`, { headers: { 'x-api-key': key } });
      assert.equal(get.status, 200);
    } finally {
      await second.stop();
    }
  });

  test('kill -9 during a burst of admin writes loses no acknowledged route and leaves no unreadable file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kwp-kill-'));
    const args = ['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--admin-key', KEY];
    const p = await ProxyProcess.start(args);
    const url = String(p.ready['url']);
    const acked: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const id = `w${w}-${i}`;
        try {
          const r = await fetch(`${url}/apisix/admin/routes/${id}`, {
            method: 'PUT', headers: { 'x-api-key': KEY },
            body: JSON.stringify({ uri: `/${id}`, upstream: { nodes: { [bootstrap(info)]: 1 }, type: 'none', scheme: 'kafka' } }),
          });
          if (r.status === 201) acked.push(id);
        } catch {
          return;
        }
      }
    });
    while (acked.length < 100) await new Promise((r) => setTimeout(r, 5));
    p.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await p.exited;
    const again = await ProxyProcess.start(args);
    try {
      assert.ok(!again.lines.some((l) => l['msg'] === 'route file skipped'), JSON.stringify(again.lines));
      const list = await (await fetch(`${String(again.ready['url'])}/apisix/admin/routes`, { headers: { 'x-api-key': KEY } })).json() as { total: number; list: Array<{ value: { id: string } }> };
      const ids = new Set(list.list.map((x) => x.value.id));
      for (const id of acked) assert.ok(ids.has(id), `acknowledged route ${id} lost`);
      assert.ok(readdirSync(join(dir, 'routes')).every((f) => f.endsWith('.json')), 'a temporary file was left behind');
      for (const f of readdirSync(join(dir, 'routes'))) JSON.parse(readFileSync(join(dir, 'routes', f), 'utf8'));
    } finally {
      await again.stop();
    }
  });

});

test('static routes from a config file are served and read-only', async () => {
  const info = await ensureBroker('4');
  const dir = mkdtempSync(join(tmpdir(), 'kwp-config-'));
  const file = join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({
    host: '127.0.0.1', port: 0, data_dir: 'data', admin_key: KEY,
    routes: [{ id: 'static', uri: '/static', upstream: { nodes: { [bootstrap(info)]: 1 }, type: 'none', scheme: 'kafka' } }],
  }));
  const p = await ProxyProcess.start(['start', '--config', file]);
  try {
    const url = String(p.ready['url']);
    await fetchesPlain(info, `${url.replace('http', 'ws')}/static`);
    const del = await fetch(`${url}/apisix/admin/routes/static`, { method: 'DELETE', headers: { 'x-api-key': KEY } });
    assert.equal(del.status, 400);
    assert.match(((await del.json()) as { error_msg: string }).error_msg, /read-only|config/);
  } finally {
    await p.stop();
  }
});
