import type { LookupFunction, Socket } from 'node:net';
import type { Input } from '../protocol/codec.js';
import { decodeResponseFrame, encodeRequestFrame, type DecodedResponse } from '../protocol/frame.js';
import type { Fields } from '../protocol/schema.js';
import { negotiateVersion, type ApiSpec } from '../protocol/versions.js';
import { ConnectionClosedByClientError, KafkaConnectionError, UnsupportedApiError } from './errors.js';
import { responsePool } from './response-pool.js';
import { SocketFrameReader } from './socket-frame-reader.js';
import { negotiateApiVersions, type VersionRange } from './handshake.js';
import { authenticate, withCurrentToken, type SaslOptions } from './sasl-flow.js';
import { openSocket, socketError, type TlsOptions } from './socket.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  /** TLS when present (an empty object means TLS with verification against Node's roots). */
  tls?: TlsOptions | undefined;
  sasl?: SaslOptions | undefined;
  clientId?: string;
  /** Covers TCP, TLS, ApiVersions and SASL together. Default 10 s. */
  connectTimeoutMs?: number;
  /** Per request, unless the request says otherwise. Default 30 s. */
  requestTimeoutMs?: number;
  /** Largest response frame accepted. Default 100 MiB, Kafka's own socket.request.max.bytes. */
  maxFrameBytes?: number;
  lookup?: LookupFunction | undefined;
}

export interface RequestOptions {
  /** Defaults to the highest version both sides support. */
  version?: number;
  timeoutMs?: number;
}

interface Pending {
  api: ApiSpec;
  version: number;
  resolve: (r: DecodedResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;
const MIN_REAUTH_INTERVAL_MS = 1000;

/**
 * One socket to one broker. Requests are pipelined: each gets a correlation id and waits in the
 * in-flight map for its response, in any order. Any failure of the socket (or a request timing
 * out, after which the stream can no longer be trusted) fails every request in flight with the
 * same typed error and closes the connection; nothing waits for ever.
 */
export class Connection {
  readonly broker: string;
  readonly clientId: string;
  /** The broker's advertised version range per API key, from ApiVersions. */
  apiVersions: ReadonlyMap<number, VersionRange> = new Map();
  /** KIP-368 session lifetime from the last SASL login, 0 if none. */
  sessionLifetimeMs = 0;
  /** How many times this connection re-authenticated (KIP-368). */
  reauthentications = 0;
  /** Frames that had to wait for the socket to drain (backpressure), since connecting. */
  framesHeld = 0;

  private readonly socket: Socket;
  private readonly reader: SocketFrameReader;
  private readonly inFlight = new Map<number, Pending>();
  private readonly requestTimeoutMs: number;
  private nextCorrelationId = 1;
  /** Frames waiting for 'drain', or for re-authentication to finish. */
  private held: Buffer[] = [];
  private holdForAuth = false;
  private failure: Error | undefined;
  private readonly closeListeners: Array<(e: Error) => void> = [];
  /** Bare SASL v0 tokens bypass correlation; while set, every frame goes here. */
  private rawReceiver: ((frame: Buffer) => void) | undefined;
  private reauthTimer: NodeJS.Timeout | undefined;
  private lastAuthenticationStart = 0;

  private constructor(socket: Socket, reader: SocketFrameReader, o: ConnectionOptions) {
    this.socket = socket;
    this.reader = reader;
    this.broker = `${o.host}:${o.port}`;
    this.clientId = o.clientId ?? 'kafka-ws-proxy';
    this.requestTimeoutMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    socket.on('error', (e) => this.fail(socketError(e, this.broker, o.tls !== undefined, true)));
    socket.on('close', () => this.fail(new KafkaConnectionError('KWIRE_ERR_CONNECTION_CLOSED', this.broker,
      `the broker closed the connection${this.inFlight.size > 0 ? ` with ${this.inFlight.size} request(s) in flight` : ''}`)));
    socket.on('drain', () => this.flush());
  }

  /** Connects, negotiates API versions and logs in; resolves when ordinary requests may be sent. */
  static async connect(o: ConnectionOptions): Promise<Connection> {
    const connectTimeoutMs = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const started = Date.now();
    // The reader exists before the socket, which reads into it; frames reach the connection once it
    // exists (a broker speaks only when asked, so an early frame is a broken peer, failed below).
    let conn: Connection | undefined;
    let early: Error | undefined;
    const reader = new SocketFrameReader(o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, responsePool,
      (f) => (conn !== undefined ? conn.onFrame(f) : (early ??= new KafkaConnectionError('KWIRE_ERR_NETWORK', `${o.host}:${o.port}`, 'the broker sent a frame before any request'))),
      (size, prefix) => (conn !== undefined ? conn.onOversize(size, prefix, o) : (early ??= new KafkaConnectionError('KWIRE_ERR_NETWORK', `${o.host}:${o.port}`, 'the broker sent bytes before any request'))));
    const socket = await openSocket({
      host: o.host, port: o.port, tls: o.tls, lookup: o.lookup, connectTimeoutMs,
      onread: { buffer: reader.target, callback: reader.filled },
    });
    conn = new Connection(socket, reader, o);
    if (early !== undefined) conn.fail(early);
    const left = (): number => Math.max(1, connectTimeoutMs - (Date.now() - started));
    try {
      conn.apiVersions = await negotiateApiVersions(conn, left);
      if (o.sasl !== undefined) await conn.login(o.sasl, left);
    } catch (e) {
      conn.fail(e as Error);
      if (e instanceof KafkaConnectionError && e.code === 'KWIRE_ERR_REQUEST_TIMEOUT') {
        throw new KafkaConnectionError('KWIRE_ERR_CONNECT_TIMEOUT', conn.broker,
          `connected, but no ${o.sasl ? 'ApiVersions/SASL' : 'ApiVersions'} answer within ${connectTimeoutMs} ms (does this port speak Kafka?)`, { cause: e });
      }
      throw e;
    }
    return conn;
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** The version this connection uses for `api`: the highest both sides support. */
  version(api: ApiSpec): number {
    const range = this.apiVersions.get(api.key);
    const v = range === undefined ? undefined : negotiateVersion(api, range.min, range.max);
    if (v === undefined) {
      throw new UnsupportedApiError(this.broker, api.name, range === undefined
        ? 'the broker does not offer this API'
        : `the broker offers v${range.min}-${range.max}, we speak v${api.clientMin}-${api.max}`);
    }
    return v;
  }

  request<Q extends Fields, S extends Fields>(api: ApiSpec<Q, S>, body: Input<Q>, opts?: RequestOptions): Promise<DecodedResponse<S>> {
    let version: number;
    try {
      version = opts?.version ?? this.version(api as unknown as ApiSpec);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.send(api, body, version, opts?.timeoutMs ?? this.requestTimeoutMs, false);
  }

  /**
   * Sends a request the broker never answers: Produce with acks=0 is the only one (the broker
   * writes no response at all, so waiting for one would only time out and close the connection).
   * Returns once the frame is written or queued behind backpressure.
   * @throws the connection's failure if it is closed; KWIRE_ERR_ENCODE for a body that cannot be encoded
   */
  sendWithoutResponse<Q extends Fields, S extends Fields>(api: ApiSpec<Q, S>, body: Input<Q>, version: number): void {
    if (this.failure !== undefined) throw this.failure;
    const frame = encodeRequestFrame(api, version, this.allocateCorrelationId(), this.clientId, body);
    this.write(frame, false);
  }

  /** Registers a callback for when the connection fails or is closed. */
  onClose(listener: (e: Error) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.closeListeners.push(listener);
  }

  close(): void {
    this.fail(new ConnectionClosedByClientError(this.broker));
  }

  /**
   * Sends a request. `priority` requests (SASL during re-authentication) skip the hold that
   * keeps ordinary requests back while the connection logs in again.
   * @internal
   */
  send<Q extends Fields, S extends Fields>(api: ApiSpec<Q, S>, body: Input<Q>, version: number, timeoutMs: number, priority: boolean): Promise<DecodedResponse<S>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let frame: Buffer;
    const correlationId = this.allocateCorrelationId();
    try {
      frame = encodeRequestFrame(api, version, correlationId, this.clientId, body);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new KafkaConnectionError('KWIRE_ERR_REQUEST_TIMEOUT', this.broker,
        `${api.name} v${version} got no response within ${timeoutMs} ms`)), timeoutMs);
      this.inFlight.set(correlationId, { api: api as unknown as ApiSpec, version, resolve: resolve as (r: DecodedResponse) => void, reject, timer });
      this.write(frame, priority);
    });
  }

  /**
   * Exchanges one bare size-prefixed token (SaslHandshake v0 framing), with no correlation.
   * @internal
   */
  exchangeRaw(token: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new KafkaConnectionError('KWIRE_ERR_REQUEST_TIMEOUT', this.broker,
        `no SASL token within ${timeoutMs} ms`)), timeoutMs);
      const unhook = (): void => {
        clearTimeout(timer);
        this.rawReceiver = undefined;
      };
      this.rawReceiver = (frame) => {
        unhook();
        resolve(frame);
      };
      this.onClose((e) => {
        unhook();
        reject(e);
      });
      const prefix = Buffer.allocUnsafe(4);
      prefix.writeInt32BE(token.length, 0);
      this.write(prefix, true);
      this.write(token, true);
    });
  }

  private async login(sasl: SaslOptions, left: () => number): Promise<void> {
    this.lastAuthenticationStart = Date.now();
    const { sessionLifetimeMs } = await authenticate(this, sasl, left);
    this.scheduleReauthentication(sasl, sessionLifetimeMs);
  }

  /**
   * KIP-368: log in again at a random point between 85 % and 95 % of the session, like the Java
   * client, but never within a second of the previous start: Kafka refuses a re-authentication
   * that soon (KafkaChannel's MIN_REAUTH_INTERVAL_ONE_SECOND_NANOS) with ILLEGAL_SASL_STATE, which
   * a token with a few hundred ms left would otherwise provoke.
   */
  private scheduleReauthentication(sasl: SaslOptions, lifetimeMs: number): void {
    this.sessionLifetimeMs = lifetimeMs;
    if (lifetimeMs <= 0 || this.failure !== undefined) return;
    const sinceLast = Date.now() - this.lastAuthenticationStart;
    const delay = Math.max(lifetimeMs * (0.85 + 0.1 * Math.random()), MIN_REAUTH_INTERVAL_MS - sinceLast);
    this.reauthTimer = setTimeout(() => {
      this.reauthTimer = undefined;
      this.lastAuthenticationStart = Date.now();
      // An OAUTHBEARER provider is asked again (the broker bounds the session by the token's
      // expiry, so the first login's token would not do), before requests are held back: a token
      // request to an identity provider should not stall the connection.
      withCurrentToken(this, sasl, this.requestTimeoutMs, true).then((current) => {
        if (this.failure !== undefined) return undefined;
        this.holdForAuth = true;
        return authenticate(this, current, () => this.requestTimeoutMs, true);
      }).then(
        (r) => {
          if (r === undefined) return;
          this.reauthentications++;
          this.holdForAuth = false;
          this.flush();
          this.scheduleReauthentication(sasl, r.sessionLifetimeMs);
        },
        (e: Error) => this.fail(e),
      );
    }, delay);
    // The socket keeps the process alive while it is open; the timer alone should not.
    this.reauthTimer.unref();
  }

  private allocateCorrelationId(): number {
    let id = this.nextCorrelationId;
    while (this.inFlight.has(id)) id = (id + 1) & 0x7fffffff;
    this.nextCorrelationId = (id + 1) & 0x7fffffff;
    return id;
  }

  private write(frame: Buffer, priority: boolean): void {
    if (!priority && (this.holdForAuth || this.held.length > 0 || this.socket.writableNeedDrain)) {
      this.held.push(frame);
      this.framesHeld++;
      return;
    }
    this.socket.write(frame);
  }

  /** Sends held frames while the socket accepts them and no login is running. */
  private flush(): void {
    if (this.holdForAuth || this.failure !== undefined) return;
    while (this.held.length > 0 && !this.socket.writableNeedDrain) this.socket.write(this.held.shift()!);
  }

  private onFrame(frame: Buffer): void {
    if (this.rawReceiver !== undefined) {
      this.rawReceiver(frame);
      return;
    }
    if (frame.length < 4) {
      this.fail(new KafkaConnectionError('KWIRE_ERR_NETWORK', this.broker, `a ${frame.length}-byte frame is too short for a response header`));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const p = this.inFlight.get(correlationId);
    if (p === undefined) {
      this.fail(new KafkaConnectionError('KWIRE_ERR_UNKNOWN_CORRELATION', this.broker, `a response with correlation id ${correlationId} matches no request in flight`));
      return;
    }
    this.inFlight.delete(correlationId);
    clearTimeout(p.timer);
    let decoded: DecodedResponse;
    try {
      decoded = decodeResponseFrame(p.api, p.version, frame);
    } catch (e) {
      p.reject(e as Error);
      return;
    }
    p.resolve(decoded);
  }

  private onOversize(size: number, prefix: Buffer, o: ConnectionOptions): void {
    // A TLS record header (content type 0x14-0x17, version 3.x) read as a size prefix.
    const tlsRecord = prefix[0]! >= 0x14 && prefix[0]! <= 0x17 && prefix[1] === 0x03;
    this.fail(tlsRecord && o.tls === undefined
      ? new KafkaConnectionError('KWIRE_ERR_TLS_MISMATCH', this.broker, 'the broker answered with TLS on a plaintext connection; set tls')
      : new KafkaConnectionError('KWIRE_ERR_FRAME_TOO_LARGE', this.broker, `a response frame of ${size} bytes exceeds the limit of ${o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES} bytes`));
  }

  private fail(e: Error): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    clearTimeout(this.reauthTimer);
    this.held = [];
    this.reader.reset();
    this.socket.destroy();
    const pending = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    for (const l of this.closeListeners.splice(0)) l(e);
  }
}
