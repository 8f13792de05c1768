/** The cluster client: bootstrap, metadata, leader routing, ListOffsets and Fetch with retries; a group's committed offsets. */
export {
  KafkaClient, EARLIEST, LATEST,
  type ClientOptions, type FetchOptions, type PartitionProduceOutcome, type PartitionProduceRequest, type ProduceToOptions, type ProduceToResult, type MultiFetchResult, type PartitionFetchOutcome, type PartitionFetchRequest, type FetchResult, type FetchBatchesResult, type Isolation, type ListOffsetsOptions, type ListOffsetsResult,
} from './client.js';
export { InvalidTopicError, KafkaClientClosedError, NoBrokerError, ProduceError, RetriesExhaustedError, UnknownPartitionError, UnknownTopicError } from './errors.js';
export type { BrokerAddress, PartitionInfo, TopicInfo } from './metadata.js';
export { KafkaClientRegistry } from './registry.js';
export { isRetriable } from './retriable.js';
export { invalidTopicReason, MAX_TOPIC_NAME_LENGTH } from './topic-name.js';
export { TailFetcher, type TailFetcherOptions, type TailHandle, type TailListener } from './tail-fetcher.js';
export {
  GroupOffsets, type CommittedOffset, type FetchCommittedOptions, type GroupOffsetsOptions, type OffsetToCommit,
} from './group-offsets.js';
export { createTopic, type CreateTopicOptions } from './create-topic.js';
export type { GroupCoordinators } from './group-coordinator.js';
export {
  ActiveGroupError, CoordinatorUnavailableError, GroupAuthorizationError, InvalidGroupIdError, InvalidOffsetError, OffsetMetadataTooLargeError,
} from './group-errors.js';
export { Producer, MAX_REQUESTS_PER_BROKER, type ProducerTransport } from './producer.js';
export type { CompressionName, ProducerOptions, SendOptions } from './producer-options.js';
export type { Acks, RecordResult } from './producer-batch.js';
export { murmur2, partitionForKey, toPositive, StickyPartitioner } from './partitioner.js';
export { MAX_EPOCH, MAX_UNRESOLVED, incrementSequence, type ProducerIdentity } from './sequences.js';
