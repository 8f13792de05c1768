import { KafkaProtocolError, KafkaWireError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { kafkaErrorOf } from '../protocol/frame.js';
import { OffsetCommitApi, OffsetFetchApi } from '../protocol/versions.js';
import type { KafkaClient } from './client.js';
import { UnknownPartitionError } from './errors.js';
import {
  ActiveGroupError, GroupAuthorizationError, InvalidGroupIdError, InvalidOffsetError,
  OffsetMetadataTooLargeError, quoteGroup,
} from './group-errors.js';
import { afterRetries, GroupCoordinators, groupRetry } from './group-coordinator.js';
import { ZERO_UUID, type TopicInfo } from './metadata.js';

/** One partition's offset to commit. */
export interface OffsetToCommit {
  topic: string;
  partition: number;
  /** The next offset the group should read (Kafka's convention: the last one processed, plus 1). */
  offset: bigint;
  /**
   * The leader epoch of the last record processed, when known (default -1: none). A consumer that
   * resumes from the offset uses it to detect a log truncated under it (KIP-320).
   */
  leaderEpoch?: number;
  /** Free text kept with the offset (default none). Kafka caps it at offset.metadata.max.bytes (4096 by default). */
  metadata?: string | null;
}

/** One partition's committed offset. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1n when the group has no offset for the partition (or the group does not exist). */
  offset: bigint;
  /** -1 when none was committed. */
  leaderEpoch: number;
  /** '' when none was committed (Kafka keeps a null as ''). */
  metadata: string;
}

export interface GroupOffsetsOptions {
  /** Groups whose coordinator is kept, at most (default 10 000); the least recently used goes first. */
  maxGroups?: number;
}

export interface FetchCommittedOptions {
  /**
   * Wait out offsets a transaction has committed but not yet completed (default true): Kafka
   * answers UNSTABLE_OFFSET_COMMIT, retried like other retriable errors, instead of the older
   * offset (KIP-447; OffsetFetch v7+, older brokers ignore it).
   */
  requireStable?: boolean;
}

/** OffsetCommit and OffsetFetch v10 name topics by id instead of by name (KIP-848). */
const COMMIT_TOPIC_ID_SINCE = 10;
const FETCH_TOPIC_ID_SINCE = 10;
/** OffsetFetch v8 asks about several groups in one request (KIP-709); before, one group at the top level. */
const FETCH_GROUPS_SINCE = 8;

/** A commit from outside the group's membership: no generation or member epoch, no member id. */
const NO_GENERATION = -1;
const NO_MEMBER_ID = '';
/** The broker's own retention (offsets.retention.minutes), for v2-4, which let a client set one. */
const BROKER_RETENTION = -1n;

/** The most a Kafka string holds, in UTF-8 bytes. */
const MAX_STRING_BYTES = 32_767;
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_INT32 = 2 ** 31 - 1;

/**
 * Kafka's answers to a memberless commit into a group that has members. Both broker lines answer
 * UNKNOWN_MEMBER_ID, for classic and consumer-protocol groups alike (docs/kafka-wire.md); the
 * others are what a member's own commit gets in a group that is changing, listed so that a broker
 * answering with one of them still yields ActiveGroupError.
 */
const ACTIVE_GROUP_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.STALE_MEMBER_EPOCH, ErrorCode.REBALANCE_IN_PROGRESS,
]);

/**
 * A consumer group's committed offsets, read and written without joining the group: FindCoordinator
 * (cached per group), then OffsetCommit as a "simple" commit (generation -1, no member id) and
 * OffsetFetch. Kafka accepts such a commit only while the group has no members, so a running
 * application's offsets are never overwritten: its group answers with ActiveGroupError.
 * Retries follow the client's policy (retries, backoff); a coordinator that moved, is not
 * available or is loading is looked up again before the next attempt.
 */
export class GroupOffsets {
  readonly coordinators: GroupCoordinators;
  private readonly client: KafkaClient;

  constructor(client: KafkaClient, opts: GroupOffsetsOptions = {}) {
    this.client = client;
    this.coordinators = new GroupCoordinators(client, opts.maxGroups);
  }

  /**
   * Commits the offsets for the group, all in one request. Resolves once Kafka committed every
   * one. Kafka commits each partition on its own, so after a failure some may be committed.
   * @throws InvalidGroupIdError, InvalidOffsetError, InvalidTopicError, UnknownTopicError,
   *   UnknownPartitionError (before any commit); ActiveGroupError (the group has members),
   *   GroupAuthorizationError, OffsetMetadataTooLargeError, KafkaProtocolError (another Kafka error,
   *   e.g. TOPIC_AUTHORIZATION_FAILED), CoordinatorUnavailableError, RetriesExhaustedError,
   *   KafkaClientClosedError
   */
  async commit(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    checkGroupId(groupId);
    const seen = new Set<string>();
    for (const o of offsets) {
      checkOffset(o);
      const key = `${o.topic}\0${o.partition}`;
      if (seen.has(key)) throw new InvalidOffsetError(`${o.topic}-${o.partition} is listed twice in one commit`);
      seen.add(key);
    }
    if (offsets.length === 0) return;
    const topics = [...new Set(offsets.map((o) => o.topic))];
    await this.retrying('OffsetCommit', groupId, topics, () => this.commitOnce(groupId, topics, offsets));
  }

  /**
   * The group's committed offsets for `partitions` of `topic` (default: every partition), in the
   * order asked (default: by partition). A partition, or a whole group, without a committed
   * offset gives offset -1n.
   * @throws InvalidGroupIdError, InvalidTopicError, UnknownTopicError, UnknownPartitionError,
   *   GroupAuthorizationError, KafkaProtocolError, CoordinatorUnavailableError,
   *   RetriesExhaustedError (e.g. offsets of a transaction that stays open, under requireStable),
   *   KafkaClientClosedError
   */
  async fetch(groupId: string, topic: string, partitions?: readonly number[], opts: FetchCommittedOptions = {}): Promise<CommittedOffset[]> {
    checkGroupId(groupId);
    const asked = partitions === undefined ? undefined : [...new Set(partitions)];
    if (asked !== undefined && asked.length === 0) return [];
    return this.retrying('OffsetFetch', groupId, [topic], () => this.fetchOnce(groupId, topic, asked, opts.requireStable ?? true));
  }

  private async retrying<T>(api: string, groupId: string, topics: readonly string[], op: () => Promise<T>): Promise<T> {
    try {
      return await this.client.withRetries(`${api} group ${quoteGroup(groupId)}`, op, (e) => {
        if (groupRetry(e) === 'rediscover') this.coordinators.forget(groupId);
        // A topic Kafka does not know (UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID): look again.
        else if (e instanceof KafkaProtocolError) for (const t of topics) this.client.invalidate(t);
      });
    } catch (e) {
      throw afterRetries(groupId, e);
    }
  }

  /**
   * OffsetCommit, versions 2-10 as brokers negotiate (OffsetCommitRequest.json):
   *   GroupId string, GenerationIdOrMemberEpoch int32 (1+), MemberId string (1+),
   *   GroupInstanceId nullable string (7+), RetentionTimeMs int64 (2-4),
   *   Topics [Name string (0-9), TopicId uuid (10+),
   *     Partitions [PartitionIndex int32, CommittedOffset int64, CommittedLeaderEpoch int32 (6+),
   *       CommittedMetadata nullable string]]
   * Response: ThrottleTimeMs int32 (3+), Topics [Name (0-9), TopicId (10+), Partitions [PartitionIndex int32, ErrorCode int16]]
   */
  private async commitOnce(groupId: string, topicNames: readonly string[], offsets: readonly OffsetToCommit[]): Promise<void> {
    const infos = new Map<string, TopicInfo>();
    await Promise.all(topicNames.map(async (name) => {
      infos.set(name, await this.topicWith(name, offsets.filter((o) => o.topic === name).map((o) => o.partition)));
    }));
    const conn = await this.coordinators.connection(groupId);
    let version = conn.version(OffsetCommitApi);
    // v10 names topics by id; a broker that gave no id in Metadata gets the name-based form.
    if (version >= COMMIT_TOPIC_ID_SINCE && [...infos.values()].some((t) => t.topicId === ZERO_UUID)) version = COMMIT_TOPIC_ID_SINCE - 1;
    const byTopic = new Map<string, { name: string; topicId: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }> }>();
    for (const o of offsets) {
      let t = byTopic.get(o.topic);
      if (t === undefined) {
        t = { name: o.topic, topicId: infos.get(o.topic)!.topicId, partitions: [] };
        byTopic.set(o.topic, t);
      }
      t.partitions.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: o.metadata ?? null });
    }
    const res = await conn.request(OffsetCommitApi, {
      groupId,
      generationIdOrMemberEpoch: NO_GENERATION,
      memberId: NO_MEMBER_ID,
      groupInstanceId: null,
      retentionTimeMs: BROKER_RETENTION,
      topics: [...byTopic.values()],
    }, { version });
    const nameOf = new Map([...infos.values()].map((t) => [t.topicId, t.name]));
    const answered = new Set<string>();
    let fatal: Error | undefined;
    let retriable: Error | undefined;
    const tooLarge: Array<{ topic: string; partition: number }> = [];
    let tooLargeCause: KafkaProtocolError | undefined;
    for (const t of res.body.topics) {
      const topic = version >= COMMIT_TOPIC_ID_SINCE ? nameOf.get(t.topicId) ?? `topic id ${t.topicId}` : t.name;
      for (const p of t.partitions) {
        answered.add(`${topic}\0${p.partitionIndex}`);
        if (p.errorCode === ErrorCode.NONE) continue;
        const k = kafkaErrorOf('OffsetCommit', version, p.errorCode, `${topic}-${p.partitionIndex}`);
        if (p.errorCode === ErrorCode.OFFSET_METADATA_TOO_LARGE) {
          tooLarge.push({ topic, partition: p.partitionIndex });
          tooLargeCause ??= k;
        } else if (k.retriable) {
          retriable ??= k;
        } else {
          fatal ??= groupError(groupId, k, true);
        }
      }
    }
    if (fatal !== undefined) throw fatal;
    // Retried whole: committing the same offsets again is harmless.
    if (retriable !== undefined) throw retriable;
    if (tooLargeCause !== undefined) throw new OffsetMetadataTooLargeError(groupId, tooLarge, tooLargeCause);
    for (const o of offsets) {
      if (!answered.has(`${o.topic}\0${o.partition}`)) throw unexpected('OffsetCommit', version, groupId, `${o.topic}-${o.partition}`);
    }
  }

  /**
   * OffsetFetch, versions 1-10 as brokers negotiate (OffsetFetchRequest.json):
   *   GroupId string (0-7), Topics nullable (2-7) [Name string, PartitionIndexes [int32]] (0-7),
   *   Groups [GroupId string, MemberId nullable string (9+), MemberEpoch int32 (9+),
   *     Topics nullable [Name string (8-9), TopicId uuid (10+), PartitionIndexes [int32]]] (8+),
   *   RequireStable bool (7+)
   * Response: ThrottleTimeMs (3+), Topics [...] (0-7), ErrorCode (2-7), Groups [GroupId,
   *   Topics [Name (8-9), TopicId (10+), Partitions [PartitionIndex, CommittedOffset,
   *   CommittedLeaderEpoch (5+), Metadata, ErrorCode]], ErrorCode] (8+)
   * MemberId null and MemberEpoch -1: asked from outside the group, like Kafka's Admin client.
   */
  private async fetchOnce(groupId: string, topic: string, asked: readonly number[] | undefined, requireStable: boolean): Promise<CommittedOffset[]> {
    const info = await this.topicWith(topic, asked ?? []);
    const partitions = asked !== undefined ? [...asked] : [...info.partitions.keys()].sort((a, b) => a - b);
    const conn = await this.coordinators.connection(groupId);
    let version = conn.version(OffsetFetchApi);
    if (version >= FETCH_TOPIC_ID_SINCE && info.topicId === ZERO_UUID) version = FETCH_TOPIC_ID_SINCE - 1;
    const res = await conn.request(OffsetFetchApi, {
      groupId,
      topics: [{ name: topic, partitionIndexes: partitions }],
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: topic, topicId: info.topicId, partitionIndexes: partitions }] }],
      requireStable,
    }, { version });
    let errorCode: number;
    let topics: ReadonlyArray<{ name: string; topicId?: string; partitions: ReadonlyArray<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string | null; errorCode: number }> }>;
    if (version >= FETCH_GROUPS_SINCE) {
      const g = res.body.groups.find((x) => x.groupId === groupId);
      if (g === undefined) throw unexpected('OffsetFetch', version, groupId, 'the group');
      errorCode = g.errorCode;
      topics = g.topics;
    } else {
      errorCode = res.body.errorCode;
      topics = res.body.topics;
    }
    if (errorCode !== ErrorCode.NONE) throw groupError(groupId, kafkaErrorOf('OffsetFetch', version, errorCode, `group ${quoteGroup(groupId)}`), false);
    const t = topics.find((x) => (version >= FETCH_TOPIC_ID_SINCE ? x.topicId === info.topicId : x.name === topic));
    const out: CommittedOffset[] = [];
    for (const partition of partitions) {
      const p = t?.partitions.find((x) => x.partitionIndex === partition);
      if (p === undefined) throw unexpected('OffsetFetch', version, groupId, `${topic}-${partition}`);
      if (p.errorCode !== ErrorCode.NONE) throw groupError(groupId, kafkaErrorOf('OffsetFetch', version, p.errorCode, `${topic}-${partition}`), false);
      out.push({ topic, partition, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata ?? '' });
    }
    return out;
  }

  /**
   * The topic's metadata (the client's cache, its retries, its name check), with every one of
   * `partitions`. Partitions may have been added since the metadata was fetched: a miss on
   * metadata older than a second asks Kafka once more before refusing.
   * @throws InvalidTopicError, UnknownTopicError, UnknownPartitionError
   */
  private async topicWith(topic: string, partitions: readonly number[]): Promise<TopicInfo> {
    let t = await this.client.topic(topic);
    if (partitions.some((p) => !t.partitions.has(p)) && Date.now() - t.fetchedAt > 1000) {
      this.client.invalidate(topic);
      t = await this.client.topic(topic);
    }
    const missing = partitions.find((p) => !t.partitions.has(p));
    if (missing !== undefined) throw new UnknownPartitionError(topic, missing, t.partitions.size);
    return t;
  }
}

/**
 * The typed error for Kafka's answer to a group request: GroupAuthorizationError, ActiveGroupError
 * (for a commit), else the KafkaProtocolError itself.
 */
export function groupError(groupId: string, k: KafkaProtocolError, commit: boolean): Error {
  if (k.errorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED) return new GroupAuthorizationError(groupId, k);
  if (commit && ACTIVE_GROUP_ERRORS.has(k.errorCode)) return new ActiveGroupError(groupId, k);
  return k;
}

function checkGroupId(groupId: string): void {
  if (groupId === '') throw new InvalidGroupIdError(groupId, 'it is empty (Kafka would keep offsets for "" as for any group)');
  if (Buffer.byteLength(groupId, 'utf8') > MAX_STRING_BYTES) throw new InvalidGroupIdError(groupId, `it is longer than ${MAX_STRING_BYTES} bytes, the most a Kafka string holds`);
}

function checkOffset(o: OffsetToCommit): void {
  const where = `${o.topic}-${o.partition}`;
  if (typeof o.offset !== 'bigint' || o.offset < 0n || o.offset > MAX_INT64) throw new InvalidOffsetError(`${where}: offset ${String(o.offset)} is not a bigint from 0 to 2^63-1`);
  const e = o.leaderEpoch;
  if (e !== undefined && (!Number.isInteger(e) || e < -1 || e > MAX_INT32)) throw new InvalidOffsetError(`${where}: leader epoch ${String(e)} is not an integer from -1 to 2^31-1`);
}

function unexpected(api: string, version: number, groupId: string, what: string): KafkaWireError {
  return new KafkaWireError('KWIRE_ERR_UNEXPECTED_RESPONSE', `${api} v${version} response for group ${quoteGroup(groupId)} has no entry for ${what}`);
}
