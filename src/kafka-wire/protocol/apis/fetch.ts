import { defineMessage } from '../codec.js';
import { array, int16, int32, int64, int8, records, string, struct, uuid } from '../schema.js';

/**
 * Fetch (key 1), versions 0-18, flexible from 12. Schemas: FetchRequest.json of Kafka 3.9.2
 * (0-17) and 4.4.0 (4-18: 18 adds the per-partition HighWatermark tag; 4.x removed 0-3).
 *   tagged 0 ClusterId nullable string (12+), ReplicaId int32 (0-14),
 *   tagged 1 ReplicaState [ReplicaId int32, ReplicaEpoch int64] (15+),
 *   MaxWaitMs int32, MinBytes int32, MaxBytes int32 (3+), IsolationLevel int8 (4+),
 *   SessionId int32 (7+), SessionEpoch int32 (7+),
 *   Topics [Topic string (0-12), TopicId uuid (13+),
 *     Partitions [Partition int32, CurrentLeaderEpoch int32 (9+), FetchOffset int64,
 *       LastFetchedEpoch int32 (12+), LogStartOffset int64 (5+), PartitionMaxBytes int32,
 *       tagged 0 ReplicaDirectoryId uuid (17+), tagged 1 HighWatermark int64 (18+)]],
 *   ForgottenTopicsData [Topic string (7-12), TopicId uuid (13+), Partitions [int32]] (7+),
 *   RackId string (11+)
 */
/** From v13 a fetch names topics by TopicId (KIP-516); earlier versions by name. */
export const FETCH_TOPIC_ID_SINCE = 13;

export const FetchRequest = defineMessage('FetchRequest', '0-18', '12+', {
  clusterId: string('12+', { nullable: '12+', default: null, tag: 0 }),
  replicaId: int32('0-14', { default: -1 }),
  replicaState: struct('15+', {
    replicaId: int32('15+', { default: -1 }),
    replicaEpoch: int64('15+', { default: -1n }),
  }, { tag: 1 }),
  maxWaitMs: int32('0+'),
  minBytes: int32('0+'),
  maxBytes: int32('3+', { default: 0x7fffffff }),
  isolationLevel: int8('4+', { default: 0 }),
  sessionId: int32('7+', { default: 0 }),
  sessionEpoch: int32('7+', { default: -1 }),
  topics: array('0+', {
    topic: string('0-12'),
    topicId: uuid('13+'),
    partitions: array('0+', {
      partition: int32('0+'),
      currentLeaderEpoch: int32('9+', { default: -1 }),
      fetchOffset: int64('0+'),
      lastFetchedEpoch: int32('12+', { default: -1 }),
      logStartOffset: int64('5+', { default: -1n }),
      partitionMaxBytes: int32('0+'),
      replicaDirectoryId: uuid('17+', { tag: 0 }),
      highWatermark: int64('18+', { tag: 1, default: 9223372036854775807n }),
    }),
  }),
  forgottenTopicsData: array('7+', {
    topic: string('7-12'),
    topicId: uuid('13+'),
    partitions: array('7+', 'int32'),
  }),
  rackId: string('11+', { default: '' }),
});

/**
 * Schema: FetchResponse.json (0-17), kafka-4.1/FetchResponse.json (18: no response change).
 *   ThrottleTimeMs int32 (1+), ErrorCode int16 (7+), SessionId int32 (7+),
 *   Responses [Topic string (0-12), TopicId uuid (13+),
 *     Partitions [PartitionIndex int32, ErrorCode int16, HighWatermark int64, LastStableOffset int64 (4+),
 *       LogStartOffset int64 (5+), tagged 0 DivergingEpoch [Epoch int32, EndOffset int64] (12+),
 *       tagged 1 CurrentLeader [LeaderId int32, LeaderEpoch int32] (12+),
 *       tagged 2 SnapshotId [EndOffset int64, Epoch int32] (12+),
 *       AbortedTransactions nullable [ProducerId int64, FirstOffset int64] (4+),
 *       PreferredReadReplica int32 (11+), Records nullable records]],
 *   tagged 0 NodeEndpoints [NodeId int32, Host string, Port int32, Rack nullable string] (16+)
 * Records is left as a view of the raw bytes; records/ decodes it (the last batch may be partial).
 */
export const FetchResponse = defineMessage('FetchResponse', '0-18', '12+', {
  throttleTimeMs: int32('1+'),
  errorCode: int16('7+'),
  sessionId: int32('7+', { default: 0 }),
  responses: array('0+', {
    topic: string('0-12'),
    topicId: uuid('13+'),
    partitions: array('0+', {
      partitionIndex: int32('0+'),
      errorCode: int16('0+'),
      highWatermark: int64('0+'),
      lastStableOffset: int64('4+', { default: -1n }),
      logStartOffset: int64('5+', { default: -1n }),
      divergingEpoch: struct('12+', {
        epoch: int32('12+', { default: -1 }),
        endOffset: int64('12+', { default: -1n }),
      }, { tag: 0 }),
      currentLeader: struct('12+', {
        leaderId: int32('12+', { default: -1 }),
        leaderEpoch: int32('12+', { default: -1 }),
      }, { tag: 1 }),
      snapshotId: struct('12+', {
        endOffset: int64('0+', { default: -1n }),
        epoch: int32('0+', { default: -1 }),
      }, { tag: 2 }),
      abortedTransactions: array('4+', {
        producerId: int64('4+'),
        firstOffset: int64('4+'),
      }, { nullable: '4+' }),
      preferredReadReplica: int32('11+', { default: -1 }),
      records: records('0+', { nullable: '0+' }),
    }),
  }),
  nodeEndpoints: array('16+', {
    nodeId: int32('16+'),
    host: string('16+'),
    port: int32('16+'),
    rack: string('16+', { nullable: '16+', default: null }),
  }, { tag: 0 }),
});
