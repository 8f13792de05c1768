import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { kafkaRoute, startProxy } from '../../support/proxy-fixture.js';

/** Opens a WebSocket with the given Origin; resolves with 101 or the refusal's status and body. */
function upgrade(url: string, origin: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin !== undefined ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (e) => reject(e));
  });
}

test("a browser upgrade from an origin the route does not allow gets 403; allowed origins and non-browser clients open", async (t) => {
  const p = await startProxy();
  t.after(() => p.close());
  // No broker is needed to open a socket: nothing is asked of Kafka until a command comes.
  const put = await p.admin('PUT', '/apisix/admin/routes/web', kafkaRoute('/web', ['127.0.0.1:9'], { plugin: { allowed_origins: ['https://app.example.com', 'https://*.example.org'] } }));
  assert.equal(put.status, 201, JSON.stringify(put.body));
  const open = await p.admin('PUT', '/apisix/admin/routes/open', kafkaRoute('/open', ['127.0.0.1:9']));
  assert.equal(open.status, 201);

  assert.equal((await upgrade(p.ws('/web'), 'https://app.example.com')).status, 101);
  assert.equal((await upgrade(p.ws('/web'), 'https://eu.example.org')).status, 101);
  assert.equal((await upgrade(p.ws('/web'), undefined)).status, 101, 'no Origin: not a page in a browser');
  const denied = await upgrade(p.ws('/web'), 'https://evil.example.com');
  assert.equal(denied.status, 403);
  assert.match(denied.body, /origin not allowed/);
  assert.equal((await upgrade(p.ws('/web'), 'https://example.org')).status, 403);
  assert.equal((await upgrade(p.ws('/open'), 'https://evil.example.com')).status, 101, 'without allowed_origins every origin may (APISIX behaviour)');
  const metrics = await (await fetch(`${p.url}/metrics`)).text();
  assert.match(metrics, /kwp_connections_rejected_total\{reason="origin"\} 2/);
});
