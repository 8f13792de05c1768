/**
 * Errors of the kafka-wire layer. Every error carries a stable string `code` that users can match
 * on (listed in docs/errors.md); messages are for humans and may change.
 */
export class KafkaWireError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaWireError';
    this.code = code;
  }
}

/** Input ended before a value was complete, or a length pointed past the end. */
export class ShortInputError extends KafkaWireError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('KWIRE_ERR_SHORT_INPUT', message);
    this.name = 'ShortInputError';
    this.offset = offset;
  }
}

/** A value that is structurally impossible: negative length, varint too long, bad magic. */
export class MalformedError extends KafkaWireError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('KWIRE_ERR_MALFORMED', message);
    this.name = 'MalformedError';
    this.offset = offset;
  }
}

/**
 * A Kafka error code in a response. `where` says which level of the response carried it
 * (e.g. "topics[0].partitions[2]" or "top level").
 */
export class KafkaProtocolError extends KafkaWireError {
  readonly api: string;
  readonly version: number;
  readonly errorCode: number;
  readonly errorName: string;
  readonly retriable: boolean;
  readonly where: string;

  constructor(init: { api: string; version: number; errorCode: number; errorName: string; retriable: boolean; where: string; detail?: string | null }) {
    super('KWIRE_ERR_KAFKA', `${init.api} v${init.version}: ${init.errorName} (${init.errorCode}) at ${init.where}${init.detail ? `: ${init.detail}` : ''}`);
    this.name = 'KafkaProtocolError';
    this.api = init.api;
    this.version = init.version;
    this.errorCode = init.errorCode;
    this.errorName = init.errorName;
    this.retriable = init.retriable;
    this.where = init.where;
  }
}
