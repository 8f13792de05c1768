/** An admin handler on a loopback HTTP server, and a client for it, shared by the admin tests. */
import { createServer, type Server } from 'node:http';
import type { TestContext } from 'node:test';
import { createAdminHandler, type AdminHandlerOptions } from '../../../src/server/admin/handler.js';
import { RouteStore, type RouteStoreOptions } from '../../../src/server/routes/store.js';
import type { Json } from '../json-path.js';

export const KEY = 'edd1c9f034335f136f87ad84b625c8f1';

export function route(uri = '/kafka', extra: Json = {}): Json {
  return { uri, upstream: { nodes: { 'kafka-server1:9092': 1 }, type: 'none', scheme: 'kafka' }, ...extra };
}

export async function serve(t: TestContext, storeOptions: RouteStoreOptions = {}, options: Partial<AdminHandlerOptions> = {}) {
  const store = await RouteStore.open(storeOptions);
  const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const handler = createAdminHandler({ store, adminKey: KEY, log: (level, message, fields) => logs.push({ level, message, ...(fields ? { fields } : {}) }), ...options });
  const server: Server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end('not admin');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { 'x-api-key': KEY }) {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(base + path, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: res.headers.get('content-type') === 'application/json' ? (JSON.parse(text) as Json) : undefined };
  }
  return { store, logs, base, call };
}
