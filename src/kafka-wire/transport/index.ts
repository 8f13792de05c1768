/** Connections to single brokers: sockets, TLS, framing, pipelining, version negotiation, SASL. */
export { Connection, type ConnectionOptions, type RequestOptions } from './connection.js';
export { AuthenticationError, ConnectionClosedByClientError, KafkaConnectionError, UnsupportedApiError, type AuthenticationErrorCode, type KafkaConnectionErrorCode } from './errors.js';
export { FrameReader } from './frame-reader.js';
export { responsePool } from './response-pool.js';
export type { VersionRange } from './handshake.js';
export type { SaslOptions } from './sasl-flow.js';
export { plainSession, scramSession, type SaslCredentials, type SaslMechanismName, type SaslSession } from './sasl/index.js';
export type { TlsOptions } from './socket.js';
export { CLIENT_SOFTWARE, type ClientSoftware } from './software.js';
