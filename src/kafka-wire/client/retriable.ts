import { KafkaProtocolError } from '../errors.js';
import { KafkaConnectionError } from '../transport/index.js';
import { NoBrokerError, UnknownTopicError } from './errors.js';

/** Connection failures a new connection may cure; TLS, size and protocol mismatches will not. */
const RETRIABLE_CONNECTION = new Set<string>([
  'KWIRE_ERR_CONNECTION_REFUSED', 'KWIRE_ERR_DNS', 'KWIRE_ERR_CONNECT_TIMEOUT', 'KWIRE_ERR_REQUEST_TIMEOUT',
  'KWIRE_ERR_CONNECTION_CLOSED', 'KWIRE_ERR_UNKNOWN_CORRELATION', 'KWIRE_ERR_NETWORK',
]);

/**
 * Whether fresh metadata and another attempt may succeed: leadership moved, a broker went away,
 * a topic was just re-created. Kafka's own retriable flag decides for error codes, so
 * OFFSET_OUT_OF_RANGE and authorization errors fail at once.
 */
export function isRetriable(e: unknown): boolean {
  if (e instanceof KafkaConnectionError) return RETRIABLE_CONNECTION.has(e.code);
  // No broker reachable is worth another try unless every broker refused us for good (a wrong
  // password, an untrusted certificate): retrying those only delays the error.
  if (e instanceof NoBrokerError) return e.causes.some(isRetriable);
  if (e instanceof UnknownTopicError) return e.retriable;
  if (e instanceof KafkaProtocolError) return e.retriable;
  return false;
}
