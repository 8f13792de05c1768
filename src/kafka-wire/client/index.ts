/** The cluster client: bootstrap, metadata, leader routing, ListOffsets and Fetch with retries. */
export {
  KafkaClient, EARLIEST, LATEST,
  type ClientOptions, type FetchOptions, type FetchResult, type FetchBatchesResult, type Isolation, type ListOffsetsOptions, type ListOffsetsResult,
} from './client.js';
export { InvalidTopicError, KafkaClientClosedError, NoBrokerError, RetriesExhaustedError, UnknownPartitionError, UnknownTopicError } from './errors.js';
export type { BrokerAddress, PartitionInfo, TopicInfo } from './metadata.js';
export { KafkaClientRegistry } from './registry.js';
export { isRetriable } from './retriable.js';
export { invalidTopicReason, MAX_TOPIC_NAME_LENGTH } from './topic-name.js';
