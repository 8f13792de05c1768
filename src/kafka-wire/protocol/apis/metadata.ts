import { defineMessage } from '../codec.js';
import { array, bool, int16, int32, string, uuid } from '../schema.js';

/**
 * Metadata (key 3), versions 0-13, flexible from 9. Schemas: MetadataRequest.json of Kafka
 * 3.9.2 (0-12) and 4.4.0 (0-13; 13: no request change).
 *   Topics [TopicId uuid (10+), Name string (nullable 10+)] (nullable 1+: null = all topics),
 *   AllowAutoTopicCreation bool (4+, default true), IncludeClusterAuthorizedOperations bool (8-10),
 *   IncludeTopicAuthorizedOperations bool (8+)
 */
export const MetadataRequest = defineMessage('MetadataRequest', '0-13', '9+', {
  topics: array('0+', {
    topicId: uuid('10+'),
    name: string('0+', { nullable: '10+' }),
  }, { nullable: '1+' }),
  allowAutoTopicCreation: bool('4+', { default: true }),
  includeClusterAuthorizedOperations: bool('8-10'),
  includeTopicAuthorizedOperations: bool('8+'),
});

/**
 * Schema: MetadataResponse.json; v13 adds the top-level ErrorCode (kafka-4.1, KIP-1102).
 *   ThrottleTimeMs int32 (3+), Brokers [NodeId int32, Host string, Port int32, Rack nullable string (1+)],
 *   ClusterId nullable string (2+), ControllerId int32 (1+),
 *   Topics [ErrorCode int16, Name string (nullable 12+), TopicId uuid (10+), IsInternal bool (1+),
 *     Partitions [ErrorCode int16, PartitionIndex int32, LeaderId int32, LeaderEpoch int32 (7+),
 *       ReplicaNodes [int32], IsrNodes [int32], OfflineReplicas [int32] (5+)],
 *     TopicAuthorizedOperations int32 (8+)],
 *   ClusterAuthorizedOperations int32 (8-10), ErrorCode int16 (13+)
 */
export const MetadataResponse = defineMessage('MetadataResponse', '0-13', '9+', {
  throttleTimeMs: int32('3+'),
  brokers: array('0+', {
    nodeId: int32('0+'),
    host: string('0+'),
    port: int32('0+'),
    rack: string('1+', { nullable: '1+', default: null }),
  }),
  clusterId: string('2+', { nullable: '2+', default: null }),
  controllerId: int32('1+', { default: -1 }),
  topics: array('0+', {
    errorCode: int16('0+'),
    name: string('0+', { nullable: '12+' }),
    topicId: uuid('10+'),
    isInternal: bool('1+', { default: false }),
    partitions: array('0+', {
      errorCode: int16('0+'),
      partitionIndex: int32('0+'),
      leaderId: int32('0+'),
      leaderEpoch: int32('7+', { default: -1 }),
      replicaNodes: array('0+', 'int32'),
      isrNodes: array('0+', 'int32'),
      offlineReplicas: array('5+', 'int32'),
    }),
    topicAuthorizedOperations: int32('8+', { default: -2147483648 }),
  }),
  clusterAuthorizedOperations: int32('8-10', { default: -2147483648 }),
  errorCode: int16('13+'),
});
