/** A bearer token as a token provider hands it out. */
export interface OAuthToken {
  /** The token (RFC 6750 b64token: A-Z a-z 0-9 - . _ ~ + / then optional =); a JWT for Kafka's validators. */
  value: string;
  /** When the token stops being valid, in ms since the epoch, when known. */
  expiresAtMs?: number;
}

/** Why the token is asked for, for providers that log or count. */
export interface OAuthTokenRequest {
  /** "host:port" of the broker being logged in to. */
  broker: string;
  /** True for a KIP-368 re-authentication of an open connection, false for a new connection. */
  reauthentication: boolean;
}

/**
 * Hands out a token for one login. Called for every new connection and every KIP-368
 * re-authentication, concurrently from several connections: caching, refreshing and sharing one
 * request between callers is the provider's business. Reject with an Error whose message holds
 * no secret; it becomes the `cause` of an AuthenticationError (KWIRE_ERR_SASL_TOKEN).
 */
export type OAuthTokenProvider = (request: OAuthTokenRequest) => Promise<OAuthToken>;

/**
 * A provider that always hands out the same token. Once the token expires, logins and
 * re-authentications fail (KWIRE_ERR_SASL_AUTH_FAILED), and so do connections with a session
 * lifetime: give a provider that can renew it instead.
 */
export function staticTokenProvider(value: string, expiresAtMs?: number): OAuthTokenProvider {
  const token: OAuthToken = expiresAtMs === undefined ? { value } : { value, expiresAtMs };
  return () => Promise.resolve(token);
}
