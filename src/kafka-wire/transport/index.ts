/** Connections to single brokers: sockets, TLS, framing, pipelining, version negotiation, SASL. */
export { Connection, type ConnectionOptions, type RequestOptions } from './connection.js';
export {
  AuthenticationError, ConnectionClosedByClientError, KafkaConnectionError, OAuthTokenError, UnsupportedApiError, type AuthenticationErrorCode,
  type KafkaConnectionErrorCode, type OAuthTokenErrorCode,
} from './errors.js';
export { FrameReader } from './frame-reader.js';
export { responsePool } from './response-pool.js';
export type { VersionRange } from './handshake.js';
export {
  clientCredentialsTokenProvider, staticTokenProvider, type ClientCredentialsOptions, type OAuthToken, type OAuthTokenProvider, type OAuthTokenRequest,
} from './oauth/index.js';
export type { SaslOptions } from './sasl-flow.js';
export {
  oauthBearerInitialResponse, oauthBearerSession, parseOAuthBearerChallenge, plainSession, scramSession, type OAuthBearerCredentials,
  type OAuthBearerServerError, type PasswordCredentials, type PasswordMechanismName, type SaslCredentials, type SaslMechanismName, type SaslSession,
} from './sasl/index.js';
export type { TlsOptions } from './socket.js';
export { CLIENT_SOFTWARE, type ClientSoftware } from './software.js';
