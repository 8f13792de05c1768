import type { PubSubBackend } from './backend.js';
import type { SubscriptionRoute } from './subscribe/subscriptions.js';

/**
 * Who a connection is and what it may do, as the session sees it. The server decides both (it
 * verifies tokens and binds a route's topic rules to their claims); the session enforces them on
 * every command, ends the connection when its grant expires, and takes in-band tokens.
 */

/** One identity's permission to use a connection until `expiresAtMs`. */
export interface Grant {
  /** The token's `sub` ('' when it has none). */
  readonly subject: string;
  /** When the grant ends, in ms since the epoch; Infinity when never. */
  readonly expiresAtMs: number;
  /** Fetch, list offset and subscribe on `topic`. Called on every command: must be cheap. */
  consume(topic: string): boolean;
  /** Produce to `topic`. */
  produce(topic: string): boolean;
  /** Commit or read the offsets of consumer group `group` (on top of consume for the topic). */
  group(group: string): boolean;
  /**
   * The identity's own Kafka side (identity passthrough: its token logs in to the brokers), used
   * instead of the route's; absent: the route's, shared by every connection.
   */
  readonly own?: { readonly backend: PubSubBackend; readonly subscriptions: SubscriptionRoute | undefined };
}

/** A refusal whose message may go to the client as it is (it never quotes a token or a secret). */
export class AccessError extends Error {
  readonly code: string;
  /** A reason for metrics, e.g. `expired`, `bad_signature`, `subject_changed`. */
  readonly reason: string;

  constructor(code: string, reason: string, message: string) {
    super(message);
    this.name = 'AccessError';
    this.code = code;
    this.reason = reason;
  }
}

/** The access rules of one connection, made by the server when the connection opens. */
export interface ConnectionAccess {
  /** The grant the upgrade request carried; undefined when the client must authenticate in band. */
  readonly initial: Grant | undefined;
  /** How long a connection may go without a grant before it is closed with CLOSE_UNAUTHENTICATED. */
  readonly authenticateWithinMs: number;
  /**
   * Verifies a token sent with cmd_authenticate. `current` is the connection's grant, if any (a
   * refresh must keep its subject).
   * @throws AccessError with a message fit for the client.
   */
  authenticate(token: string, current: Grant | undefined): Promise<Grant>;
  /**
   * Takes one command from the identity's rate (the route's commands_per_second): undefined when
   * it may run, else the refusal its error reply gives.
   */
  admitCommand(): string | undefined;
  /** The connection has closed: give back what it held (its place among its subject's connections). */
  release(): void;
}

/** Close code of a connection whose identity is missing, refused or expired (private-use range; HTTP 401). */
export const CLOSE_UNAUTHENTICATED = 4401;
