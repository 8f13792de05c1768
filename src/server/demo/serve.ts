import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestPath } from '../http-reply.js';
import type { RouteStore } from '../routes/store.js';
import { DEMO_TOKEN_PATH, serveDemoToken, type DemoTokens } from './token.js';

export interface DemoOptions {
  routes: RouteStore;
  /** index.html, app.js and style.css (default: src/server/demo/public of this package). */
  publicDir?: string;
  /** The browser SDK bundle (default: dist/browser/kafka-ws-proxy-client.js of this package). */
  sdkFile?: string;
  /** Demo-only tokens at POST /demo/token (token.ts); none without. */
  tokens?: DemoTokens | undefined;
}

type Asset = { dir: 'public' | 'sdk'; name: string; type: string };

const JS = 'text/javascript; charset=utf-8';

/**
 * Every path the demo serves, and nothing else: request paths are looked up as whole strings,
 * never joined onto a directory, so `..`, encoded slashes or dots cannot reach another file.
 */
const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/', { dir: 'public', name: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/demo/app.js', { dir: 'public', name: 'app.js', type: JS }],
  ['/demo/style.css', { dir: 'public', name: 'style.css', type: 'text/css; charset=utf-8' }],
  ['/demo/sdk.js', { dir: 'sdk', name: 'kafka-ws-proxy-client.js', type: JS }],
]);
const ROUTES_PATH = '/demo/routes';

/**
 * The page loads only its own files and talks only to this host (HTTP and WebSocket), so a
 * strict policy costs nothing and keeps anything injected into a Kafka message from running.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The demo's HTTP handler: the page at `/`, its assets under `/demo/`, `/demo/routes`, the
 * enabled exact-uri routes as `[{id, uri}]` plus `auth: true` on those that verify tokens (never
 * upstreams, keys or credentials), and with `tokens` POST `/demo/token`. Files are read at each
 * request (a few KB; `cache-control: no-cache` anyway), so an edited page shows on reload.
 * Resolves false for any other path.
 */
export function createDemoHandler(options: DemoOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const root = packageRoot();
  const publicDir = options.publicDir ?? join(root, 'src', 'server', 'demo', 'public');
  const sdkFile = options.sdkFile ?? join(root, 'dist', 'browser', 'kafka-ws-proxy-client.js');
  return async (req, res) => {
    const path = requestPath(req);
    if (path === DEMO_TOKEN_PATH && options.tokens !== undefined) {
      await serveDemoToken(req, res, options.tokens);
      return true;
    }
    const asset = ASSETS.get(path);
    if (asset === undefined && path !== ROUTES_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, 'application/json', JSON.stringify({ error_msg: 'method not allowed' }), { allow: 'GET, HEAD' });
      return true;
    }
    if (asset === undefined) {
      const list = options.routes.list().filter((r) => r.enabled && !r.prefix)
        .map((r) => ({ id: r.id, uri: r.uri, ...(r.identity.auth !== undefined ? { auth: true } : {}) }));
      send(req, res, 200, 'application/json', JSON.stringify(list));
      return true;
    }
    const file = asset.dir === 'sdk' ? sdkFile : join(publicDir, asset.name);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      const why = asset.dir === 'sdk'
        ? 'the browser SDK is not built: run `node scripts/bundle-client.mjs` (or `npm run demo`)'
        : `demo file ${asset.name} is missing from this installation`;
      send(req, res, 404, 'application/json', JSON.stringify({ error_msg: why }));
      return true;
    }
    send(req, res, 200, asset.type, body, asset.name === 'index.html' ? { 'content-security-policy': CSP } : {});
    return true;
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/**
 * The directory of this package's package.json: the first one above this module, whether it
 * runs compiled (dist/src/server/demo) or from the sources, in the repository or installed.
 */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}
