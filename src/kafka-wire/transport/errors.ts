import { KafkaWireError } from '../errors.js';
import type { OAuthBearerServerError } from './sasl/mechanism.js';

/**
 * Codes of KafkaConnectionError. Every one of them means the connection is unusable: requests in
 * flight on it fail with the same code, and the cluster client may retry on another connection.
 */
export type KafkaConnectionErrorCode =
  | 'KWIRE_ERR_CONNECTION_REFUSED'
  | 'KWIRE_ERR_DNS'
  | 'KWIRE_ERR_CONNECT_TIMEOUT'
  | 'KWIRE_ERR_REQUEST_TIMEOUT'
  | 'KWIRE_ERR_CONNECTION_CLOSED'
  | 'KWIRE_ERR_TLS_MISMATCH'
  | 'KWIRE_ERR_TLS'
  | 'KWIRE_ERR_FRAME_TOO_LARGE'
  | 'KWIRE_ERR_UNKNOWN_CORRELATION'
  | 'KWIRE_ERR_NETWORK';

/** The connection to `broker` ("host:port") failed or was closed. */
export class KafkaConnectionError extends KafkaWireError {
  declare readonly code: KafkaConnectionErrorCode;
  readonly broker: string;

  constructor(code: KafkaConnectionErrorCode, broker: string, message: string, options?: { cause?: unknown }) {
    super(code, `${broker}: ${message}`, options);
    this.name = 'KafkaConnectionError';
    this.broker = broker;
  }
}

/** The connection was closed by our side (close() called); nothing went wrong on the wire. */
export class ConnectionClosedByClientError extends KafkaWireError {
  constructor(broker: string) {
    super('KWIRE_ERR_CLIENT_CLOSED', `${broker}: connection closed by the client`);
    this.name = 'ConnectionClosedByClientError';
  }
}

export type AuthenticationErrorCode =
  | 'KWIRE_ERR_SASL_AUTH_FAILED'
  | 'KWIRE_ERR_SASL_MECHANISM'
  | 'KWIRE_ERR_SASL_PROTOCOL'
  | 'KWIRE_ERR_SASL_TOKEN';

/**
 * SASL login failed. `brokerMessage` is the broker's ErrorMessage when it sent one (Kafka
 * closes the connection right after, so this is the only place it survives). `oauth` is the
 * error an OAUTHBEARER broker sent as its challenge (`status` such as "invalid_token"). For
 * KWIRE_ERR_SASL_TOKEN, `cause` is the token provider's error. No message holds a password or
 * a token.
 */
export class AuthenticationError extends KafkaWireError {
  declare readonly code: AuthenticationErrorCode;
  readonly broker: string;
  readonly mechanism: string;
  readonly brokerMessage: string | null;
  readonly oauth: OAuthBearerServerError | null;

  constructor(code: AuthenticationErrorCode, init: {
    broker: string; mechanism: string; message: string; brokerMessage?: string | null; oauth?: OAuthBearerServerError | null; cause?: unknown;
  }) {
    super(code, `${init.broker}: SASL ${init.mechanism}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'AuthenticationError';
    this.broker = init.broker;
    this.mechanism = init.mechanism;
    this.brokerMessage = init.brokerMessage ?? null;
    this.oauth = init.oauth ?? null;
  }
}

export type OAuthTokenErrorCode =
  | 'KWIRE_ERR_OAUTH_CONFIG'
  | 'KWIRE_ERR_OAUTH_UNREACHABLE'
  | 'KWIRE_ERR_OAUTH_TIMEOUT'
  | 'KWIRE_ERR_OAUTH_REFUSED'
  | 'KWIRE_ERR_OAUTH_RESPONSE';

/**
 * A token provider could not get a token from its endpoint. `endpoint` is the token URL
 * without query or fragment. For KWIRE_ERR_OAUTH_REFUSED, `httpStatus` and the endpoint's OAuth
 * error (RFC 6749 §5.2: `oauthError` such as "invalid_client", `oauthErrorDescription`). The
 * message never holds the client secret or a token.
 */
export class OAuthTokenError extends KafkaWireError {
  declare readonly code: OAuthTokenErrorCode;
  readonly endpoint: string;
  readonly httpStatus: number | null;
  readonly oauthError: string | null;
  readonly oauthErrorDescription: string | null;

  constructor(code: OAuthTokenErrorCode, init: {
    endpoint: string; message: string; httpStatus?: number; oauthError?: string | null; oauthErrorDescription?: string | null; cause?: unknown;
  }) {
    super(code, `token endpoint ${init.endpoint}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'OAuthTokenError';
    this.endpoint = init.endpoint;
    this.httpStatus = init.httpStatus ?? null;
    this.oauthError = init.oauthError ?? null;
    this.oauthErrorDescription = init.oauthErrorDescription ?? null;
  }
}

/** The broker does not speak any version of an API that we could use. */
export class UnsupportedApiError extends KafkaWireError {
  readonly api: string;
  constructor(broker: string, api: string, detail: string) {
    super('KWIRE_ERR_API_UNSUPPORTED', `${broker}: ${api}: ${detail}`);
    this.name = 'UnsupportedApiError';
    this.api = api;
  }
}
