/**
 * The admin API for routes, wire-compatible with APISIX 3's `/apisix/admin/routes` (replies as
 * shaped by apisix/admin/init.lua, resource.lua, v3_adapter.lua and core/etcd.lua). Mounted on
 * the same port as the WebSocket endpoint: the handler answers false for any other path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminConfigError, JsonInputError, RouteConflictError, RouteNotFoundError, RouteReadOnlyError, RouteStoreError, RouteValidationError } from '../errors.js';
import { isPlainName, isPrototypeKey, MAX_JSON_DEPTH, parseJsonInput } from '../json-input.js';
import { ROUTE_ID } from '../routes/schema.js';
import type { RouteStore } from '../routes/store.js';
import { checkKey, digestOf } from './auth.js';
import { readBody } from './body.js';
import { keyOf, listItem, listReply } from './list.js';
import { sendError, sendJson } from './reply.js';

export const ADMIN_PREFIX = '/apisix/admin';
/** Largest request body accepted (APISIX allows 1.5 MiB; a Kafka route is a few KiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'];
// APISIX answers a missing key with 404 and this etcd wording; we add error_msg like every other error.
const NOT_FOUND = { error_msg: 'Key not found', message: 'Key not found' };

export type AdminLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface AdminHandlerOptions {
  store: RouteStore;
  /** Compared in constant time; never logged. */
  adminKey: string;
  /** Whether a client address may use the admin API at all (APISIX's allow_admin). */
  allow?: (remoteAddress: string) => boolean;
  log?: AdminLog;
  maxBodyBytes?: number;
}

export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Returns a request handler that resolves false, touching nothing, for paths outside
 * /apisix/admin, and otherwise answers the request and resolves true. It never rejects: an
 * unexpected error becomes 500 {"error_msg": "internal error"}.
 * @throws AdminConfigError when adminKey is empty.
 */
export function createAdminHandler(options: AdminHandlerOptions): AdminHandler {
  if (typeof options.adminKey !== 'string' || options.adminKey === '') throw new AdminConfigError('the admin key must be a non-empty string');
  const ctx: Context = {
    store: options.store,
    key: digestOf(options.adminKey),
    allow: options.allow,
    log: options.log ?? (() => undefined),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  return async (req, res) => {
    const raw = req.url ?? '';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    if (path !== ADMIN_PREFIX && !path.startsWith(`${ADMIN_PREFIX}/`)) return false;
    try {
      await handle(ctx, req, res, path, new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)));
    } catch (err) {
      ctx.log('error', 'admin request failed', { method: req.method, path, error: (err as Error).message });
      if (!res.headersSent) sendError(res, 500, 'internal error');
      else res.destroy();
    }
    return true;
  };
}

interface Context {
  store: RouteStore;
  key: Buffer;
  allow: ((remoteAddress: string) => boolean) | undefined;
  log: AdminLog;
  maxBodyBytes: number;
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const remote = req.socket.remoteAddress ?? '';
  if (ctx.allow !== undefined && !ctx.allow(remote)) {
    ctx.log('warn', 'admin request from a remote address that is not allowed', { remote });
    return sendError(res, 403, `remote address ${remote} is not allowed to use the admin API`);
  }
  const method = req.method ?? '';
  // APISIX answers HEAD /apisix/admin with 200 and no key check: a liveness probe.
  if (method === 'HEAD' && (path === ADMIN_PREFIX || path === `${ADMIN_PREFIX}/`)) {
    res.writeHead(200).end();
    return;
  }
  const auth = checkKey(req, query, ctx.key);
  if (auth !== 'ok') {
    ctx.log('warn', 'admin request rejected', { remote, reason: auth });
    return sendError(res, 401, 'failed to check token', { description: auth });
  }
  let segments: string[];
  try {
    segments = path.slice(ADMIN_PREFIX.length).split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return sendError(res, 404, 'not found');
  }
  const [resource, id, ...subPath] = segments;
  if (resource !== 'routes') return sendError(res, 404, resource === undefined ? 'not found' : `Unsupported resource type${isPlainName(resource) ? `: ${resource}` : ''}`);
  if (!METHODS.includes(method)) return sendError(res, 405, `method ${method} is not allowed`, {}, { allow: METHODS.join(', ') });
  if (subPath.length > 0 && method !== 'PATCH') return sendError(res, 404, 'not found');
  // The store keeps routes in a Map and refuses these ids too; the sub-path is walked with
  // obj[key], where "__proto__" would step from the route into Object.prototype.
  if (id !== undefined && isPrototypeKey(id)) return sendError(res, 400, `invalid route id: ${JSON.stringify(id)} is not allowed as a path segment`);
  const banned = subPath.find(isPrototypeKey);
  if (banned !== undefined) return sendError(res, 400, `invalid sub-path: ${JSON.stringify(banned)} is not allowed as a path segment`);
  if (subPath.length > MAX_JSON_DEPTH) return sendError(res, 400, `invalid sub-path: deeper than ${MAX_JSON_DEPTH} levels`);

  const problem = ctx.store.unavailable;
  if (problem !== undefined) {
    // A Kafka route store still reading its topic (or out of reach): what it holds may not be
    // the current routes, so it neither shows nor changes them.
    ctx.log('warn', 'admin request refused: the route store is not ready', { method, reason: problem });
    return sendError(res, 503, `the route store is not ready: ${problem}`);
  }
  try {
    await dispatch(ctx, req, res, method, id, subPath, query);
  } catch (err) {
    if (!(err instanceof RouteValidationError || err instanceof RouteReadOnlyError || err instanceof RouteConflictError
      || err instanceof RouteNotFoundError || err instanceof RouteStoreError)) throw err;
    const status = err instanceof RouteNotFoundError ? 404 : err instanceof RouteStoreError ? 503 : 400;
    // An id that is not a valid one could be anything the client sent, a secret included.
    const shownId = id !== undefined && ROUTE_ID.test(id) ? { id } : {};
    ctx.log(status === 503 ? 'error' : 'info', 'admin write refused', { method, ...shownId, code: err.code, error: err.message });
    if (status === 404) return sendJson(res, 404, NOT_FOUND);
    return sendError(res, status, err.message);
  }
}

async function dispatch(ctx: Context, req: IncomingMessage, res: ServerResponse, method: string, id: string | undefined, subPath: string[], query: URLSearchParams): Promise<void> {
  const { store } = ctx;
  if (method === 'GET') {
    if (id === undefined) {
      const reply = listReply(store.entries(), query);
      return sendJson(res, reply.status, reply.body);
    }
    const entry = store.entry(id);
    return entry === undefined ? sendJson(res, 404, NOT_FOUND) : sendJson(res, 200, listItem(entry));
  }
  if (method === 'POST' && id !== undefined) return sendError(res, 400, 'wrong route id, do not need it');
  if (method !== 'POST' && id === undefined) return sendError(res, 400, 'missing route id');
  if (method === 'DELETE') {
    const deleted = await store.delete(id!);
    if (!deleted) return sendJson(res, 404, NOT_FOUND);
    ctx.log('info', 'route deleted', { id });
    // APISIX 3 sends etcd's deleted count as a string (init.lua strip_etcd_resp).
    return sendJson(res, 200, { deleted: '1', key: keyOf(id!) });
  }

  const body = await jsonBody(ctx, req, res, method === 'PATCH' ? 'missing new configuration' : 'missing configurations');
  if (body === NO_BODY) return;
  if (method === 'PUT') {
    const { created, route } = await store.put(id!, body);
    ctx.log('info', created ? 'route created' : 'route replaced', { id });
    return sendJson(res, created ? 201 : 200, { key: keyOf(route.id), value: route.value });
  }
  if (method === 'POST') {
    const route = await store.post(body);
    ctx.log('info', 'route created', { id: route.id });
    return sendJson(res, 201, { key: keyOf(route.id), value: route.value });
  }
  const route = await store.patch(id!, body, subPath);
  // Sub-path segments are keys the user chose (a label, a node address): logged only when plain.
  ctx.log('info', 'route patched', { id, subPath: subPath.map((s) => (isPlainName(s) ? s : '*')).join('/') });
  return sendJson(res, 200, { key: keyOf(route.id), value: route.value });
}

const NO_BODY = Symbol('no body');

/** The parsed JSON body, or NO_BODY after answering 413 or 400. */
async function jsonBody(ctx: Context, req: IncomingMessage, res: ServerResponse, missing: string): Promise<unknown> {
  const raw = await readBody(req, ctx.maxBodyBytes);
  if (raw === 'too-large') {
    // Close the connection: the rest of the body is neither read nor buffered.
    sendError(res, 413, `request body is larger than ${ctx.maxBodyBytes} bytes`, {}, { connection: 'close' });
    return NO_BODY;
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') {
    sendError(res, 400, missing);
    return NO_BODY;
  }
  try {
    return parseJsonInput(text);
  } catch (err) {
    if (!(err instanceof JsonInputError)) throw err;
    sendError(res, 400, `invalid request body: ${err.message}`);
    return NO_BODY;
  }
}
