/** A Kafka record header. `value` is null for a null header value (absent on the wire). */
export interface Header {
  key: string;
  value: Uint8Array | null;
  /** `value` as UTF-8 text, null for a null value. */
  text(): string | null;
}

/**
 * A Kafka record as the proxy delivers it. Proto3 cannot tell a null key or value from an empty
 * one: both arrive as empty bytes. `headers` is empty from APISIX, which does not send them.
 */
export interface Message {
  /** The partition it was read from (-1 in a FetchResult decoded on its own). */
  partition: number;
  offset: bigint;
  /** Milliseconds since the epoch (CreateTime or LogAppendTime, as the topic is configured). */
  timestamp: bigint;
  key: Uint8Array;
  value: Uint8Array;
  headers: Header[];
  /** `key` as UTF-8 text (invalid sequences become U+FFFD). */
  keyText(): string;
  valueText(): string;
}

export interface FetchResult {
  messages: Message[];
  /** The partition's high watermark at fetch time; 0n from APISIX, which does not send it. */
  highWatermark: bigint;
  /** The partition's log start offset at fetch time; 0n from APISIX. */
  logStartOffset: bigint;
}

const utf8 = new TextDecoder();

// Classes rather than object literals with closures: one shared method per prototype, not one
// closure per record.
export class KafkaHeader implements Header {
  key: string;
  value: Uint8Array | null;

  constructor(key: string, value: Uint8Array | null) {
    this.key = key;
    this.value = value;
  }

  text(): string | null {
    return this.value === null ? null : utf8.decode(this.value);
  }
}

export class KafkaMessage implements Message {
  partition = -1;
  offset: bigint;
  timestamp: bigint;
  key: Uint8Array;
  value: Uint8Array;
  headers: Header[];

  constructor(offset: bigint, timestamp: bigint, key: Uint8Array, value: Uint8Array, headers: Header[]) {
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
    this.headers = headers;
  }

  keyText(): string {
    return utf8.decode(this.key);
  }

  valueText(): string {
    return utf8.decode(this.value);
  }
}
