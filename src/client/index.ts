/**
 * kafka-ws-proxy/client: consume Kafka through kafka-ws-proxy (or Apache APISIX's Kafka PubSub)
 * from a browser or Node. Offsets and timestamps are exact bigints.
 */
export { connect, PubSubClient, type ClientOptions, type ReconnectOptions } from './client.js';
export type { ConsumeOptions, ConsumeStatus, FetchInfo } from './consume.js';
export {
  AuthenticationError, AuthorizationError, ClientClosedError, ConnectionError, CursorOutOfRangeError, ProtocolError, PubSubClientError, RequestTimeoutError,
  ServerError, SubscriptionEndedError,
} from './errors.js';
export type { TokenSource } from './token.js';
export type { LiveSubscription, SubscribeOptions, SubscriptionProgress } from './subscribe.js';
export type { FetchResult, Header, Message } from './message.js';
export type { ProduceAck, ProduceRecord } from './codec.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
