import type { OAuthTokenProvider } from '../oauth/token.js';

/**
 * One SASL login: the client's first token, then one answer per server challenge until the
 * mechanism is satisfied. `respond` throws SaslProtocolFailure when the server's token is wrong
 * (bad nonce, too few iterations, a server signature that does not verify).
 */
export interface SaslSession {
  initial(): Buffer;
  /** The next client token, or null when the exchange is complete and verified. */
  respond(serverToken: Buffer): Buffer | null;
  /**
   * What the server said before it refused the login, for mechanisms whose refusal comes as a
   * challenge first (OAUTHBEARER's error JSON, RFC 7628 §3.2.2); null when it said nothing.
   */
  serverError?(): OAuthBearerServerError | null;
}

/** Mechanisms that log in with a user name and a password. */
export type PasswordMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export type SaslMechanismName = PasswordMechanismName | 'OAUTHBEARER';

export interface PasswordCredentials {
  mechanism: PasswordMechanismName;
  username: string;
  password: string;
}

/** SASL/OAUTHBEARER (KIP-255, RFC 7628) with a bearer token. */
export interface OAuthBearerCredentials {
  mechanism: 'OAUTHBEARER';
  /**
   * The token itself, or a provider asked for one at every login and every KIP-368
   * re-authentication, so a long-lived connection moves on to fresh tokens.
   */
  token: string | OAuthTokenProvider;
  /**
   * SASL extensions (KIP-342), sent with every login: names of ASCII letters only ("auth" is
   * reserved), values of printable ASCII, space, tab, CR or LF, at least one character.
   */
  extensions?: Readonly<Record<string, string>>;
}

export type SaslCredentials = PasswordCredentials | OAuthBearerCredentials;

/**
 * The error a server sends as an OAUTHBEARER challenge (RFC 7628 §3.2.2): `status` is an OAuth
 * error code such as "invalid_token" (RFC 6750 §3.1). Null fields were absent or unreadable.
 */
export interface OAuthBearerServerError {
  status: string | null;
  scope: string | null;
  openidConfiguration: string | null;
}

/** Thrown by a SaslSession; the connection turns it into an AuthenticationError. */
export class SaslProtocolFailure extends Error {}

/**
 * Thrown before anything is sent, when our own credentials cannot be put on the wire (a token
 * or extension with characters the mechanism forbids). Never quotes the credential.
 */
export class SaslCredentialsFailure extends Error {}
