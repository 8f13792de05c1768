/*
 * The PubSub command vocabulary, defined once. Each row names a command as the code, the metrics
 * and the logs call it, and gives its PubSubReq oneof field, the PubSubResp oneof field of its
 * success reply, and, for commands that reach the message system, the APISIX wording that starts
 * its error replies. The request decoder, the reply encoders, the session's dispatch, the metric
 * labels and the Kafka operation names read this table; proto/pubsub.proto and the SDK's own
 * constants (src/client/codec.ts, which may not import this layer) are checked against it by
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
  /** Field number of the success reply in PubSubResp's `resp` oneof; absent when the command has none. */
  readonly replyField?: number;
  readonly reply?: string;
  /**
   * Commands served by the backend (Kafka): they wait for it, count against the in-flight limit and
   * are timed as Kafka operations. Their error replies read `<errorPrefix>, topic: T, partition: P, err: E`.
   */
  readonly errorPrefix?: string;
}

export const COMMANDS = {
  empty: { requestField: 31, request: 'cmd_empty' },
  ping: { requestField: 32, request: 'cmd_ping', replyField: 32, reply: 'pong_resp' },
  fetch: { requestField: 33, request: 'cmd_kafka_fetch', replyField: 33, reply: 'kafka_fetch_resp', errorPrefix: 'failed to fetch message' },
  list_offset: {
    requestField: 34, request: 'cmd_kafka_list_offset', replyField: 34, reply: 'kafka_list_offset_resp', errorPrefix: 'failed to list offset',
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** The commands the backend serves (those with an APISIX error prefix). */
export type KafkaOperation = { [K in CommandName]: (typeof COMMANDS)[K] extends { errorPrefix: string } ? K : never }[CommandName];
export const KAFKA_OPERATIONS = COMMAND_NAMES.filter((n): n is KafkaOperation => 'errorPrefix' in COMMANDS[n]);

/** A frame that does not decode as a PubSubReq; counted under this name next to the commands. */
export const INVALID = 'invalid';
/** Values of the `command` label of kwp_commands_total. */
export type CommandLabel = CommandName | typeof INVALID;
export const COMMAND_LABELS: readonly CommandLabel[] = [...COMMAND_NAMES, INVALID];

/** PubSubResp's error reply, the answer to a failed command of any kind. */
export const ERROR_REPLY = { replyField: 31, reply: 'error_resp' } as const;
