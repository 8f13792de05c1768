import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { KafkaClientRegistry, type ClientOptions, type Isolation, type KafkaClient, type OAuthTokenProvider, type Producer } from '../kafka-wire/index.js';
import {
  attachSession, KafkaBackend, KafkaProduce, KafkaStreamSource, produceResults, Semaphore, TailHub, type KafkaOperation, type ProduceReport,
  type ProduceResults, type ReplyBudget, type Session, type SessionObserver, type SubscriptionRoute,
} from '../pubsub/index.js';
import { RouteAccess, SubjectTable, type CheckedToken } from './auth/connection-access.js';
import { PassthroughPool, type SubjectBackend } from './auth/passthrough.js';
import { createVerifier } from './auth/verifier.js';
import type { JwksEvent } from './auth/jwks.js';
import type { KafkaRoute } from './routes/route.js';

/** WebSocket close codes (RFC 6455 §7.4.1). */
export const GOING_AWAY = 1001;

/** What a live route reports; the proxy turns these into metrics and logs. */
export interface RouteEvents {
  kafkaOperation(operation: KafkaOperation, seconds: number, ok: boolean): void;
  /** A produce command was written on the route (repeats answered from its cache are not). */
  produced(routeId: string, report: ProduceReport): void;
  /** A produce command was answered from the route's idempotency cache. */
  produceRepeated(routeId: string): void;
  sessionObserver(routeId: string): SessionObserver;
  connectionOpened(routeId: string): void;
  connectionClosed(routeId: string): void;
  /** The route is gone and so are its sockets: drop its per-route series. */
  forget(routeId: string): void;
}

/**
 * One version of a route with the sessions opened under it. A route update starts a new generation
 * for new connections while the old one drains; its Kafka client is released when its last session
 * has closed.
 */
interface Generation {
  route: KafkaRoute;
  client: KafkaClient;
  /** The cluster's shared producer; undefined when produce is off on the route. */
  producer: Producer | undefined;
  backend: KafkaBackend;
  /** The route's live subscriptions, on the tail hub of its cluster, identity and isolation. */
  subscriptions: SubscriptionRoute;
  sessions: Map<Session, WebSocket>;
  /** Identity checks and limits; undefined on a route with neither auth nor limits. */
  access: RouteAccess | undefined;
  retired: boolean;
  clientReleased: boolean;
}

/** What every connection may cost, whatever its route (the proxy's settings). */
export interface ConnectionLimits {
  maxInFlight: number;
  maxRunning: number;
  maxUnsentBytes: number;
  maxProduceBytes: number;
  budget: ReplyBudget;
}

export interface LiveRoutesOptions {
  registry?: KafkaClientRegistry;
  limits: ConnectionLimits;
  /** Connections per broker of each shared Kafka client. */
  kafkaConnections: number;
  events: RouteEvents;
  /** Each JWKS load of a route's verifier, good or failed. */
  onJwksEvent?: (routeId: string, event: JwksEvent) => void;
}

/**
 * The routes currently served: route id → live generation. Kafka clients are shared through a
 * registry, so every route (and every connection) with the same brokers and credentials uses the
 * same few connections per broker (kafkaConnections).
 */
/** A tail hub shared by every route of one cluster, identity and isolation level. */
interface SharedHub {
  hub: TailHub;
  source: KafkaStreamSource;
  users: number;
}

export class LiveRoutes {
  private readonly live = new Map<string, Generation>();
  private readonly retiring = new Set<Generation>();
  private readonly registry: KafkaClientRegistry;
  private readonly hubs = new Map<KafkaClient, Map<Isolation, SharedHub>>();
  private readonly options: LiveRoutesOptions;
  /** Connections and command rates per subject, by route id (they outlive a route's versions). */
  private readonly subjects = new Map<string, SubjectTable>();
  /**
   * Produce results by idempotency key, by route id: they outlive a route's versions, so a client
   * retrying across a route update is still recognised.
   */
  private readonly results = new Map<string, ProduceResults>();

  constructor(options: LiveRoutesOptions) {
    this.options = options;
    this.registry = options.registry ?? new KafkaClientRegistry();
  }

  /** Open WebSockets over all routes, draining ones included. */
  get connections(): number {
    let n = 0;
    for (const g of this.live.values()) n += g.sessions.size;
    for (const g of this.retiring) n += g.sessions.size;
    return n;
  }

  /** Kafka clients held (shared clients count once). */
  get kafkaClients(): number {
    return this.registry.size;
  }

  /** Applies a route change from the store: a new or updated route serves new connections at once. */
  apply(id: string, after: KafkaRoute | undefined): void {
    const old = this.live.get(id);
    if (old !== undefined) {
      this.live.delete(id);
      // Deleted or disabled: sockets go now. Updated: they finish what they asked, then go.
      this.retire(old, after === undefined || !after.enabled ? 'close' : 'drain', after === undefined ? 'route deleted' : 'route updated');
    }
    if (after?.enabled) this.live.set(id, this.generation(after));
  }

  /** Tail hubs running (one per cluster, identity and isolation level in use). */
  get tailHubs(): number {
    let n = 0;
    for (const m of this.hubs.values()) n += m.size;
    return n;
  }

  /** Bytes handed to every connection's socket that it has not taken yet. */
  unsentBytes(): number {
    let n = 0;
    for (const g of this.live.values()) for (const s of g.sessions.keys()) n += s.unsentBytes;
    for (const g of this.retiring) for (const s of g.sessions.keys()) n += s.unsentBytes;
    return n;
  }

  /** The shared tail reads: readers running, and the Fetch requests that included each partition read. */
  tailStats(): { readers: number; fetches: Array<{ topic: string; partition: number; requests: number }> } {
    let readers = 0;
    const byPartition = new Map<string, { topic: string; partition: number; requests: number }>();
    for (const m of this.hubs.values()) {
      for (const h of m.values()) {
        readers += h.hub.size;
        for (const f of h.source.fetcher.partitionStats()) {
          const k = `${f.partition} ${f.topic}`;
          const e = byPartition.get(k);
          if (e === undefined) byPartition.set(k, { ...f });
          else e.requests += f.requests;
        }
      }
    }
    return { readers, fetches: [...byPartition.values()] };
  }

  /** The identity rules of a route's current version (undefined: none, or no such route). */
  accessOf(routeId: string): RouteAccess | undefined {
    return this.live.get(routeId)?.access;
  }

  /**
   * Runs a PubSub session for an upgraded WebSocket on the route's current generation. `socket`
   * is the connection `ws` runs on: pushes are written to it directly (attachSession).
   * `checked` is the RouteAccess the upgrade's token was checked with and `verified` that token:
   * if the route changed since, the connection goes (the token was not checked against it).
   * @returns false when the route is gone or changed; the caller closes the socket.
   */
  attach(routeId: string, ws: WebSocket, socket?: Duplex, access?: RouteAccess, checked?: CheckedToken): boolean {
    const g = this.live.get(routeId);
    if (g === undefined || g.access !== access) return false;
    const session = attachSession(ws, {
      backend: g.backend,
      maxFrameBytes: g.route.maxFrameBytes,
      ...this.options.limits,
      ...(g.route.subscribe.maxSubscriptions > 0 ? { subscriptions: g.subscriptions } : {}),
      observer: this.options.events.sessionObserver(routeId),
      ...(g.access === undefined ? {} : { access: g.access.connection(checked) }),
    }, socket);
    g.sessions.set(session, ws);
    this.options.events.connectionOpened(routeId);
    ws.once('close', () => {
      g.sessions.delete(session);
      this.options.events.connectionClosed(routeId);
      if (g.retired && g.sessions.size === 0) this.finish(g);
    });
    return true;
  }

  /** Every WebSocket of every route, for heartbeats and shutdown. */
  *sockets(): IterableIterator<WebSocket> {
    for (const g of this.live.values()) yield* g.sessions.values();
    for (const g of this.retiring) yield* g.sessions.values();
  }

  /** Closes every session with 1001 and every Kafka client. */
  closeAll(reason: string): void {
    for (const [id, g] of this.live) {
      this.live.delete(id);
      this.retire(g, 'close', reason);
    }
    for (const g of this.retiring) {
      for (const s of g.sessions.keys()) s.close(GOING_AWAY, reason, 'shutting_down');
      this.releaseClient(g);
    }
    for (const m of this.hubs.values()) {
      for (const h of m.values()) {
        h.hub.close();
        h.source.close();
      }
    }
    this.hubs.clear();
    this.registry.closeAll();
  }

  private generation(route: KafkaRoute): Generation {
    const client = this.registry.acquire({ ...clientOptions(route), connectionsPerBroker: this.options.kafkaConnections });
    const events = this.options.events;
    const producer = route.produce === undefined ? undefined : this.registry.acquireProducer(clientOptions(route));
    const backend = new KafkaBackend({
      client,
      fetch: route.fetch,
      topicAllowed: (t) => route.topicAllowed(t),
      groupAllowed: (g) => route.groupAllowed(g),
      observe: (op, seconds, ok) => events.kafkaOperation(op, seconds, ok),
      ...(producer === undefined ? {} : { produce: this.produceFor(route, producer) }),
    });
    const s = route.subscribe;
    const subscriptions: SubscriptionRoute = {
      hub: this.hubFor(client, route.fetch.isolation),
      reads: new Semaphore(s.catchUpReads),
      checkTopic: (t) => backend.checkTopic(t),
      maxSubscriptions: s.maxSubscriptions,
      defaultCredit: s.defaultCredit,
      maxUnsentBytes: s.maxUnsentBytes,
      maxFrameBytes: route.maxFrameBytes,
    };
    return { route, client, producer, backend, subscriptions, sessions: new Map(), access: this.accessFor(route), retired: false, clientReleased: false };
  }

  /** The route's produce rules on `producer` (the route's, or a passthrough identity's own). */
  private produceFor(route: KafkaRoute, producer: Producer): KafkaProduce {
    const s = route.produce!;
    const events = this.options.events;
    let results: ProduceResults | undefined;
    if (s.idempotencyWindowMs > 0) {
      results = this.results.get(route.id);
      if (results === undefined || results.window !== s.idempotencyWindowMs) this.results.set(route.id, (results = produceResults(s.idempotencyWindowMs)));
    } else {
      this.results.delete(route.id);
    }
    return new KafkaProduce({
      producer,
      send: { acks: s.acks, compression: s.compression, lingerMs: s.lingerMs, batchBytes: s.batchBytes },
      topicAllowed: (t) => s.topicAllowed(t),
      maxRecordBytes: s.maxRecordBytes,
      ...(results === undefined ? {} : { idempotency: results }),
      observe: (report) => events.produced(route.id, report),
      repeated: () => events.produceRepeated(route.id),
    });
  }

  private accessFor(route: KafkaRoute): RouteAccess | undefined {
    const identity = route.identity;
    if (identity.auth === undefined && identity.limits.commandsPerSecond === 0) return undefined;
    let subjects = this.subjects.get(route.id);
    if (subjects === undefined) this.subjects.set(route.id, (subjects = new SubjectTable()));
    const verifier = identity.auth === undefined ? undefined : createVerifier(identity.auth.jwt, this.options.onJwksEvent === undefined ? {} : { onJwksEvent: (e) => this.options.onJwksEvent!(route.id, e) });
    const pool = identity.auth?.passthrough === true ? new PassthroughPool((_subject, token) => this.subjectBackend(route, token)) : undefined;
    return new RouteAccess(identity, verifier, subjects, pool);
  }

  /**
   * A subject's own Kafka client (its token as the OAUTHBEARER credential, so the registry never
   * shares it with another subject: each provider is a distinct function), backend and tail hub.
   */
  private subjectBackend(route: KafkaRoute, token: OAuthTokenProvider): SubjectBackend {
    const own: ClientOptions = { ...clientOptions(route), sasl: { mechanism: 'OAUTHBEARER', token } };
    const client = this.registry.acquire({ ...own, connectionsPerBroker: this.options.kafkaConnections });
    const events = this.options.events;
    // The identity writes as itself too: a producer of its own, never shared with another subject.
    const producer = route.produce === undefined ? undefined : this.registry.acquireProducer(own);
    const backend = new KafkaBackend({
      client,
      fetch: route.fetch,
      topicAllowed: (t) => route.topicAllowed(t),
      groupAllowed: (g) => route.groupAllowed(g),
      observe: (op, seconds, ok) => events.kafkaOperation(op, seconds, ok),
      ...(producer === undefined ? {} : { produce: this.produceFor(route, producer) }),
    });
    const s = route.subscribe;
    const subscriptions: SubscriptionRoute | undefined = s.maxSubscriptions === 0 ? undefined : {
      hub: this.hubFor(client, route.fetch.isolation),
      reads: new Semaphore(s.catchUpReads),
      checkTopic: (t) => backend.checkTopic(t),
      maxSubscriptions: s.maxSubscriptions,
      defaultCredit: s.defaultCredit,
      maxUnsentBytes: s.maxUnsentBytes,
      maxFrameBytes: route.maxFrameBytes,
    };
    return {
      backend,
      subscriptions,
      close: () => {
        if (subscriptions !== undefined) this.releaseHub(client, route.fetch.isolation);
        this.registry.release(client);
        if (producer !== undefined) void this.registry.releaseProducer(producer);
      },
    };
  }

  /** The tail hub of a client and isolation level, made on first use; released with releaseHub. */
  private hubFor(client: KafkaClient, isolation: Isolation): TailHub {
    let byIsolation = this.hubs.get(client);
    if (byIsolation === undefined) this.hubs.set(client, (byIsolation = new Map()));
    let h = byIsolation.get(isolation);
    if (h === undefined) {
      const source = new KafkaStreamSource(client, isolation);
      h = { hub: new TailHub(source), source, users: 0 };
      byIsolation.set(isolation, h);
    }
    h.users++;
    return h.hub;
  }

  private releaseHub(client: KafkaClient, isolation: Isolation): void {
    const byIsolation = this.hubs.get(client);
    const h = byIsolation?.get(isolation);
    if (byIsolation === undefined || h === undefined || --h.users > 0) return;
    h.hub.close();
    h.source.close();
    byIsolation.delete(isolation);
    if (byIsolation.size === 0) this.hubs.delete(client);
  }

  private retire(g: Generation, how: 'close' | 'drain', reason: string): void {
    g.retired = true;
    if (g.sessions.size === 0) {
      this.finish(g);
      return;
    }
    this.retiring.add(g);
    if (how === 'drain') {
      for (const s of g.sessions.keys()) s.drain(GOING_AWAY, reason, 'route_changed');
      return;
    }
    const end = reason === 'route deleted' ? 'route_deleted' : reason === 'route updated' ? 'route_changed' : 'shutting_down';
    for (const s of g.sessions.keys()) s.close(GOING_AWAY, reason, end);
    // Nothing more will be answered, so the Kafka connections go now rather than after every peer
    // has finished its closing handshake.
    this.releaseClient(g);
  }

  private releaseClient(g: Generation): void {
    if (g.clientReleased) return;
    g.clientReleased = true;
    this.releaseHub(g.client, g.route.fetch.isolation);
    this.registry.release(g.client);
    // The last route on the cluster closes the producer, which first delivers what it holds.
    if (g.producer !== undefined) void this.registry.releaseProducer(g.producer);
  }

  /** A retired generation whose last socket has closed. */
  private finish(g: Generation): void {
    this.retiring.delete(g);
    this.releaseClient(g);
    const id = g.route.id;
    if (!this.live.has(id) && ![...this.retiring].some((r) => r.route.id === id)) {
      this.options.events.forget(id);
      this.subjects.delete(id);
      this.results.delete(id);
    }
  }
}

/** The Kafka client settings of a route: brokers, TLS (APISIX's `tls.verify`, default off), SASL, timeouts. */
export function clientOptions(route: KafkaRoute): ClientOptions {
  const o: ClientOptions = { brokers: route.brokers, clientId: 'kafka-ws-proxy' };
  if (route.tls !== undefined) o.tls = { ...route.tls };
  if (route.sasl !== undefined) o.sasl = { ...route.sasl };
  if (route.connectTimeoutMs !== undefined) o.connectTimeoutMs = route.connectTimeoutMs;
  if (route.requestTimeoutMs !== undefined) o.requestTimeoutMs = route.requestTimeoutMs;
  return o;
}
