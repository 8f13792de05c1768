import { defineMessage } from '../codec.js';
import { array, bool, int16, int32, int8, string, uuid } from '../schema.js';

/**
 * CreateTopics (key 19), versions 0-7, flexible from 5. Schema: CreateTopicsRequest.json (the same
 * in 3.9.2 and 4.4.0; 0-1 deprecated). The proxy creates its own routes topic with it.
 *   Topics [Name string, NumPartitions int32, ReplicationFactor int16,
 *     Assignments [PartitionIndex int32, BrokerIds [int32]], Configs [Name string, Value nullable string]],
 *   timeoutMs int32, validateOnly bool (1+)
 */
export const CreateTopicsRequest = defineMessage('CreateTopicsRequest', '0-7', '5+', {
  topics: array('0+', {
    name: string('0+'),
    numPartitions: int32('0+'),
    replicationFactor: int16('0+'),
    assignments: array('0+', {
      partitionIndex: int32('0+'),
      brokerIds: array('0+', 'int32'),
    }),
    configs: array('0+', {
      name: string('0+'),
      value: string('0+', { nullable: '0+' }),
    }),
  }),
  timeoutMs: int32('0+', { default: 60000 }),
  validateOnly: bool('1+', { default: false }),
});

/**
 * Schema: CreateTopicsResponse.json.
 *   ThrottleTimeMs int32 (2+), Topics [Name string, TopicId uuid (7+), ErrorCode int16,
 *     ErrorMessage nullable string (1+), TopicConfigErrorCode int16 (tag 0, 5+),
 *     NumPartitions int32 (5+), ReplicationFactor int16 (5+),
 *     Configs nullable [Name string, Value nullable string, ReadOnly bool, ConfigSource int8, IsSensitive bool] (5+)]
 */
export const CreateTopicsResponse = defineMessage('CreateTopicsResponse', '0-7', '5+', {
  throttleTimeMs: int32('2+'),
  topics: array('0+', {
    name: string('0+'),
    topicId: uuid('7+'),
    errorCode: int16('0+'),
    errorMessage: string('1+', { nullable: '0+' }),
    topicConfigErrorCode: int16('5+', { tag: 0 }),
    numPartitions: int32('5+', { default: -1 }),
    replicationFactor: int16('5+', { default: -1 }),
    configs: array('5+', {
      name: string('5+'),
      value: string('5+', { nullable: '5+' }),
      readOnly: bool('5+'),
      configSource: int8('5+', { default: -1 }),
      isSensitive: bool('5+'),
    }, { nullable: '5+' }),
  }),
});
