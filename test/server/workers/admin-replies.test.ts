import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { kafkaRoute } from '../../support/proxy-fixture.js';
import { http, type Reply } from '../../support/proxy-group.js';
import { ProxyProcess } from '../../support/proxy-process.js';

/*
 * The admin API answers the same through a worker group as through one process: the same
 * statuses, bodies and revisions for the same requests, refusals included. Each request goes on a
 * connection of its own, so in the group consecutive requests come through different workers.
 */
const KEY = 'workers-admin-key-0123456789';
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kwp-workers-admin-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const route = (uri: string) => kafkaRoute(uri, ['127.0.0.1:1']);

/** method, path, body (a string is sent as is), key (default KEY) */
const SCRIPT: Array<[string, string, unknown?, string?]> = [
  ['PUT', '/routes/a', route('/a')],
  ['PUT', '/routes/a', { ...route('/a'), name: 'replaced' }],
  ['PATCH', '/routes/a', { desc: 'patched', labels: { team: 'x' } }],
  ['PATCH', '/routes/a/labels/team', '"y"'],
  ['POST', '/routes', route('/posted')],
  ['POST', '/routes', { ...route('/posted-2'), id: 'nope' }],
  ['PUT', '/routes/b', route('/a')],
  ['PUT', '/routes/c', { uri: '/c' }],
  ['PUT', '/routes/c', { ...route('/c'), upstream: { nodes: { 'k:9092': 1 }, scheme: 'http' } }],
  ['PUT', '/routes/static', route('/static-2')],
  ['DELETE', '/routes/static'],
  ['PATCH', '/routes/nope', { desc: 'x' }],
  ['DELETE', '/routes/nope'],
  ['PUT', '/routes/d', '{"uri": '],
  ['PUT', '/routes/d', ''],
  ['PUT', '/routes/__proto__', route('/p')],
  ['PUT', '/routes/bad%20id', route('/p')],
  ['GET', '/routes/a', undefined, 'wrong-key-0123456789'],
  ['PUT', '/routes/e', { ...route('/e'), status: 0 }],
  ['PUT', '/routes/f', route('/a')],
  ['GET', '/routes'],
  ['GET', '/routes?name=replaced'],
  ['GET', '/routes/a'],
  ['DELETE', '/routes/a'],
  ['GET', '/routes/a'],
  ['PUT', '/routes/b', route('/a')],
  ['GET', '/routes'],
];

/** Time fields set from the clock are the only thing allowed to differ. */
function normalized(r: Reply): { status: number; body: unknown } {
  const body = JSON.parse(JSON.stringify(r.json), (k, v: unknown) => (k === 'create_time' || k === 'update_time' ? 0 : v)) as unknown;
  return { status: r.status, body };
}

async function run(workers: number): Promise<Array<{ status: number; body: unknown }>> {
  const config = join(dir, `config-${workers}.json`);
  writeFileSync(config, JSON.stringify({ routes: [{ id: 'static', ...route('/static') }] }));
  const dataDir = mkdtempSync(join(dir, 'data-'));
  const p = await ProxyProcess.start(['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--config', config, '--workers', String(workers)], { KAFKA_WS_PROXY_ADMIN_KEY: KEY }, 30_000);
  try {
    const url = String(p.ready['url']);
    const out = [];
    for (const [method, path, body, key] of SCRIPT) {
      const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      out.push(normalized(await http(url, method, `/apisix/admin${path}`, { 'x-api-key': key ?? KEY, 'content-type': 'application/json' }, text)));
    }
    return out;
  } finally {
    assert.equal((await p.stop()).code, 0);
  }
}

test('every admin reply of a scripted session is the same with --workers 2 as with --workers 1', async () => {
  const single = await run(1);
  const group = await run(2);
  // The script reaches every kind of answer, so agreeing means something.
  assert.deepEqual([...new Set(single.map((r) => r.status))].sort(), [200, 201, 400, 401, 404]);
  for (const [i, [method, path]] of SCRIPT.entries()) assert.deepEqual(group[i], single[i], `${method} ${path} (request ${i + 1})`);
});
