// The PubSub protocol (APISIX's pubsub.proto) over WebSocket: frame codec, sessions, and the Kafka
// backend. Knows kafka-wire and ws; never HTTP.
export type { FetchBatch, PubSubBackend } from './backend.js';
export { FramePool, MIN_POOLED, sharedFramePool } from './frame-pool.js';
export { FrameDecodeError, PubSubError, RecordTooLargeError, TopicNotAllowedError } from './errors.js';
export { KafkaBackend, type KafkaBackendOptions, type KafkaFetchSettings } from './kafka-backend.js';
export {
  COMMAND_LABELS, COMMAND_NAMES, COMMANDS, ERROR_REPLY, INVALID, KAFKA_OPERATIONS,
  type CommandLabel, type CommandName, type CommandSpec, type KafkaOperation,
} from './protocol/commands.js';
export { decodeRequest, type Command, type PubSubRequest } from './protocol/request.js';
export { encodeErrorReply, encodeListOffsetReply, encodePongReply } from './protocol/response.js';
export { encodeFetchReply, type FetchedRecords, type FetchReply } from './protocol/fetch-reply.js';
export { ReplyBudget, type BudgetMember, type ReplyBudgetOptions } from './reply-budget.js';
export { CLOSE_OVERLOADED, Session, SESSION_DEFAULTS, type SessionChannel, type SessionObserver, type SessionOptions } from './session.js';
export { attachSession } from './websocket.js';
