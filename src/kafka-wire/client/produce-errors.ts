/**
 * The ProduceErrors a Producer gives records, one function per kind of failure, each naming the
 * failure as Kafka's Errors.java does (the Java producer's exception mapped to its error).
 */
import { KafkaProtocolError, KafkaWireError } from '../errors.js';
import { AuthenticationError, KafkaConnectionError } from '../transport/index.js';
import { ProduceError, RetriesExhaustedError, UnknownPartitionError, UnknownTopicError } from './errors.js';
import type { ProducerBatch } from './producer-batch.js';
import { isRetriable } from './retriable.js';

export function closedError(topic: string, partition: number, maybeWritten: boolean, cause?: Error): ProduceError {
  return new ProduceError({
    code: 'KWIRE_ERR_PRODUCER_CLOSED', topic, partition, errorName: 'UNKNOWN_SERVER_ERROR', retriable: false, maybeWritten,
    message: 'the producer was closed before the records were acknowledged', cause,
  });
}

export function timeoutError(b: ProducerBatch, deliveryTimeoutMs: number): ProduceError {
  return new ProduceError({
    code: 'KWIRE_ERR_PRODUCE_TIMEOUT', topic: b.topic, partition: b.partition, errorName: 'REQUEST_TIMED_OUT', retriable: true, maybeWritten: b.maybeWritten,
    message: `not acknowledged within the delivery timeout (${deliveryTimeoutMs} ms)${b.lastError === undefined ? '' : `; last failure: ${b.lastError.message}`}`,
    cause: b.lastError,
  });
}

export function kafkaProduceError(b: ProducerBatch, err: KafkaProtocolError, detail?: string): ProduceError {
  return new ProduceError({
    code: 'KWIRE_ERR_PRODUCE', topic: b.topic, partition: b.partition, errorName: err.errorName, retriable: err.retriable, maybeWritten: b.maybeWritten,
    message: detail === undefined ? err.message : `${err.message}: ${detail}`, cause: err,
  });
}

/** A failure of the request as a whole that retrying will not cure (TLS, SASL, an unsupported version, an encoding error). */
export function requestError(b: ProducerBatch, e: Error): ProduceError {
  const name = e instanceof KafkaProtocolError ? e.errorName
    : e instanceof AuthenticationError ? 'SASL_AUTHENTICATION_FAILED'
    : e instanceof KafkaWireError && e.code === 'KWIRE_ERR_API_UNSUPPORTED' ? 'UNSUPPORTED_VERSION'
    : 'NETWORK_EXCEPTION';
  return new ProduceError({
    code: 'KWIRE_ERR_PRODUCE', topic: b.topic, partition: b.partition, errorName: name,
    retriable: e instanceof KafkaProtocolError ? e.retriable : false, maybeWritten: b.maybeWritten, message: e.message, cause: e,
  });
}

/** The topic or partition could not be looked up. */
export function metadataError(topic: string, partition: number, e: Error, maybeWritten = false): ProduceError {
  const last = e instanceof RetriesExhaustedError && e.cause instanceof Error ? e.cause : e;
  const name = last instanceof UnknownTopicError || last instanceof UnknownPartitionError ? 'UNKNOWN_TOPIC_OR_PARTITION'
    : last instanceof KafkaWireError && last.code === 'KWIRE_ERR_INVALID_TOPIC' ? 'INVALID_TOPIC_EXCEPTION'
    : last instanceof KafkaProtocolError ? last.errorName
    : last instanceof KafkaConnectionError || last instanceof KafkaWireError && last.code === 'KWIRE_ERR_NO_BROKER' ? 'NETWORK_EXCEPTION'
    : 'UNKNOWN_SERVER_ERROR';
  return new ProduceError({
    code: 'KWIRE_ERR_PRODUCE', topic, partition, errorName: name, retriable: isRetriable(e) || e instanceof RetriesExhaustedError, maybeWritten,
    message: e.message, cause: e,
  });
}
