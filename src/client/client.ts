import { decodeReply, encodeRequest, type Command, type ProduceAck, type ProduceRecord, type Reply, type SubscribeCommand, type SubscriptionEndInfo } from './codec.js';
import { consumePartition, type ConsumeOptions, type ReconnectPolicy } from './consume.js';
import { LiveSubscription, type SubscribeOptions, type SubscriptionEvents, type SubscriptionHost } from './subscribe.js';
import { AuthenticationError, ClientClosedError, ConnectionError, ProtocolError, RequestTimeoutError, serverError } from './errors.js';
import { TokenKeeper, type TokenSource } from './token.js';
import type { FetchResult, Message } from './message.js';
import { errorEventMessage, isArrayBuffer, WS_CLOSED, WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

export interface ReconnectOptions {
  /** First wait before reconnecting or retrying (default 250 ms); doubles per attempt. */
  initialDelayMs?: number;
  /** Longest wait between attempts (default 10 000 ms). */
  maxDelayMs?: number;
  /** Consecutive failed attempts before `consume` gives up and throws (default Infinity). */
  maxAttempts?: number;
}

export interface ClientOptions {
  /** Per command, from sending it to its reply (default 30 000 ms). */
  requestTimeoutMs?: number;
  /** Opening the WebSocket (default 10 000 ms); also bounds the close handshake in `close()`. */
  connectTimeoutMs?: number;
  /** Default `globalThis.WebSocket`; in Node 20 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Backoff of `consume` when the connection drops or the server reports a transient error. */
  reconnect?: ReconnectOptions;
  /**
   * A token (JWT) for a route with authentication: a string, or a function the client calls for
   * each new connection and again before the token expires (its `exp`), refreshing it in band
   * without interrupting subscriptions.
   */
  token?: TokenSource;
  /**
   * How the token reaches the proxy: `protocol` (default) in the WebSocket subprotocol
   * `bearer.<token>` next to `kafka-ws-proxy`, or `frame`, a cmd_authenticate right after the
   * socket opens (a refused token is then reported as AuthenticationError in browsers too, which
   * do not let a page see why an upgrade failed).
   */
  tokenVia?: 'protocol' | 'frame';
  /** Refresh a function token this long before its `exp` (default 60 000 ms, at most half its lifetime). */
  refreshBeforeMs?: number;
}

interface Pending {
  what: string;
  socket: WebSocketLike;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

// Not exported: lets connect() open the first socket without a public method for it.
const OPEN = Symbol('open');
const utf8 = new TextEncoder();

/**
 * A PubSub connection to kafka-ws-proxy (or APISIX). Commands may be in flight together; replies
 * are matched by `sequence`. After the socket drops, the next command opens a new one (one
 * attempt, no backoff); `consume` adds backoff on top.
 */
export class PubSubClient implements SubscriptionHost {
  readonly url: string;
  private readonly WebSocket: WebSocketConstructor;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnect: ReconnectPolicy;
  private socket: WebSocketLike | null = null;
  private opening: Promise<WebSocketLike> | null = null;
  // Insertion order is send order, so the first entry is the oldest command.
  private readonly pending = new Map<bigint, Pending>();
  private nextSequence = 1n;
  /** Open subscriptions by id, with the socket they live on. */
  private readonly subscriptions = new Map<number, { socket: WebSocketLike; events: SubscriptionEvents }>();
  private lastSubscriptionId = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly tokens: TokenKeeper | undefined;
  private readonly tokenVia: 'protocol' | 'frame';

  /** Prefer `connect()`, which also opens the socket; a client made with `new` connects on its first command. */
  constructor(url: string, options: ClientOptions = {}) {
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WS === undefined) throw new TypeError('no WebSocket implementation: pass options.WebSocket (e.g. WebSocket from the ws package)');
    this.url = url;
    this.WebSocket = WS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.reconnect = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 250,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
      maxAttempts: options.reconnect?.maxAttempts ?? Infinity,
    };
    this.tokenVia = options.tokenVia ?? 'protocol';
    this.tokens = options.token === undefined ? undefined : new TokenKeeper(options.token, options.refreshBeforeMs ?? 60_000, () => this.refresh());
  }

  /** Whether the WebSocket is open now. */
  get connected(): boolean {
    return this.socket !== null && this.socket.readyState === WS_OPEN;
  }

  /** Opens the socket. @internal */
  async [OPEN](): Promise<void> {
    await this.ready();
  }

  /**
   * Round trip to the proxy; resolves with `state` echoed (empty by default; a string is sent as UTF-8).
   * @throws ConnectionError, RequestTimeoutError, ClientClosedError
   */
  async ping(state: Uint8Array | string = new Uint8Array(0)): Promise<Uint8Array> {
    const bytes = typeof state === 'string' ? utf8.encode(state) : state;
    const r = await this.request('ping', { cmdPing: { state: bytes } });
    return expect(r, 'pong', 'ping').state;
  }

  /**
   * The offset of `topic`-`partition` at `at`: 'earliest' (log start), 'latest' (the next offset to
   * be written), or the first offset whose timestamp is at or after a Date / millisecond number or
   * bigint; -1n when there is none. Numbers and bigints go out unchanged, so -2 and -1 work too.
   * @throws ServerError (e.g. reason `not found topic`), ConnectionError, RequestTimeoutError,
   *   ClientClosedError, RangeError for an invalid Date or a number that is not a safe integer
   */
  async listOffset(topic: string, partition: number, at: 'earliest' | 'latest' | Date | bigint | number): Promise<bigint> {
    const timestamp = at === 'earliest' ? -2n : at === 'latest' ? -1n : at instanceof Date ? dateMs(at) : toInt(at, 'timestamp');
    const r = await this.request(`list offset ${topic}-${partition}`, { cmdKafkaListOffset: { topic, partition, timestamp } });
    return expect(r, 'listOffset', 'list offset').offset;
  }

  /**
   * The records of `topic`-`partition` at or after `offset` (as many as the proxy's frame and
   * fetch limits allow; none at the high watermark). Continue from the last offset + 1.
   * @throws ServerError (e.g. reason `OFFSET_OUT_OF_RANGE`), ConnectionError, RequestTimeoutError, ClientClosedError
   */
  async fetch(topic: string, partition: number, offset: bigint | number): Promise<FetchResult> {
    const r = await this.request(`fetch ${topic}-${partition}@${offset}`, { cmdKafkaFetch: { topic, partition, offset: toInt(offset, 'offset') } });
    const result = expect(r, 'fetch', 'fetch').result;
    for (const m of result.messages) m.partition = partition;
    return result;
  }

  /**
   * Every message of `topic`-`partition` from `options.from` on, in order, waiting for new ones at
   * the end; survives dropped connections and transient server errors (see ConsumeOptions).
   * Ends when `options.signal` aborts or the loop is left; throws on other errors.
   */
  consume(topic: string, partition: number, options: ConsumeOptions = {}): AsyncIterableIterator<Message> {
    return consumePartition(this, topic, partition, options, this.reconnect);
  }

  /**
   * Writes `records` to `topic` and resolves with one acknowledgement per record, in order: its
   * partition and offset, or its error (e.g. `MESSAGE_TOO_LARGE`). Without `partition`, Kafka's
   * default partitioner places them (murmur2 of the key, as the Java client). The command carries
   * an idempotency key (`idempotencyKey`, or a random one): after a dropped connection or a
   * timeout it is sent again with the same key, up to `retries` times (default 5), and the proxy
   * answers a repeat with the first attempt's result instead of writing the records twice.
   * @throws ServerError (e.g. reason `topic not allowed`, `produce is not enabled on this route`),
   *   ConnectionError or RequestTimeoutError once the retries are spent, ClientClosedError
   */
  async produce(topic: string, records: readonly ProduceRecord[], options: { partition?: number; idempotencyKey?: string; retries?: number } = {}): Promise<ProduceAck[]> {
    const idempotencyKey = options.idempotencyKey ?? randomKey();
    const retries = options.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.request(`produce ${topic}`, {
          cmdProduce: { topic, records, idempotencyKey, ...(options.partition !== undefined ? { partition: options.partition } : {}) },
        });
        return expect(r, 'produce', 'produce').acks;
      } catch (e) {
        if (!(e instanceof ConnectionError || e instanceof RequestTimeoutError) || attempt >= retries || this.closed) throw e;
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.reconnect.initialDelayMs * 2 ** attempt, this.reconnect.maxDelayMs)));
      }
    }
  }

  /**
   * Every message of `topic` (all partitions, or `options.partitions`) from `options.from` on,
   * pushed by the proxy as it is written: no polling. It survives dropped connections, proxy
   * restarts and route changes, resubscribing from its cursor (every offset exactly once, in
   * order); the credit it grants follows what the loop consumes. Ends when `options.signal` aborts
   * or the loop is left; throws CursorOutOfRangeError or SubscriptionEndedError when resuming
   * cannot help, and ServerError for a refused subscribe (e.g. reason `topic not allowed`).
   * `.cursor` gives the next offset per partition at any time.
   */
  subscribe(topic: string, options: SubscribeOptions = {}): LiveSubscription {
    return new LiveSubscription(this, topic, options, this.reconnect);
  }

  /**
   * Presents a fresh token now (from the `token` function, or `token` given here) on the open
   * connection; subscriptions go on untouched. The client does this by itself before `exp`.
   * Resolves with the proxy's view: the subject and the new expiry (ms since the epoch, 0n for none).
   * @throws AuthenticationError when the proxy refuses it (the connection keeps its current token)
   */
  async authenticate(token?: string): Promise<{ subject: string; expiresAtMs: bigint }> {
    const t = token ?? await this.tokens?.fresh();
    if (t === undefined) throw new TypeError('no token: pass one, or give connect() a token option');
    const r = await this.request('authenticate', { cmdAuthenticate: { token: t } });
    const a = expect(r, 'authenticate', 'authenticate');
    this.tokens?.accepted(t, a.expiresAtMs);
    return { subject: a.subject, expiresAtMs: a.expiresAtMs };
  }

  /** The keeper's timer: a function token is due for refresh. Failures are retried by the keeper. */
  private async refresh(): Promise<void> {
    if (this.closed || !this.connected) return;
    await this.authenticate();
  }

  /**
   * Commits consumer group `group`'s next offsets for partitions of `topic` (Kafka's convention:
   * the last offset processed, plus 1), kept by Kafka on the group's coordinator. The route must
   * allow the group (`groups`), and a group with active members (a running Kafka consumer
   * application) is refused.
   * @throws ServerError (reasons `group not allowed`, `the group has active members`, ...),
   *   AuthorizationError, ConnectionError, RequestTimeoutError, ClientClosedError
   */
  async commitOffsets(group: string, topic: string, offsets: ReadonlyMap<number, bigint> | Readonly<Record<number, bigint | number>>): Promise<void> {
    const m = offsets instanceof Map ? offsets : new Map(Object.entries(offsets).map(([p, o]) => [Number(p), toInt(o as bigint | number, 'offset')]));
    const r = await this.request(`commit offsets ${group} ${topic}`, { cmdCommitOffsets: { group, topic, offsets: m as ReadonlyMap<number, bigint> } });
    expect(r, 'commitOffsets', 'commit offsets');
  }

  /**
   * Consumer group `group`'s committed offsets for `partitions` of `topic` (default: every
   * partition): partition → next offset, -1n where the group has none.
   */
  async fetchCommitted(group: string, topic: string, partitions: readonly number[] = []): Promise<Map<number, bigint>> {
    const r = await this.request(`fetch committed ${group} ${topic}`, { cmdFetchCommitted: { group, topic, partitions } });
    return expect(r, 'committed', 'fetch committed').offsets;
  }

  /** @internal SubscriptionHost */
  nextSubscriptionId(): number {
    this.lastSubscriptionId = this.lastSubscriptionId >= 0xffffffff ? 1 : this.lastSubscriptionId + 1;
    return this.lastSubscriptionId;
  }

  /** @internal SubscriptionHost */
  async openSubscription(command: SubscribeCommand, events: SubscriptionEvents): Promise<{ start: Map<number, bigint>; maxFrameBytes: bigint } | { end: SubscriptionEndInfo }> {
    const id = command.subscription;
    const socket = await this.ready();
    this.subscriptions.set(id, { socket, events });
    try {
      const r = await this.request(`subscribe ${command.topic}`, { cmdSubscribe: command });
      if (r.kind === 'end') {
        this.subscriptions.delete(id);
        return { end: r.end };
      }
      const s = expect(r, 'subscribe', 'subscribe');
      return { start: s.start, maxFrameBytes: s.maxFrameBytes };
    } catch (e) {
      this.subscriptions.delete(id);
      throw e;
    }
  }

  /** @internal SubscriptionHost: more credit, not answered unless refused. */
  credit(subscription: number, bytes: number): void {
    this.fireAndForget(subscription, { cmdCredit: { subscription, bytes: BigInt(bytes) } });
  }

  /** @internal SubscriptionHost: the end that answers it is not waited for. */
  unsubscribe(subscription: number): void {
    this.fireAndForget(subscription, { cmdUnsubscribe: { subscription } });
    this.subscriptions.delete(subscription);
  }

  private fireAndForget(subscription: number, command: Command): void {
    const s = this.subscriptions.get(subscription);
    if (s === undefined || s.socket.readyState !== WS_OPEN) return;
    try {
      s.socket.send(encodeRequest(this.nextSequence++, command));
    } catch {
      // The socket is failing: its close reports it to the subscription.
    }
  }

  /**
   * Fails waiting commands with ClientClosedError and closes the socket with 1000, waiting for
   * the close handshake at most `connectTimeoutMs`. Later commands fail with ClientClosedError.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.tokens?.stop();
    const closed = new ClientClosedError();
    this.failPending(null, closed);
    for (const s of this.subscriptions.values()) s.events.disconnected(closed);
    this.subscriptions.clear();
    const ws = this.socket;
    this.socket = null;
    if (ws === null || ws.readyState === WS_CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.connectTimeoutMs);
      ws.addEventListener('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000);
    });
  }

  private async request(what: string, command: Command): Promise<Reply> {
    // Encoding first, so bad arguments throw before any connecting.
    const sequence = this.nextSequence++;
    const frame = encodeRequest(sequence, command);
    const ws = await this.ready();
    return this.requestOn(ws, what, sequence, frame);
  }

  private requestOn(ws: WebSocketLike, what: string, sequence: bigint, frame: Uint8Array<ArrayBuffer>): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      // ready() resolved a moment ago; the socket may have started closing since, and a send on
      // a closing socket is silently dropped by browsers.
      if (this.closed) return reject(new ClientClosedError());
      if (ws.readyState !== WS_OPEN) return reject(new ConnectionError(`${what}: the connection closed`));
      const p: Pending = { what, socket: ws, timer: undefined, resolve, reject };
      p.timer = setTimeout(() => {
        if (this.pending.get(sequence) !== p) return;
        // A late reply finds no entry and is ignored.
        this.pending.delete(sequence);
        reject(new RequestTimeoutError(what, this.requestTimeoutMs));
      }, this.requestTimeoutMs);
      this.pending.set(sequence, p);
      try {
        ws.send(frame);
      } catch (e) {
        this.pending.delete(sequence);
        clearTimeout(p.timer);
        reject(new ConnectionError(`${what}: send failed`, undefined, '', { cause: e }));
      }
    });
  }

  /** The open socket, opening one when there is none (shared by concurrent callers). */
  private ready(): Promise<WebSocketLike> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    if (this.socket !== null && this.socket.readyState === WS_OPEN) return Promise.resolve(this.socket);
    this.opening ??= this.open().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async open(): Promise<WebSocketLike> {
    const token = await this.tokens?.fresh();
    const ws = await this.openSocket(token !== undefined && this.tokenVia === 'protocol' ? ['kafka-ws-proxy', `bearer.${token}`] : undefined);
    if (token === undefined) return ws;
    if (this.tokenVia === 'frame') {
      try {
        const sequence = this.nextSequence++;
        const r = await this.requestOn(ws, 'authenticate', sequence, encodeRequest(sequence, { cmdAuthenticate: { token } }));
        this.tokens!.accepted(token, expect(r, 'authenticate', 'authenticate').expiresAtMs);
      } catch (e) {
        ws.close(1000);
        throw e;
      }
    } else {
      this.tokens!.accepted(token, undefined);
    }
    return ws;
  }

  private openSocket(protocols: string[] | undefined): Promise<WebSocketLike> {
    return new Promise<WebSocketLike>((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = protocols === undefined ? new this.WebSocket(this.url) : new this.WebSocket(this.url, protocols);
      } catch (e) {
        reject(new ConnectionError(`cannot connect to ${this.url}: ${String(e)}`, undefined, '', { cause: e }));
        return;
      }
      ws.binaryType = 'arraybuffer';
      let opened = false;
      let settled = false;
      let detail = '';
      const timer = setTimeout(() => {
        settled = true;
        reject(new ConnectionError(`cannot connect to ${this.url}: no connection within ${this.connectTimeoutMs} ms`));
        ws.close();
      }, this.connectTimeoutMs);
      ws.addEventListener('open', () => {
        if (settled) return;
        settled = opened = true;
        clearTimeout(timer);
        if (this.closed) {
          ws.close(1000);
          reject(new ClientClosedError());
          return;
        }
        this.socket = ws;
        resolve(ws);
      });
      ws.addEventListener('error', (event) => {
        detail = errorEventMessage(event);
      });
      ws.addEventListener('message', (event) => this.onFrame(ws, event.data));
      ws.addEventListener('close', (event) => {
        clearTimeout(timer);
        if (!opened) {
          // Node's ws says why an upgrade failed; a 401 is the token, which trying again cannot cure.
          if (!settled && /\b401\b/.test(detail)) reject(new AuthenticationError(`the proxy refused the token at the upgrade (${detail})`));
          else if (!settled) reject(new ConnectionError(`cannot connect to ${this.url}${detail !== '' ? `: ${detail}` : ''}`, event.code, event.reason));
          settled = true;
          return;
        }
        if (this.socket === ws) this.socket = null;
        const why = `connection to ${this.url} closed (code ${event.code}${event.reason !== '' ? `, ${event.reason}` : ''}${detail !== '' ? `; ${detail}` : ''})`;
        const error = new ConnectionError(why, event.code, event.reason);
        this.failPending(ws, error);
        for (const [id, s] of this.subscriptions) {
          if (s.socket !== ws) continue;
          this.subscriptions.delete(id);
          s.events.disconnected(error);
        }
      });
    });
  }

  private onFrame(ws: WebSocketLike, data: unknown): void {
    // The proxy only sends binary frames; anything else has no sequence to match.
    if (!isArrayBuffer(data)) return;
    let reply: Reply;
    try {
      reply = decodeReply(new Uint8Array(data));
    } catch {
      return; // not a PubSubResp: nothing says which command it answers
    }
    if (reply.kind === 'push') {
      const s = this.subscriptions.get(reply.push.subscription);
      if (s !== undefined && s.socket === ws) s.events.push(reply.push, (data as ArrayBuffer).byteLength);
      return;
    }
    if (reply.kind === 'end' && reply.sequence === 0n) {
      const s = this.subscriptions.get(reply.end.subscription);
      if (s === undefined || s.socket !== ws) return;
      this.subscriptions.delete(reply.end.subscription);
      s.events.end(reply.end);
      return;
    }
    let sequence = reply.sequence;
    if (sequence === 0n && reply.kind === 'error') {
      // The server could not decode a request ("wrong command") and cannot know its sequence;
      // requests are handled in order, so it is the oldest one still waiting. We never send 0.
      for (const [s, p] of this.pending) {
        if (p.socket === ws) {
          sequence = s;
          break;
        }
      }
    }
    const p = this.pending.get(sequence);
    if (p === undefined || p.socket !== ws) return; // timed out already, or not ours
    this.pending.delete(sequence);
    clearTimeout(p.timer);
    p.resolve(reply);
  }

  /** Rejects the commands sent on `ws` (every command when null). */
  private failPending(ws: WebSocketLike | null, error: Error): void {
    for (const [s, p] of this.pending) {
      if (ws !== null && p.socket !== ws) continue;
      this.pending.delete(s);
      clearTimeout(p.timer);
      p.reject(error);
    }
  }
}

/**
 * Opens a PubSub connection to `url` (ws:// or wss://, a route of the proxy).
 * @throws ConnectionError when the socket does not open within `connectTimeoutMs`
 * @throws TypeError when there is no WebSocket implementation
 */
export async function connect(url: string, options: ClientOptions = {}): Promise<PubSubClient> {
  const client = new PubSubClient(url, options);
  await client[OPEN]();
  return client;
}

type ReplyOf<K extends Reply['kind']> = Extract<Reply, { kind: K }>;

function expect<K extends Reply['kind']>(r: Reply, kind: K, what: string): ReplyOf<K> {
  if (r.kind === 'error') throw serverError(r.message);
  if (r.kind !== kind) throw new ProtocolError(`${what}: the server answered with ${r.kind === 'none' ? 'an empty reply' : `a ${r.kind} reply`}`);
  return r as ReplyOf<K>;
}

function toInt(v: bigint | number, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what} must be a safe integer or a bigint, got ${v}`);
  return BigInt(v);
}

/** A key for one produce call: random, so two calls never share one. */
function randomKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID !== undefined) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

function dateMs(d: Date): bigint {
  const ms = d.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid Date');
  return BigInt(ms);
}
