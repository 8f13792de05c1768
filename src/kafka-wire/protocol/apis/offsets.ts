import { defineMessage } from '../codec.js';
import { array, bool, int16, int32, int64, string, uuid } from '../schema.js';

/*
 * Committed consumer offsets, as GroupOffsets (client/group-offsets.ts) commits and reads them
 * and as recorded client traffic carries them. Schemas: OffsetCommit*.json and OffsetFetch*.json of Kafka 3.9.2
 * (0-9) and 4.4.0 (v10: topic ids instead of names, KIP-848; 4.x removed OffsetCommit 0-1 and
 * OffsetFetch 0, KIP-896).
 */

/**
 * OffsetCommit (key 8), versions 0-10, flexible from 8.
 *   GroupId string, GenerationIdOrMemberEpoch int32 (1+), MemberId string (1+),
 *   GroupInstanceId nullable string (7+), RetentionTimeMs int64 (2-4),
 *   Topics [Name string (0-9), TopicId uuid (10+),
 *     Partitions [PartitionIndex int32, CommittedOffset int64, CommittedLeaderEpoch int32 (6+),
 *       CommitTimestamp int64 (1 only), CommittedMetadata nullable string]]
 */
export const OffsetCommitRequest = defineMessage('OffsetCommitRequest', '0-10', '8+', {
  groupId: string('0+'),
  generationIdOrMemberEpoch: int32('1+', { default: -1 }),
  memberId: string('1+'),
  groupInstanceId: string('7+', { nullable: '7+', default: null }),
  retentionTimeMs: int64('2-4', { default: -1n }),
  topics: array('0+', {
    name: string('0-9'),
    topicId: uuid('10+'),
    partitions: array('0+', {
      partitionIndex: int32('0+'),
      committedOffset: int64('0+'),
      committedLeaderEpoch: int32('6+', { default: -1 }),
      commitTimestamp: int64('1', { default: -1n }),
      committedMetadata: string('0+', { nullable: '0+' }),
    }),
  }),
});

/** ThrottleTimeMs int32 (3+), Topics [Name string (0-9), TopicId uuid (10+), Partitions [PartitionIndex int32, ErrorCode int16]] */
export const OffsetCommitResponse = defineMessage('OffsetCommitResponse', '0-10', '8+', {
  throttleTimeMs: int32('3+'),
  topics: array('0+', {
    name: string('0-9'),
    topicId: uuid('10+'),
    partitions: array('0+', {
      partitionIndex: int32('0+'),
      errorCode: int16('0+'),
    }),
  }),
});

/**
 * OffsetFetch (key 9), versions 0-10, flexible from 6; v8 asks for several groups (KIP-709).
 *   GroupId string (0-7), Topics nullable (2-7) [Name string, PartitionIndexes [int32]] (0-7),
 *   Groups [GroupId string, MemberId nullable string (9+), MemberEpoch int32 (9+),
 *     Topics nullable [Name string (8-9), TopicId uuid (10+), PartitionIndexes [int32]]] (8+),
 *   RequireStable bool (7+)
 */
export const OffsetFetchRequest = defineMessage('OffsetFetchRequest', '0-10', '6+', {
  groupId: string('0-7'),
  topics: array('0-7', {
    name: string('0-7'),
    partitionIndexes: array('0-7', 'int32'),
  }, { nullable: '2-7' }),
  groups: array('8+', {
    groupId: string('8+'),
    memberId: string('9+', { nullable: '9+', default: null }),
    memberEpoch: int32('9+', { default: -1 }),
    topics: array('8+', {
      name: string('8-9'),
      topicId: uuid('10+'),
      partitionIndexes: array('8+', 'int32'),
    }, { nullable: '8+' }),
  }),
  requireStable: bool('7+', { default: false }),
});

/**
 *   ThrottleTimeMs int32 (3+),
 *   Topics [Name string, Partitions [PartitionIndex int32, CommittedOffset int64,
 *     CommittedLeaderEpoch int32 (5-7), Metadata nullable string, ErrorCode int16]] (0-7),
 *   ErrorCode int16 (2-7),
 *   Groups [GroupId string, Topics [Name string (8-9), TopicId uuid (10+), Partitions [PartitionIndex int32,
 *     CommittedOffset int64, CommittedLeaderEpoch int32, Metadata nullable string, ErrorCode int16]],
 *     ErrorCode int16] (8+)
 */
export const OffsetFetchResponse = defineMessage('OffsetFetchResponse', '0-10', '6+', {
  throttleTimeMs: int32('3+'),
  topics: array('0-7', {
    name: string('0-7'),
    partitions: array('0-7', {
      partitionIndex: int32('0-7'),
      committedOffset: int64('0-7'),
      committedLeaderEpoch: int32('5-7', { default: -1 }),
      metadata: string('0-7', { nullable: '0-7' }),
      errorCode: int16('0-7'),
    }),
  }),
  errorCode: int16('2-7', { default: 0 }),
  groups: array('8+', {
    groupId: string('8+'),
    topics: array('8+', {
      name: string('8-9'),
      topicId: uuid('10+'),
      partitions: array('8+', {
        partitionIndex: int32('8+'),
        committedOffset: int64('8+'),
        committedLeaderEpoch: int32('8+', { default: -1 }),
        metadata: string('8+', { nullable: '8+' }),
        errorCode: int16('8+'),
      }),
    }),
    errorCode: int16('8+', { default: 0 }),
  }),
});
