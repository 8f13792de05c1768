/**
 * Errors of the pubsub layer (`PUBSUB_ERR_*`, listed in docs/errors.md). Most failures in a
 * session become an ErrorResp to the client instead of a thrown error; these classes name the
 * cases a caller may want to match on.
 */
export class PubSubError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PubSubError';
    this.code = code;
  }
}

/**
 * A binary WebSocket frame that is not a valid protobuf PubSubReq. `offset` is where decoding
 * stopped. It carries no stack trace: it describes a client's bytes, not our code, and a flood of
 * malformed frames made capturing one per frame a visible share of the proxy's CPU
 * (BENCHMARKS.md, "Isolation").
 */
export class FrameDecodeError extends PubSubError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super('PUBSUB_ERR_DECODE', `${message} at byte ${offset}`);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = 'FrameDecodeError';
    this.offset = offset;
  }
}

/** One record is larger than the route's max frame size, so no reply can carry it. */
export class RecordTooLargeError extends PubSubError {
  readonly offset: bigint;
  readonly bytes: number;
  readonly maxFrameBytes: number;
  constructor(offset: bigint, bytes: number, maxFrameBytes: number) {
    super('PUBSUB_ERR_RECORD_TOO_LARGE', `record at offset ${offset} needs ${bytes} bytes, more than the route's max_frame_bytes ${maxFrameBytes}`);
    this.name = 'RecordTooLargeError';
    this.offset = offset;
    this.bytes = bytes;
    this.maxFrameBytes = maxFrameBytes;
  }
}

/** The route's topic allow-list does not include the topic. */
export class TopicNotAllowedError extends PubSubError {
  readonly topic: string;
  constructor(topic: string) {
    super('PUBSUB_ERR_TOPIC_NOT_ALLOWED', `topic "${topic}" is not allowed on this route`);
    this.name = 'TopicNotAllowedError';
    this.topic = topic;
  }
}

/** The route's `groups` (absent: none) do not include the consumer group. */
export class GroupNotAllowedError extends PubSubError {
  readonly group: string;
  constructor(group: string) {
    super('PUBSUB_ERR_GROUP_NOT_ALLOWED', 'consumer group is not allowed on this route');
    this.name = 'GroupNotAllowedError';
    this.group = group;
  }
}

/** A subscribe the proxy refuses: `partition` is the one at fault, -1 for the whole command. */
export class SubscribeError extends PubSubError {
  readonly partition: number;
  constructor(partition: number, message: string) {
    super('PUBSUB_ERR_SUBSCRIBE', message);
    this.name = 'SubscribeError';
    this.partition = partition;
  }
}

/** A produce on a route where writing is not enabled (plugins.kafka-proxy.produce). */
export class ProduceDisabledError extends PubSubError {
  constructor() {
    super('PUBSUB_ERR_PRODUCE_DISABLED', 'produce is not enabled on this route');
    this.name = 'ProduceDisabledError';
  }
}

/** A produce command larger than the connection may hold at once (the server's max_produce_bytes). */
export class ProduceTooLargeError extends PubSubError {
  readonly bytes: number;
  readonly maxProduceBytes: number;
  constructor(bytes: number, maxProduceBytes: number) {
    super('PUBSUB_ERR_PRODUCE_TOO_LARGE', `command too large: ${bytes} bytes, more than max_produce_bytes ${maxProduceBytes}`);
    this.name = 'ProduceTooLargeError';
    this.bytes = bytes;
    this.maxProduceBytes = maxProduceBytes;
  }
}
