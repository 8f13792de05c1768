import { KafkaWireError } from '../errors.js';

/** Metadata says the topic does not exist (we never auto-create topics). */
export class UnknownTopicError extends KafkaWireError {
  readonly topic: string;
  /** True when the topic existed a moment ago (deleted or being re-created): worth a retry. */
  readonly retriable: boolean;
  constructor(topic: string, retriable = false) {
    super('KWIRE_ERR_UNKNOWN_TOPIC', `topic "${topic}" does not exist`);
    this.name = 'UnknownTopicError';
    this.topic = topic;
    this.retriable = retriable;
  }
}

/** A topic name Kafka would refuse; refused before any request. `topic` is the whole name, the message quotes at most 64 characters of it. */
export class InvalidTopicError extends KafkaWireError {
  readonly topic: string;
  readonly reason: string;
  constructor(topic: string, reason: string) {
    const quoted = topic.length <= 64 ? JSON.stringify(topic) : `${JSON.stringify(topic.slice(0, 64))}...`;
    super('KWIRE_ERR_INVALID_TOPIC', `topic name ${quoted} is invalid: ${reason}`);
    this.name = 'InvalidTopicError';
    this.topic = topic;
    this.reason = reason;
  }
}

/** The topic exists but has no such partition. */
export class UnknownPartitionError extends KafkaWireError {
  readonly topic: string;
  readonly partition: number;
  constructor(topic: string, partition: number, count: number) {
    super('KWIRE_ERR_UNKNOWN_PARTITION', `topic "${topic}" has no partition ${partition} (it has ${count})`);
    this.name = 'UnknownPartitionError';
    this.topic = topic;
    this.partition = partition;
  }
}

/** No bootstrap broker could be reached; `causes` has one error per broker tried. */
export class NoBrokerError extends KafkaWireError {
  readonly causes: readonly Error[];
  constructor(causes: Error[]) {
    super('KWIRE_ERR_NO_BROKER', `no broker reachable: ${causes.map((c) => c.message).join('; ')}`, { cause: causes[causes.length - 1] });
    this.name = 'NoBrokerError';
    this.causes = causes;
  }
}

/** A retriable failure kept happening; `cause` is the last one. */
export class RetriesExhaustedError extends KafkaWireError {
  readonly attempts: number;
  constructor(operation: string, attempts: number, cause: Error) {
    super('KWIRE_ERR_RETRIES_EXHAUSTED', `${operation} failed after ${attempts} attempts: ${cause.message}`, { cause });
    this.name = 'RetriesExhaustedError';
    this.attempts = attempts;
  }
}

/** The client was closed; operations still running or started later fail with this. */
export class KafkaClientClosedError extends KafkaWireError {
  constructor() {
    super('KWIRE_ERR_CLIENT_CLOSED', 'the Kafka client is closed');
    this.name = 'KafkaClientClosedError';
  }
}

/**
 * Why records given to a Producer were not acknowledged; one per failed record, never thrown.
 * `errorName` is Kafka's name for the failure (Errors.java: `MESSAGE_TOO_LARGE`,
 * `UNKNOWN_TOPIC_OR_PARTITION`, `REQUEST_TIMED_OUT`, ...), also for the failures the producer
 * finds itself, named as the Java producer's exception maps to Kafka's errors. `maybeWritten`:
 * an attempt's outcome stayed unknown, so the records may be in the topic even so.
 *
 * Codes: KWIRE_ERR_PRODUCE (Kafka refused them, or the topic or partition does not exist),
 * KWIRE_ERR_PRODUCE_TIMEOUT (not acknowledged within the delivery timeout),
 * KWIRE_ERR_RECORD_TOO_LARGE (larger than one request may be; never sent),
 * KWIRE_ERR_PRODUCER_CLOSED (the producer was closed first).
 */
export class ProduceError extends KafkaWireError {
  readonly topic: string;
  /** -1 when no partition was chosen (unknown topic, a partition out of range). */
  readonly partition: number;
  readonly errorName: string;
  /** Whether sending the records again may succeed (the condition may pass). */
  readonly retriable: boolean;
  readonly maybeWritten: boolean;
  constructor(init: { code: string; topic: string; partition: number; errorName: string; retriable: boolean; maybeWritten: boolean; message: string; cause?: Error | undefined }) {
    super(init.code, `${init.topic}-${init.partition}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProduceError';
    this.topic = init.topic;
    this.partition = init.partition;
    this.errorName = init.errorName;
    this.retriable = init.retriable;
    this.maybeWritten = init.maybeWritten;
  }
}
