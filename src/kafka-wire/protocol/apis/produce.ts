import { defineMessage } from '../codec.js';
import { array, int16, int32, int64, records, string, struct, uuid } from '../schema.js';

/**
 * Produce (key 0), versions 0-13, flexible from 9. Schemas: ProduceRequest.json of Kafka 3.9.2
 * (0-11) and 4.4.0 (3-13; 13 replaces the topic name by its id). 4.x brokers reject
 * v0-2 although they advertise them (KAFKA-18659), so the client never sends below v3.
 *   TransactionalId nullable string (3+), Acks int16, TimeoutMs int32,
 *   TopicData [Name string (0-12), TopicId uuid (13+), PartitionData [Index int32, Records nullable records]]
 */
/** Produce names topics by id from v13 (KIP-516), by name before. */
export const PRODUCE_TOPIC_ID_SINCE = 13;

export const ProduceRequest = defineMessage('ProduceRequest', '0-13', '9+', {
  transactionalId: string('3+', { nullable: '3+', default: null }),
  acks: int16('0+'),
  timeoutMs: int32('0+'),
  topicData: array('0+', {
    name: string('0-12'),
    topicId: uuid('13+'),
    partitionData: array('0+', {
      index: int32('0+'),
      records: records('0+', { nullable: '0+' }),
    }),
  }),
});

/**
 * Schema: ProduceResponse.json, kafka-4.1/ProduceResponse.json.
 *   Responses [Name string (0-12), TopicId uuid (13+),
 *     PartitionResponses [Index int32, ErrorCode int16, BaseOffset int64, LogAppendTimeMs int64 (2+),
 *       LogStartOffset int64 (5+), RecordErrors [BatchIndex int32, BatchIndexErrorMessage nullable string] (8+),
 *       ErrorMessage nullable string (8+), tagged 0 CurrentLeader [LeaderId int32, LeaderEpoch int32] (10+)]],
 *   ThrottleTimeMs int32 (1+), tagged 0 NodeEndpoints [NodeId, Host, Port, Rack] (10+)
 */
export const ProduceResponse = defineMessage('ProduceResponse', '0-13', '9+', {
  responses: array('0+', {
    name: string('0-12'),
    topicId: uuid('13+'),
    partitionResponses: array('0+', {
      index: int32('0+'),
      errorCode: int16('0+'),
      baseOffset: int64('0+'),
      logAppendTimeMs: int64('2+', { default: -1n }),
      logStartOffset: int64('5+', { default: -1n }),
      recordErrors: array('8+', {
        batchIndex: int32('8+'),
        batchIndexErrorMessage: string('8+', { nullable: '8+', default: null }),
      }),
      errorMessage: string('8+', { nullable: '8+', default: null }),
      currentLeader: struct('10+', {
        leaderId: int32('10+', { default: -1 }),
        leaderEpoch: int32('10+', { default: -1 }),
      }, { tag: 0 }),
    }),
  }),
  throttleTimeMs: int32('1+', { default: 0 }),
  nodeEndpoints: array('10+', {
    nodeId: int32('10+'),
    host: string('10+'),
    port: int32('10+'),
    rack: string('10+', { nullable: '10+', default: null }),
  }, { tag: 0 }),
});
