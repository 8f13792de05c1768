import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createAdminHandler } from './admin/handler.js';
import { DataDirError } from './errors.js';
import { makeAddressFilter } from './config/cidr.js';
import { DEFAULTS, type SettingValues } from './config/settings.js';
import { createDemoHandler } from './demo/serve.js';
import type { DemoTokens } from './demo/token.js';
import { replyJson, replyText, rejectUpgrade, requestPath } from './http-reply.js';
import { GOING_AWAY, LiveRoutes } from './live-routes.js';
import { createLogger, type Logger } from './log.js';
import { PROMETHEUS_CONTENT_TYPE, Registry } from './metrics/index.js';
import { routeEvents } from './route-events.js';
import { openRouteStore } from './open-route-store.js';
import type { RouteStore } from './routes/store.js';
import { ReplyBudget } from '../pubsub/index.js';
import { SocketGate } from './socket-gate.js';
import type { RouteAccess } from './auth/connection-access.js';
import { findToken, PROTOCOL } from './auth/token-source.js';
import type { CheckedToken } from './auth/connection-access.js';
import { ADMIN_LISTENER_SOCKETS, deadlineCheckEvery, readFileLimit, resolveSocketLimits, type SocketLimits } from './socket-limits.js';

/**
 * The settings of the settings table that the proxy itself uses (defaults: `DEFAULTS`; the
 * listener's own ones are `ListenOptions`), plus what only an embedding program can give.
 * `adminKey` enables the admin API; `dataDir` persists admin-created routes (in memory without).
 */
export interface ProxyOptions extends Partial<Pick<SettingValues, 'dataDir' | 'adminKey' | 'maxConnections' | 'maxMessageBytes' | 'maxSockets' | 'maxSocketsPerAddress' | 'headerTimeoutMs' | 'maxInFlight' | 'maxRunning' | 'maxUnsentBytes' | 'maxTotalUnsentBytes' | 'maxProduceBytes' | 'kafkaConnections' | 'demo' | 'routeStore' | 'routeStoreKeys'>> {
  /** CIDRs allowed to reach the admin API and /metrics (default loopback only). */
  adminAllow?: readonly string[];
  /** Read-only routes (APISIX route JSON plus `id`), e.g. from a config file. */
  routes?: ReadonlyArray<{ id: string } & Record<string, unknown>>;
  /** WebSocket ping interval to find dead peers (default 30 000 ms; 0 turns it off). */
  heartbeatMs?: number;
  logger?: Logger;
  metrics?: Registry;
  /**
   * With `demo`: mint demo-only tokens at POST /demo/token for the demo page (`npm run demo --
   * --auth`; demo/token.ts). No setting turns this on: anyone reaching it gets a token for any name.
   */
  demoTokens?: DemoTokens;
}

/**
 * What the CLI's worker processes give a proxy beside its options (workers/worker-process.ts);
 * not part of the library API.
 */
export interface ProxyInternals {
  /** Routes kept by the primary process (a RouteReplica) instead of a store opened here. */
  store?: RouteStore;
  /** The process group, for /metrics and /readyz. */
  group?: GroupView;
  /** Route changes log at debug: the primary logs each once for the group. */
  quietRouteLog?: boolean;
}

/** What a worker's /metrics and /readyz report: the whole group, asked of the primary. */
export interface GroupView {
  /** The group's metrics in the text format. */
  metrics(): Promise<string>;
  /** Open WebSockets of every worker, and the workers serving. */
  status(): Promise<{ connections: number; workers: number }>;
}

/** Where `listen()` binds: the settings table's listener settings (defaults: `DEFAULTS`). */
export type ListenOptions = Partial<Pick<SettingValues, 'host' | 'port' | 'adminHost' | 'adminPort'>>;

const ADMIN_PREFIX = '/apisix/admin';

/**
 * The proxy: routes from the store, WebSocket sessions per route, the admin API, health and
 * metrics. Use `listen()` for a standalone server, or mount `handleUpgrade`/`handleRequest` on
 * an existing `node:http` server.
 */
export class KafkaWsProxy {
  readonly routes: RouteStore;
  readonly metrics: Registry;
  readonly logger: Logger;
  /** The socket caps and the request-head deadline in force (`maxSockets` resolved). */
  readonly socketLimits: SocketLimits;
  private readonly live: LiveRoutes;
  private readonly wss: WebSocketServer;
  private readonly admin: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined;
  private readonly demo: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined;
  private readonly allowAdmin: (address: string | undefined) => boolean;
  private readonly maxConnections: number;
  /** Client sockets: the main listener's, and those of servers given to `limitConnections`. */
  private readonly clientGate: SocketGate;
  private readonly gates: SocketGate[];
  private readonly servers: Server[] = [];
  private adminOnOwnPort = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly alive = new WeakSet<WebSocket>();
  private closing = false;
  private readonly unsubscribe: () => void;
  private readonly events: ReturnType<typeof routeEvents>;
  private readonly budget: ReplyBudget;
  private readonly group: GroupView | undefined;

  private constructor(options: ProxyOptions, routes: RouteStore, internals: ProxyInternals) {
    this.routes = routes;
    this.group = internals.group;
    this.logger = options.logger ?? createLogger({ level: 'info' });
    this.metrics = options.metrics ?? new Registry();
    this.maxConnections = options.maxConnections ?? DEFAULTS.maxConnections;
    this.allowAdmin = makeAddressFilter([...(options.adminAllow ?? DEFAULTS.adminAllow)]);
    this.events = routeEvents(this.metrics, this.logger);
    const { limits, warnings } = resolveSocketLimits({
      maxSockets: options.maxSockets,
      maxSocketsPerAddress: options.maxSocketsPerAddress ?? DEFAULTS.maxSocketsPerAddress,
      maxConnections: this.maxConnections,
      headerTimeoutMs: options.headerTimeoutMs ?? DEFAULTS.headerTimeoutMs,
      fileLimit: readFileLimit(),
    });
    this.socketLimits = limits;
    for (const w of warnings) this.logger.warn(w);
    this.clientGate = this.gate(limits.maxSockets);
    this.gates = [this.clientGate];
    this.budget = new ReplyBudget({ maxBytes: options.maxTotalUnsentBytes ?? DEFAULTS.maxTotalUnsentBytes });
    this.events.replyBytes(() => this.budget.bytes);
    this.events.tails(() => this.live.tailStats());
    this.events.unsentBytes(() => this.live.unsentBytes());
    this.events.routeStoreUnavailable(() => (routes.unavailable === undefined ? 0 : 1));
    this.live = new LiveRoutes({
      limits: {
        maxInFlight: options.maxInFlight ?? DEFAULTS.maxInFlight,
        maxRunning: options.maxRunning ?? DEFAULTS.maxRunning,
        maxUnsentBytes: options.maxUnsentBytes ?? DEFAULTS.maxUnsentBytes,
        maxProduceBytes: options.maxProduceBytes ?? DEFAULTS.maxProduceBytes,
        budget: this.budget,
      },
      kafkaConnections: options.kafkaConnections ?? DEFAULTS.kafkaConnections,
      events: this.events,
      onJwksEvent: (route, e) => {
        if (e.type === 'failed') this.logger.warn('JWKS load failed', { route, error: e.error.message, keptKeys: e.keptKeys });
        else if (e.skipped.length > 0) this.logger.warn('JWKS keys skipped', { route, keys: e.keys, skipped: e.skipped });
        else this.logger.debug('JWKS loaded', { route, keys: e.keys });
      },
    });
    // permessage-deflate is off: APISIX does not offer it, and compressing already-compressed
    // Kafka payloads costs CPU on the hot path for little gain. allowSynchronousEvents off: ws then
    // hands over one message per connection per turn of the event loop instead of every message of
    // a socket read in one go, so a client that pipelines thousands of frames takes its turn like
    // every other connection rather than holding the loop (docs/operations.md, "Limits").
    this.wss = new WebSocketServer({
      noServer: true, maxPayload: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes, perMessageDeflate: false, clientTracking: false,
      allowSynchronousEvents: false,
      // A client offering the token subprotocol offers this one too; the answer never echoes the token.
      handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false),
    });
    this.admin = options.adminKey === undefined ? undefined : createAdminHandler({ store: routes, adminKey: options.adminKey, allow: this.allowAdmin, log: (level, msg, fields) => this.logger[level](msg, fields) });
    this.demo = options.demo === true ? createDemoHandler({ routes, tokens: options.demoTokens }) : undefined;
    for (const w of routes.warnings) {
      if (w instanceof DataDirError) this.logger.warn('data directory is not private', { dir: w.dir, error: w.message });
      else this.logger.warn('route file skipped', { file: w.file, error: w.message });
    }
    for (const r of routes.list()) this.live.apply(r.id, r);
    this.events.routes(routes.size);
    this.unsubscribe = routes.subscribe(({ id, after, initial }) => {
      this.live.apply(id, after);
      this.events.routes(routes.size);
      // The first load of a route store is summed up by its own line (`route store ready`).
      this.logger[internals.quietRouteLog === true || initial === true ? 'debug' : 'info'](after === undefined ? 'route removed' : 'route set', { route: id, ...(after ? { uri: after.value.uri, enabled: after.enabled } : {}) });
    });
    const every = options.heartbeatMs ?? 30_000;
    if (every > 0) {
      this.heartbeat = setInterval(() => this.beat(), every);
      this.heartbeat.unref();
    }
  }

  /**
   * `internals` only for the CLI's workers (then `dataDir` and `routes` are the primary's).
   * @throws ProxyError when the data directory or a static route is invalid.
   */
  static async create(options: ProxyOptions = {}, internals: ProxyInternals = {}): Promise<KafkaWsProxy> {
    const store = internals.store ?? await openRouteStore({
      dataDir: options.dataDir,
      staticRoutes: options.routes === undefined ? undefined : [...options.routes],
      routeStore: options.routeStore,
      routeStoreKeys: options.routeStoreKeys,
      logger: options.logger ?? createLogger({ level: 'info' }),
    });
    return new KafkaWsProxy(options, store, internals);
  }

  /** Open WebSockets over all routes. */
  get connections(): number {
    return this.live.connections;
  }

  /** Kafka clients held; routes with the same brokers and credentials share one. */
  get kafkaClients(): number {
    return this.live.kafkaClients;
  }

  /**
   * Takes a WebSocket upgrade whose path matches a route. Returns false, leaving the socket
   * alone, when no route matches, so an embedding server can handle its own upgrades.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const problem = this.routes.unavailable;
    if (problem !== undefined) {
      // The routes are not current (a Kafka route store still reading, or out of reach): no
      // upgrade is matched against them, so none is refused 404 or served by a stale route.
      socket.on('error', () => socket.destroy());
      this.events.rejected('routes_not_ready');
      rejectUpgrade(socket, 503, 'routes not ready');
      return true;
    }
    const route = this.routes.match(requestPath(req));
    if (route === undefined) return false;
    socket.on('error', () => socket.destroy());
    if (this.closing) {
      rejectUpgrade(socket, 503, 'server is shutting down');
      return true;
    }
    if (!route.originAllowed(req.headers.origin)) {
      // A page on another site asking to open the socket with the visitor's browser: refused
      // before any WebSocket exists (the route's allowed_origins, docs/security.md).
      this.events.rejected('origin');
      rejectUpgrade(socket, 403, 'origin not allowed');
      return true;
    }
    if (this.gates.some((g) => g.isReserve(socket))) {
      this.events.rejected('max_sockets');
      rejectUpgrade(socket, 503, `too many sockets (limit ${this.socketLimits.maxSockets})`);
      return true;
    }
    if (this.live.connections >= this.maxConnections) {
      this.events.rejected('max_connections');
      rejectUpgrade(socket, 503, `too many connections (limit ${this.maxConnections})`);
      return true;
    }
    const access = this.live.accessOf(route.id);
    const auth = access?.identity.auth;
    if (access === undefined || auth === undefined) {
      this.upgrade(req, socket, head, route.id, access, undefined);
      return true;
    }
    const found = findToken(req, auth.from);
    if (found !== undefined && 'problem' in found) {
      this.events.authFailed(route.id, 'bad_request');
      rejectUpgrade(socket, 400, found.problem);
      return true;
    }
    if (found === undefined) {
      if (auth.from.frame) {
        // It may authenticate with its first command (cmd_authenticate) within authenticate_within_ms.
        this.upgrade(req, socket, head, route.id, access, undefined);
      } else {
        this.events.authFailed(route.id, 'missing');
        rejectUpgrade(socket, 401, 'token required');
      }
      return true;
    }
    access.check(found.token).then((r) => {
      if (socket.destroyed) return;
      if ('status' in r) {
        this.events.authFailed(route.id, r.reason);
        rejectUpgrade(socket, r.status, r.message);
        return;
      }
      // Checked in the turn that opens the connection (ws completes an upgrade synchronously).
      const full = access.full(r.verified.subject ?? '');
      if (full !== undefined) {
        this.events.authFailed(route.id, 'too_many_connections');
        rejectUpgrade(socket, 429, full);
        return;
      }
      this.events.authenticated(route.id);
      this.upgrade(req, socket, head, route.id, access, r);
    }, (e: unknown) => {
      this.logger.error('token check failed', { route: route.id, error: e });
      rejectUpgrade(socket, 500, 'internal error');
    });
    return true;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, routeId: string, access: RouteAccess | undefined, checked: CheckedToken | undefined): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!this.live.attach(routeId, ws, socket, access, checked)) {
        ws.close(GOING_AWAY, 'route removed or changed');
        return;
      }
      this.alive.add(ws);
      ws.on('pong', () => this.alive.add(ws));
    });
  }

  /**
   * Plain HTTP: the admin API (unless it has its own listener), /healthz, /readyz, /metrics, the
   * demo page when enabled, and a 400 for a route URI requested without an upgrade. Returns false
   * for anything else.
   */
  async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = requestPath(req);
    if (path.startsWith(ADMIN_PREFIX) && !this.adminOnOwnPort) return this.handleAdmin(req, res);
    if (this.serveOps(req, res)) return true;
    // Before route matching: a prefix route such as /* would otherwise answer the page's own
    // requests with a 400. WebSocket upgrades never come here, so no route loses anything.
    if (this.demo !== undefined && await this.demo(req, res)) return true;
    if (this.routes.match(path) !== undefined) {
      replyJson(res, 400, { error_msg: 'this route serves Kafka PubSub over WebSocket: connect with a WebSocket client (Upgrade: websocket)' });
      return true;
    }
    return false;
  }

  /** /healthz, /readyz and /metrics: what both listeners answer. */
  private serveOps(req: IncomingMessage, res: ServerResponse): boolean {
    switch (requestPath(req)) {
      case '/healthz':
        replyJson(res, 200, { status: 'ok' });
        return true;
      case '/readyz':
        if (this.closing) replyJson(res, 503, { status: 'shutting down' });
        else if (this.routes.unavailable !== undefined) replyJson(res, 503, { status: 'routes not ready', reason: this.routes.unavailable });
        else if (this.group === undefined) replyJson(res, 200, { status: 'ready', routes: this.routes.size, connections: this.live.connections });
        else {
          this.group.status().then((g) => {
            if (this.closing) replyJson(res, 503, { status: 'shutting down' });
            else replyJson(res, 200, { status: 'ready', routes: this.routes.size, connections: g.connections, workers: g.workers });
          }, () => replyJson(res, 503, { status: 'the primary process does not answer' }));
        }
        return true;
      case '/metrics':
        if (!this.allowAdmin(req.socket.remoteAddress)) replyJson(res, 403, { error_msg: 'metrics are not served to this address' });
        else if (this.group === undefined) replyText(res, 200, this.metrics.render(), PROMETHEUS_CONTENT_TYPE);
        else {
          this.group.metrics().then((text) => replyText(res, 200, text, PROMETHEUS_CONTENT_TYPE), (e: unknown) => {
            this.logger.warn('group metrics failed', { error: e });
            replyJson(res, 503, { error_msg: 'the metrics of the worker processes are not available' });
          });
        }
        return true;
    }
    return false;
  }

  /** The admin API alone, for mounting on a separate server. Returns false outside /apisix/admin. */
  async handleAdmin(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (this.admin === undefined) {
      if (!requestPath(req).startsWith(ADMIN_PREFIX)) return false;
      replyJson(res, 404, { error_msg: 'the admin API is disabled (no admin key configured)' });
      return true;
    }
    return this.admin(req, res);
  }

  /** Starts listening; resolves with the bound addresses. */
  async listen(options: ListenOptions = {}): Promise<{ url: string; adminUrl?: string }> {
    const main = createServer(this.serverOptions(), (req, res) => this.serve(req, res, (q, r) => this.handleRequest(q, r)));
    this.clientGate.attach(main);
    main.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.handleUpgrade(req, socket, head)) rejectUpgrade(socket, 404, '404 Route Not Found');
    });
    const url = await this.bind(main, options.port ?? DEFAULTS.port, options.host ?? DEFAULTS.host);
    if (options.adminPort === undefined) return { url };
    this.adminOnOwnPort = true;
    const admin = createServer(this.serverOptions(), (req, res) => this.serve(req, res, async (q, r) => this.serveOps(q, r) || this.handleAdmin(q, r)));
    const adminGate = this.gate(ADMIN_LISTENER_SOCKETS);
    adminGate.attach(admin);
    this.gates.push(adminGate);
    const adminUrl = await this.bind(admin, options.adminPort, options.adminHost ?? DEFAULTS.adminHost);
    return { url, adminUrl };
  }

  /**
   * Graceful shutdown: stop accepting, close every WebSocket with 1001, close Kafka connections.
   * Resolves when the listeners are closed (sockets that do not finish the closing handshake are
   * cut after `graceMs`).
   */
  async close(graceMs = 3000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe();
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    const sockets = [...this.live.sockets()];
    this.live.closeAll('server shutting down');
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of this.servers) s.closeIdleConnections();
    const cut = setTimeout(() => {
      for (const ws of sockets) ws.terminate();
      for (const s of this.servers) s.closeAllConnections();
    }, graceMs);
    await closed;
    clearTimeout(cut);
    await this.routes.close();
    this.budget.stop();
    this.events.stop();
  }

  /**
   * Applies the socket caps (`maxSockets`, `maxSocketsPerAddress`, the admin-allowed reserve) and
   * the request-head deadline to a `node:http` or `node:https` server of an embedding program,
   * counted together with the sockets of `listen()`'s main listener. Call it before
   * `server.listen()`: node:http reads its deadline-check interval when it starts listening.
   */
  limitConnections(server: Server): void {
    const o = this.serverOptions();
    server.headersTimeout = o.headersTimeout;
    // A property of every node:http server since Node 18 that @types/node declares only as an option.
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = o.connectionsCheckingInterval;
    this.clientGate.attach(server);
  }

  private gate(maxSockets: number): SocketGate {
    return new SocketGate({
      maxSockets,
      maxSocketsPerAddress: this.socketLimits.maxSocketsPerAddress,
      reserve: this.socketLimits.adminReserve,
      trusted: this.allowAdmin,
      refused: (reason) => this.events.rejected(reason),
    });
  }

  /**
   * node:http's headersTimeout is the deadline for a request head, counted for a new connection
   * from the moment it is accepted, so it also closes sockets that never send a byte. Node checks
   * it on a timer (30 s by default), hence the shorter check interval.
   */
  private serverOptions(): { headersTimeout: number; connectionsCheckingInterval: number } {
    const ms = this.socketLimits.headerTimeoutMs;
    return { headersTimeout: ms, connectionsCheckingInterval: deadlineCheckEvery(ms) };
  }

  private serve(req: IncomingMessage, res: ServerResponse, handler: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>): void {
    handler(req, res).then((handled) => {
      if (!handled) replyJson(res, 404, { error_msg: '404 Route Not Found' });
    }, (e: unknown) => {
      this.logger.error('request failed', { path: requestPath(req), error: e });
      if (!res.headersSent) replyJson(res, 500, { error_msg: 'internal error' });
      else res.destroy();
    });
  }

  private bind(server: Server, port: number, host: string): Promise<string> {
    this.servers.push(server);
    server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
      if (e.code === 'ERR_HTTP_REQUEST_TIMEOUT') this.events.rejected('request_timeout', true);
      socket.destroy();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const a = server.address() as AddressInfo;
        resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
  }

  /** A peer that missed the last ping is gone (half-open TCP); idle but alive peers stay. */
  private beat(): void {
    for (const ws of this.live.sockets()) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}

/** Creates the proxy (opening its route store); see KafkaWsProxy. */
export function createProxy(options: ProxyOptions = {}): Promise<KafkaWsProxy> {
  return KafkaWsProxy.create(options);
}

