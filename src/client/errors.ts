import { ERROR_PREFIXES } from './commands.js';

/**
 * Errors of the client SDK. Each class has a stable `code` to match on (listed in docs/errors.md);
 * messages are for people and may change.
 */
export class PubSubClientError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

// APISIX's texts (apisix/pubsub/kafka.lua), which the proxy keeps byte for byte.
const APISIX_ERROR = new RegExp(`^(?:${Object.values(ERROR_PREFIXES).join('|')}), topic: (.*), partition: (-?\\d+), err: (.*)$`, 's');

/** The server answered a command with an `ErrorResp`. */
export class ServerError extends PubSubClientError {
  /** The ErrorResp's `message`, unchanged. */
  readonly serverMessage: string;
  /** From APISIX's `failed to fetch message, topic: T, partition: P, err: E`; undefined for other texts. */
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  /** `E` of that text (e.g. `OFFSET_OUT_OF_RANGE`, `not found topic`), else the whole message. */
  readonly reason: string;

  constructor(serverMessage: string, code = 'KWP_CLIENT_ERR_SERVER') {
    super(code, serverMessage);
    this.serverMessage = serverMessage;
    const m = APISIX_ERROR.exec(serverMessage);
    this.topic = m?.[1];
    this.partition = m?.[2] !== undefined ? Number(m[2]) : undefined;
    this.reason = m?.[3] ?? serverMessage;
  }
}

/**
 * The identity may not do this: the route's or the token's topic rules leave the topic out
 * (reason `topic not allowed`). Also a ServerError, so code that matched those keeps working.
 */
export class AuthorizationError extends ServerError {
  constructor(serverMessage: string) {
    super(serverMessage, 'KWP_CLIENT_ERR_FORBIDDEN');
  }
}

/**
 * The proxy refused the token: at the upgrade (HTTP 401, seen as such in Node; browsers report
 * only a failed connection), in answer to cmd_authenticate, or a command sent without one.
 * Reconnecting with the same token cannot help; `reason` is the proxy's (e.g. `token refused
 * (expired): ...`), never the token.
 */
export class AuthenticationError extends PubSubClientError {
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super('KWP_CLIENT_ERR_AUTHENTICATION', `authentication failed: ${reason}`, options);
    this.reason = reason;
  }
}

const AUTHENTICATE_ERROR = /^failed to authenticate, err: (.*)$/s;

/**
 * The error for an error reply's text: AuthenticationError for a refused cmd_authenticate or a
 * command sent without a token, AuthorizationError for a topic not allowed, else ServerError.
 */
export function serverError(serverMessage: string): PubSubClientError {
  const auth = AUTHENTICATE_ERROR.exec(serverMessage);
  if (auth !== null) return new AuthenticationError(auth[1]!);
  const e = new ServerError(serverMessage);
  if (e.reason === 'topic not allowed') return new AuthorizationError(serverMessage);
  if (e.reason === 'authentication required') return new AuthenticationError(e.reason);
  return e;
}

/** A command got no reply within `requestTimeoutMs`; only that command fails. */
export class RequestTimeoutError extends PubSubClientError {
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super('KWP_CLIENT_ERR_TIMEOUT', `${what}: no reply within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The WebSocket could not be opened, failed, or closed while commands were waiting. */
export class ConnectionError extends PubSubClientError {
  /** The WebSocket close code (1006 for an abnormal close), undefined if it never opened. */
  readonly closeCode: number | undefined;
  readonly closeReason: string;

  constructor(message: string, closeCode?: number, closeReason = '', options?: { cause?: unknown }) {
    super('KWP_CLIENT_ERR_CONNECTION', message, options);
    this.closeCode = closeCode;
    this.closeReason = closeReason;
  }
}

/** `close()` was called: commands still waiting, and later ones, fail with this. */
export class ClientClosedError extends PubSubClientError {
  constructor() {
    super('KWP_CLIENT_ERR_CLOSED', 'the client was closed');
  }
}

/** The server sent a reply of the wrong kind for the command (e.g. a pong to a fetch). */
export class ProtocolError extends PubSubClientError {
  constructor(message: string) {
    super('KWP_CLIENT_ERR_PROTOCOL', message);
  }
}

// Reasons that say nothing about the request itself: the proxy lost its brokers ("not found topic"
// is also what APISIX and we answer when no broker is reachable), a leader moved, or the proxy
// shed load. Retrying later can succeed.
const TRANSIENT_REASONS = new Set([
  'not found topic',
  'REQUEST_TIMED_OUT',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
  'KAFKA_STORAGE_ERROR',
]);

/** Whether a server error may go away by itself, so `consume` retries instead of ending. */
export function isTransientServerError(e: ServerError): boolean {
  return TRANSIENT_REASONS.has(e.reason) || e.reason.startsWith('too many commands in flight');
}

/**
 * A subscription ended for a reason resubscribing would not cure: its route or topic was deleted,
 * the identity may not read it, or a record could not be delivered. `cursor` says where each
 * partition stopped: a later subscribe with it continues exactly there.
 */
export class SubscriptionEndedError extends PubSubClientError {
  /** The proxy's reason: route_deleted, topic_deleted or error (after `unauthorized` it subscribes again, which says why). */
  readonly reason: string;
  readonly cursor: Map<number, bigint>;

  constructor(reason: string, message: string, cursor: Map<number, bigint>) {
    super('KWP_CLIENT_ERR_SUBSCRIPTION_ENDED', `subscription ended (${reason})${message !== '' ? `: ${message}` : ''}`);
    this.reason = reason;
    this.cursor = cursor;
  }
}

/**
 * A partition's next offset is no longer on the log (retention removed it, or the topic was
 * re-created): nothing was skipped. Resubscribe from `logStartOffset` to accept the gap, or use
 * the subscribe option `onOutOfRange`.
 */
export class CursorOutOfRangeError extends PubSubClientError {
  readonly partition: number;
  readonly logStartOffset: bigint;
  readonly cursor: Map<number, bigint>;

  constructor(partition: number, logStartOffset: bigint, message: string, cursor: Map<number, bigint>) {
    super('KWP_CLIENT_ERR_OUT_OF_RANGE', message !== '' ? message : `partition ${partition}: the cursor is not on the log (it starts at ${logStartOffset})`);
    this.partition = partition;
    this.logStartOffset = logStartOffset;
    this.cursor = cursor;
  }
}
