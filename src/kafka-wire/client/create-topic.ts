import { ErrorCode } from '../protocol/error-codes.js';
import { kafkaErrorOf } from '../protocol/frame.js';
import { CreateTopicsApi } from '../protocol/versions.js';
import type { KafkaClient } from './client.js';
import { InvalidTopicError } from './errors.js';
import { invalidTopicReason } from './topic-name.js';

export interface CreateTopicOptions {
  /** Partitions (default -1: the broker's num.partitions). */
  partitions?: number;
  /** Replicas per partition (default -1: the broker's default.replication.factor). */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  configs?: Readonly<Record<string, string>>;
  /** How long the controller may take (default 30 000 ms). */
  timeoutMs?: number;
}

/**
 * Creates `topic` with CreateTopics (any broker forwards it to the controller). Idempotent:
 * resolves 'exists' when Kafka answers TOPIC_ALREADY_EXISTS, whatever the existing topic's
 * settings. Retriable failures are retried with the client's policy.
 * @throws InvalidTopicError for a name Kafka would refuse, KafkaProtocolError (e.g.
 *   INVALID_REPLICATION_FACTOR, TOPIC_AUTHORIZATION_FAILED, POLICY_VIOLATION), RetriesExhaustedError
 */
export async function createTopic(client: KafkaClient, topic: string, options: CreateTopicOptions = {}): Promise<'created' | 'exists'> {
  const invalid = invalidTopicReason(topic);
  if (invalid !== undefined) throw new InvalidTopicError(topic, invalid);
  const body = {
    topics: [{
      name: topic,
      numPartitions: options.partitions ?? -1,
      replicationFactor: options.replicationFactor ?? -1,
      assignments: [],
      configs: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
    }],
    timeoutMs: options.timeoutMs ?? 30_000,
    validateOnly: false,
  };
  return client.withRetries(`create topic ${topic}`, async () => {
    const conn = await client.anyBroker();
    const version = conn.version(CreateTopicsApi);
    const res = await conn.request(CreateTopicsApi, body, { version });
    const t = res.body.topics.find((x) => x.name === topic);
    if (t === undefined || t.errorCode === ErrorCode.NONE) return 'created';
    if (t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) return 'exists';
    throw kafkaErrorOf('CreateTopics', version, t.errorCode, `topic ${topic}`, t.errorMessage);
  }, () => {});
}
