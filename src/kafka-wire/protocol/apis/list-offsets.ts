import { defineMessage } from '../codec.js';
import { array, int16, int32, int64, int8, string } from '../schema.js';

/**
 * ListOffsets (key 2), versions 0-11, flexible from 6. Schema: ListOffsetsRequest.json
 * (4.x removed v0, KIP-896; we still speak it to older brokers). v11 (Kafka 4.2, KIP-1023) only
 * allows the timestamp sentinel -6, earliest pending upload; its fields are those of v10 (4.4.0's
 * ListOffsetsRequest.json), and the 4.4 Java client sends it.
 *   ReplicaId int32, IsolationLevel int8 (2+),
 *   Topics [Name string, Partitions [PartitionIndex int32, CurrentLeaderEpoch int32 (4+),
 *     Timestamp int64, MaxNumOffsets int32 (0 only)]],
 *   TimeoutMs int32 (10+; KIP-1075)
 * Timestamp sentinels: -1 latest, -2 earliest, -3 max timestamp (7+), -4 earliest local (8+),
 * -5 latest tiered (9+), -6 earliest pending upload (11+).
 */
export const ListOffsetsRequest = defineMessage('ListOffsetsRequest', '0-11', '6+', {
  replicaId: int32('0+'),
  isolationLevel: int8('2+'),
  topics: array('0+', {
    name: string('0+'),
    partitions: array('0+', {
      partitionIndex: int32('0+'),
      currentLeaderEpoch: int32('4+', { default: -1 }),
      timestamp: int64('0+'),
      maxNumOffsets: int32('0', { default: 1 }),
    }),
  }),
  timeoutMs: int32('10+'),
});

/**
 * Schema: ListOffsetsResponse.json (v11 as v10).
 *   ThrottleTimeMs int32 (2+),
 *   Topics [Name string, Partitions [PartitionIndex int32, ErrorCode int16, OldStyleOffsets [int64] (0 only),
 *     Timestamp int64 (1+), Offset int64 (1+), LeaderEpoch int32 (4+)]]
 */
export const ListOffsetsResponse = defineMessage('ListOffsetsResponse', '0-11', '6+', {
  throttleTimeMs: int32('2+'),
  topics: array('0+', {
    name: string('0+'),
    partitions: array('0+', {
      partitionIndex: int32('0+'),
      errorCode: int16('0+'),
      oldStyleOffsets: array('0', 'int64'),
      timestamp: int64('1+', { default: -1n }),
      offset: int64('1+', { default: -1n }),
      leaderEpoch: int32('4+', { default: -1 }),
    }),
  }),
});
