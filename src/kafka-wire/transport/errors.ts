import { KafkaWireError } from '../errors.js';

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
  | 'KWIRE_ERR_SASL_PROTOCOL';

/**
 * SASL login failed. `brokerMessage` is the broker's ErrorMessage when it sent one (Kafka
 * closes the connection right after, so this is the only place it survives).
 */
export class AuthenticationError extends KafkaWireError {
  declare readonly code: AuthenticationErrorCode;
  readonly broker: string;
  readonly mechanism: string;
  readonly brokerMessage: string | null;

  constructor(code: AuthenticationErrorCode, init: { broker: string; mechanism: string; message: string; brokerMessage?: string | null }) {
    super(code, `${init.broker}: SASL ${init.mechanism}: ${init.message}`);
    this.name = 'AuthenticationError';
    this.broker = init.broker;
    this.mechanism = init.mechanism;
    this.brokerMessage = init.brokerMessage ?? null;
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
