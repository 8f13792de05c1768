// The PubSub protocol (APISIX's pubsub.proto) over WebSocket: frame codec, sessions, and the Kafka
// backend. Knows kafka-wire and ws; never HTTP.
export { AccessError, CLOSE_UNAUTHENTICATED, type ConnectionAccess, type Grant } from './access.js';
export type { FetchBatch, ProduceOutcome, PubSubBackend } from './backend.js';
export { FramePool, MIN_POOLED, sharedFramePool } from './frame-pool.js';
export {
  FrameDecodeError, GroupNotAllowedError, ProduceDisabledError, ProduceTooLargeError, PubSubError, RecordTooLargeError, SubscribeError, TopicNotAllowedError,
} from './errors.js';
export { describeKafkaError, KafkaBackend, type KafkaBackendOptions, type KafkaFetchSettings } from './kafka-backend.js';
export { KafkaProduce, produceResults, type KafkaProduceOptions, type PackedOutcomes, type ProduceReport, type ProduceResults } from './kafka-produce.js';
export { IdempotencyCache, type IdempotencyOptions } from './idempotency.js';
export { KafkaStreamSource } from './kafka-stream-source.js';
export {
  COMMAND_LABELS, COMMAND_NAMES, COMMANDS, ERROR_REPLY, INVALID, KAFKA_OPERATIONS, PUSHES,
  type CommandLabel, type CommandName, type CommandSpec, type KafkaOperation,
} from './protocol/commands.js';
export { decodeRequest, type Command, type OutOfRangePolicy, type PubSubRequest, type SubscribeCommand, type SubscribeStart } from './protocol/request.js';
export { encodeAuthenticateReply, encodeErrorReply, encodeListOffsetReply, encodePongReply } from './protocol/response.js';
export { encodeFetchReply, encodeRecordChunks, type FetchedRecords, type FetchReply, type PushedRecords, type RecordChunk } from './protocol/fetch-reply.js';
export {
  encodeSubscribeReply, encodeSubscriptionEnd, END_REASONS, pushPrefixSize, writePushPrefix, type EndReason, type SubscriptionEndInfo,
} from './protocol/subscription-replies.js';
export { ReplyBudget, type BudgetMember, type ReplyBudgetOptions } from './reply-budget.js';
export { CLOSE_OVERLOADED, CLOSE_SLOW_CONSUMER, Session, SESSION_DEFAULTS, type SessionChannel, type SessionObserver, type SessionOptions } from './session.js';
export { attachSession } from './websocket.js';
export { Semaphore } from './subscribe/semaphore.js';
export { OffsetOutOfRange, type PartitionRead, type StreamSource, type TailEvents, type TailRead } from './subscribe/source.js';
export { TailHub, TailReader, type LiveStream, type TailHubOptions } from './subscribe/tail-hub.js';
export { PartitionStream, Subscription } from './subscribe/subscription.js';
export { Subscriptions, type SubscriptionRoute, type SubscriptionsOutput } from './subscribe/subscriptions.js';
