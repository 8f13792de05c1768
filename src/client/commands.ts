/**
 * PubSubReq's oneof fields. The SDK may not import the proxy's code, so these are its own copy of
 * the command table (src/pubsub/protocol/commands.ts); test/pubsub/protocol/commands.test.ts
 * keeps the two equal.
 */
export const REQUEST_FIELDS = { empty: 31, ping: 32, fetch: 33, list_offset: 34, subscribe: 35, unsubscribe: 36, credit: 37, produce: 38, authenticate: 39, commit_offsets: 40, fetch_committed: 41 } as const;
/** PubSubResp's oneof fields: the error reply and each command's success reply. */
export const REPLY_FIELDS = { error: 31, ping: 32, fetch: 33, list_offset: 34, subscribe: 35, unsubscribe: 37, produce: 38, authenticate: 39, commit_offsets: 40, fetch_committed: 41 } as const;
/** PubSubResp's members the proxy pushes without a request (sequence 0). */
export const PUSH_FIELDS = { records: 36, end: 37 } as const;
/** How the proxy (and APISIX) starts the error reply of each command that reaches Kafka. */
export const ERROR_PREFIXES = {
  fetch: 'failed to fetch message', list_offset: 'failed to list offset', subscribe: 'failed to subscribe', produce: 'failed to produce message',
  commit_offsets: 'failed to commit offsets', fetch_committed: 'failed to fetch committed offsets',
} as const;
