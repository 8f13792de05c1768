/*
 * The PubSub command vocabulary, defined once. Each row names a command as the code, the metrics
 * and the logs call it, and gives its PubSubReq oneof field, the PubSubResp oneof field of its
 * success reply, how the session serves it, and the wording that starts its error replies. The
 * request decoder, the reply encoders, the session's dispatch, the metric labels and the Kafka
 * operation names read this table; proto/pubsub.proto and the SDK's own constants
 * (src/client/commands.ts, which may not import this layer) are checked against it by
 * test/pubsub/protocol/commands.test.ts.
 *
 * Field numbers 31-34 are APISIX's (apisix/include/apisix/model/pubsub.proto) and never change;
 * commands of ours take new numbers.
 */

export interface CommandSpec {
  /** Field number in PubSubReq's `req` oneof. */
  readonly requestField: number;
  /** That field's name in proto/pubsub.proto. */
  readonly request: string;
  /** Field number of the success reply in PubSubResp's `resp` oneof; absent when success is not answered. */
  readonly replyField?: number;
  readonly reply?: string;
  /**
   * How the session serves it: `local` at once; `backend` by one backend call whose result is
   * the reply (it waits its turn, counts against the in-flight limit and is timed as a Kafka
   * operation); `subscription` by the session's subscriptions, which push after the reply;
   * `identity` by the connection's authenticator (its errors read `failed to authenticate, err: E`).
   */
  readonly kind: 'local' | 'backend' | 'subscription' | 'identity';
  /** Its error replies read `<errorPrefix>, topic: T, partition: P, err: E` (APISIX's form). */
  readonly errorPrefix?: string;
}

export const COMMANDS = {
  empty: { requestField: 31, request: 'cmd_empty', kind: 'local' },
  ping: { requestField: 32, request: 'cmd_ping', replyField: 32, reply: 'pong_resp', kind: 'local' },
  fetch: {
    requestField: 33, request: 'cmd_kafka_fetch', replyField: 33, reply: 'kafka_fetch_resp', kind: 'backend', errorPrefix: 'failed to fetch message',
  },
  list_offset: {
    requestField: 34, request: 'cmd_kafka_list_offset', replyField: 34, reply: 'kafka_list_offset_resp', kind: 'backend', errorPrefix: 'failed to list offset',
  },
  subscribe: {
    requestField: 35, request: 'cmd_subscribe', replyField: 35, reply: 'subscribe_resp', kind: 'subscription', errorPrefix: 'failed to subscribe',
  },
  unsubscribe: { requestField: 36, request: 'cmd_unsubscribe', replyField: 37, reply: 'subscription_end', kind: 'local' },
  credit: { requestField: 37, request: 'cmd_credit', kind: 'local' },
  produce: { requestField: 38, request: 'cmd_produce', replyField: 38, reply: 'produce_resp', kind: 'backend', errorPrefix: 'failed to produce message' },
  authenticate: { requestField: 39, request: 'cmd_authenticate', replyField: 39, reply: 'authenticate_resp', kind: 'identity' },
  commit_offsets: {
    requestField: 40, request: 'cmd_commit_offsets', replyField: 40, reply: 'commit_offsets_resp', kind: 'backend', errorPrefix: 'failed to commit offsets',
  },
  fetch_committed: {
    requestField: 41, request: 'cmd_fetch_committed', replyField: 41, reply: 'committed_offsets_resp', kind: 'backend', errorPrefix: 'failed to fetch committed offsets',
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** The commands served by one backend call (fetch, list offset). */
export type KafkaOperation = { [K in CommandName]: (typeof COMMANDS)[K]['kind'] extends 'backend' ? K : never }[CommandName];
export const KAFKA_OPERATIONS = COMMAND_NAMES.filter((n): n is KafkaOperation => COMMANDS[n].kind === 'backend');

/** A frame that does not decode as a PubSubReq; counted under this name next to the commands. */
export const INVALID = 'invalid';
/** Values of the `command` label of kwp_commands_total. */
export type CommandLabel = CommandName | typeof INVALID;
export const COMMAND_LABELS: readonly CommandLabel[] = [...COMMAND_NAMES, INVALID];

/** PubSubResp's error reply, the answer to a failed command of any kind. */
export const ERROR_REPLY = { replyField: 31, reply: 'error_resp' } as const;

/** PubSubResp members the proxy sends without a request (sequence 0): a subscription's records and its end. */
export const PUSHES = {
  records: { replyField: 36, reply: 'kafka_records_push' },
  end: { replyField: 37, reply: 'subscription_end' },
} as const;
