import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDemoHandler } from '../../src/server/demo/serve.js';
import { RouteStore } from '../../src/server/routes/store.js';
import { kafkaRoute, startProxy, type RunningProxy } from '../support/proxy-fixture.js';
import { KEY, load, rejectsConfig, tempDir, writeJson } from './config/support.js';

/**
 * The demo page (`demo: true`): its fixed set of files with their content types, the route list
 * without secrets, nothing reachable beside them, and nothing at all when the demo is off.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PAGE_PATHS = ['/', '/demo/app.js', '/demo/style.css', '/demo/sdk.js', '/demo/routes'];
const SECRET = 'demo-test-sasl-secret-3141';

/** A raw GET: node:http sends the path exactly as given, where fetch() would resolve `..` first. */
function rawGet(base: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolveReply, reject) => {
    const req = request({ host: hostname, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => {
        body += s;
      });
      res.on('end', () => resolveReply({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const ROUTES = [
  { id: 'orders', ...kafkaRoute('/kafka/orders', ['kafka-1.internal:9092'], { plugin: { sasl: { username: 'alice', password: SECRET } } }) },
  { id: 'demo', ...kafkaRoute('/demo', ['127.0.0.1:9092']) },
  { id: 'off', ...kafkaRoute('/kafka/off', ['127.0.0.1:9092']), status: 0 },
  { id: 'all', ...kafkaRoute('/kafka/all/*', ['127.0.0.1:9092']) },
];

describe('demo on', () => {
  let p: RunningProxy;
  before(async () => {
    p = await startProxy({ demo: true, routes: ROUTES });
  });
  after(() => p.close());

  test('GET / is the page, with its test ids, no caching and a strict content security policy', async () => {
    const res = await fetch(`${p.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    const html = await res.text();
    for (const id of ['route', 'topic', 'partition', 'from', 'time', 'start', 'stop', 'status', 'lag', 'count', 'error', 'latency-p50', 'latency-p99', 'partitions']) {
      assert.match(html, new RegExp(`data-testid="${id}"`), id);
    }
    assert.match(html, /<script type="module" src="\/demo\/app.js">/);
    // Works offline: nothing is loaded from another origin.
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  });

  test('assets: app.js and style.css from src/server/demo/public, with their content types', async () => {
    for (const [path, file, type] of [
      ['/demo/app.js', 'app.js', 'text/javascript; charset=utf-8'],
      ['/demo/style.css', 'style.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await fetch(p.url + path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), type, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.equal(await res.text(), readFileSync(join(root, 'src/server/demo/public', file), 'utf8'), path);
    }
  });

  test('/demo/sdk.js is dist/browser/kafka-ws-proxy-client.js, or a 404 saying how to build it', async () => {
    const bundle = join(root, 'dist/browser/kafka-ws-proxy-client.js');
    const res = await fetch(`${p.url}/demo/sdk.js`);
    if (existsSync(bundle)) {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(await res.text(), readFileSync(bundle, 'utf8'));
    } else {
      assert.equal(res.status, 404);
      assert.match(((await res.json()) as { error_msg: string }).error_msg, /not built: run `node scripts\/bundle-client.mjs`/);
    }
  });

  test('/demo/routes lists enabled exact-uri routes as {id, uri} only: no brokers, no credentials', async () => {
    const res = await fetch(`${p.url}/demo/routes`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), [{ id: 'demo', uri: '/demo' }, { id: 'orders', uri: '/kafka/orders' }]);
    for (const leak of [SECRET, 'alice', 'kafka-1.internal', '9092', 'upstream', 'sasl']) assert.ok(!text.includes(leak), leak);
  });

  test('/demo/routes follows the route store', async () => {
    assert.equal((await p.admin('PUT', '/apisix/admin/routes/late', kafkaRoute('/late', ['127.0.0.1:9092']))).status, 201);
    assert.deepEqual(await (await fetch(`${p.url}/demo/routes`)).json(), [
      { id: 'demo', uri: '/demo' }, { id: 'late', uri: '/late' }, { id: 'orders', uri: '/kafka/orders' },
    ]);
    assert.equal((await p.admin('DELETE', '/apisix/admin/routes/late')).status, 200);
  });

  test('HEAD answers headers only; other methods get 405', async () => {
    const head = await rawGet(p.url, '/demo/style.css', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(Number(head.headers['content-length']), readFileSync(join(root, 'src/server/demo/public/style.css')).length);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await rawGet(p.url, '/', method);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers['allow'], 'GET, HEAD');
    }
  });

  test('the query string is ignored: /?route=/demo&autostart=1 is the page', async () => {
    const res = await fetch(`${p.url}/?route=/demo&topic=demo&partition=0&from=earliest&autostart=1`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /data-testid="route"/);
  });

  test('no other path reaches a file: traversal, encodings, case, slashes', async () => {
    const attempts = [
      '/demo/../package.json', '/demo/..%2fpackage.json', '/demo/%2e%2e/package.json', '/demo/%2e%2e%2fpackage.json',
      '/demo/%2E%2E%2F%2E%2E%2Fpackage.json', '/demo/..\\package.json', '/demo/..%5cpackage.json', '/..%2f..%2fetc%2fpasswd',
      '/demo/./app.js', '/demo//app.js', '/demo/app.js/', '/demo/APP.JS', '/demo/app.js%00', '/demo/app%2ejs', '/%2f',
      '/demo/', '/demo/index.html', '/index.html', '/demo/public/app.js', '/src/server/demo/public/app.js',
      '/demo/sdk.js/../../package.json', '//demo/app.js', '/demo/routes/', '/demo/routes/../../package.json',
    ];
    for (const path of attempts) {
      const res = await rawGet(p.url, path);
      assert.equal(res.status, 404, path);
      assert.ok(!res.body.includes('"name": "kafka-ws-proxy"') && !res.body.includes('root:'), path);
    }
  });

  test('a route uri that is also a demo path still upgrades; a /* prefix route does not hide the page', async () => {
    const q = await startProxy({ demo: true, routes: [{ id: 'everything', ...kafkaRoute('/*', ['127.0.0.1:9092']) }] });
    try {
      assert.equal((await fetch(`${q.url}/`)).status, 200);
      assert.equal((await fetch(`${q.url}/demo/app.js`)).status, 200);
      // The route itself still answers plain HTTP elsewhere with its usual 400.
      assert.equal((await fetch(`${q.url}/anything`)).status, 400);
      // Prefix routes cannot be opened from the page, so they are not offered.
      assert.deepEqual(await (await fetch(`${q.url}/demo/routes`)).json(), []);
    } finally {
      await q.close();
    }
  });
});

test('demo off (the default): every demo path is a 404 as before', async () => {
  const p = await startProxy({ routes: ROUTES });
  try {
    for (const path of PAGE_PATHS) {
      const res = await fetch(p.url + path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(await res.json(), { error_msg: '404 Route Not Found' }, path);
    }
  } finally {
    await p.close();
  }
  const q = await startProxy({ demo: false });
  try {
    assert.equal((await fetch(`${q.url}/`)).status, 404);
  } finally {
    await q.close();
  }
});

test('createDemoHandler: another SDK file and public directory; a missing page file is a 404 naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwp-demo-'));
  const sdk = join(dir, 'sdk.js');
  writeFileSync(sdk, 'export const connect = () => {};\n');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>\n');
  const routes = await RouteStore.open({});
  const handler = createDemoHandler({ routes, publicDir: dir, sdkFile: sdk });
  const server = createServer((req, res) => {
    handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(418);
        res.end();
      }
    }, () => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const js = await fetch(`${base}/demo/sdk.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'export const connect = () => {};\n');
    assert.equal(await (await fetch(`${base}/`)).text(), '<!doctype html><title>t</title>\n');
    const missing = await fetch(`${base}/demo/app.js`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error_msg: string }).error_msg, /demo file app.js is missing/);
    assert.deepEqual(await (await fetch(`${base}/demo/routes`)).json(), []);
    assert.equal((await fetch(`${base}/healthz`)).status, 418, 'other paths are left to the caller');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

describe('the demo setting', () => {
  test('off by default; --demo turns it on', async () => {
    assert.equal((await load(['--admin-key', KEY])).demo, false);
    assert.equal((await load(['--admin-key', KEY, '--demo'])).demo, true);
  });

  test('KAFKA_WS_PROXY_DEMO takes 1/true/0/false (any case); empty is unset', async () => {
    for (const [text, want] of [['1', true], ['true', true], ['TRUE', true], ['0', false], ['false', false], ['False', false]] as const) {
      assert.equal((await load([], { KAFKA_WS_PROXY_ADMIN_KEY: KEY, KAFKA_WS_PROXY_DEMO: text })).demo, want, text);
    }
    assert.equal((await load([], { KAFKA_WS_PROXY_ADMIN_KEY: KEY, KAFKA_WS_PROXY_DEMO: '' })).demo, false);
    await rejectsConfig(load([], { KAFKA_WS_PROXY_DEMO: 'yes' }), 'KAFKA_WS_PROXY_DEMO', /KAFKA_WS_PROXY_DEMO: the value is not a boolean \(1, true, 0 or false\)/);
  });

  test('config file key "demo" takes a JSON boolean', async () => {
    const dir = tempDir();
    assert.equal((await load(['--admin-key', KEY, '--config', writeJson(dir, 'on.json', '{"demo": true}')])).demo, true);
    assert.equal((await load(['--admin-key', KEY, '--config', writeJson(dir, 'off.json', '{"demo": false}')])).demo, false);
    await rejectsConfig(load(['--config', writeJson(dir, 'bad.json', '{"demo": "true"}')]), 'demo', /demo: the value \(a string\) is not a boolean \(true or false\)/);
  });

  test('precedence: the flag beats the variable, which beats the file', async () => {
    const file = writeJson(tempDir(), 'c.json', '{"demo": true}');
    assert.equal((await load(['--admin-key', KEY], { KAFKA_WS_PROXY_CONFIG: file, KAFKA_WS_PROXY_DEMO: '0' })).demo, false);
    assert.equal((await load(['--admin-key', KEY, '--demo'], { KAFKA_WS_PROXY_DEMO: '0' })).demo, true);
  });

  test('--demo is a switch: a value is refused, naming the flag', async () => {
    await rejectsConfig(load(['--demo=false']), '--demo', /--demo takes no value/);
    await rejectsConfig(load(['--demo', '--demo']), '--demo', /more than once/);
    // A following word is a stray argument, not the switch's value.
    await rejectsConfig(load(['--demo', 'false']), 'argv', /unexpected argument 2/);
  });
});
