import { KafkaWireError, type KafkaProtocolError } from '../errors.js';

/** The group id for messages: whole up to 64 characters, then cut (ids can be up to 32,767 bytes). */
export function quoteGroup(groupId: string): string {
  return groupId.length <= 64 ? JSON.stringify(groupId) : `${JSON.stringify(groupId.slice(0, 64))}...`;
}

/** Kafka takes any group id; Kafka's Java clients refuse an empty one, and so do we (see GroupOffsets). */
export class InvalidGroupIdError extends KafkaWireError {
  readonly groupId: string;
  constructor(groupId: string, reason: string) {
    super('KWIRE_ERR_INVALID_GROUP', `group id ${quoteGroup(groupId)} is invalid: ${reason}`);
    this.name = 'InvalidGroupIdError';
    this.groupId = groupId;
  }
}

/** The credentials may not read or commit this group's offsets (Kafka's GROUP_AUTHORIZATION_FAILED). */
export class GroupAuthorizationError extends KafkaWireError {
  readonly groupId: string;
  constructor(groupId: string, cause: KafkaProtocolError) {
    super('KWIRE_ERR_GROUP_AUTHORIZATION', `not authorized to use the offsets of group ${quoteGroup(groupId)} (${cause.api}: GROUP_AUTHORIZATION_FAILED)`, { cause });
    this.name = 'GroupAuthorizationError';
    this.groupId = groupId;
  }
}

/**
 * The group has members (a running application's consumers), and Kafka lets only members commit
 * into such a group: it refused our memberless commit. `cause` is Kafka's answer, UNKNOWN_MEMBER_ID
 * from 3.9 and 4.x brokers alike, for the classic and the consumer (KIP-848) protocol.
 */
export class ActiveGroupError extends KafkaWireError {
  readonly groupId: string;
  constructor(groupId: string, cause: KafkaProtocolError) {
    super('KWIRE_ERR_GROUP_ACTIVE', `group ${quoteGroup(groupId)} has active members: only they may commit its offsets (Kafka answered ${cause.errorName})`, { cause });
    this.name = 'ActiveGroupError';
    this.groupId = groupId;
  }
}

/**
 * Kafka refused the metadata of these partitions as longer than its offset.metadata.max.bytes
 * (4096 by default). Kafka commits each partition on its own: the others of the same commit were
 * committed.
 */
export class OffsetMetadataTooLargeError extends KafkaWireError {
  readonly groupId: string;
  readonly partitions: ReadonlyArray<{ topic: string; partition: number }>;
  constructor(groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>, cause: KafkaProtocolError) {
    const list = partitions.map((p) => `${p.topic}-${p.partition}`).join(', ');
    super('KWIRE_ERR_OFFSET_METADATA_TOO_LARGE', `group ${quoteGroup(groupId)}: Kafka refused the offset metadata of ${list} as too large (offset.metadata.max.bytes); the other partitions were committed`, { cause });
    this.name = 'OffsetMetadataTooLargeError';
    this.groupId = groupId;
    this.partitions = partitions;
  }
}

/** The group's coordinator stayed unknown, moving or loading through every retry; `cause` is Kafka's last answer. */
export class CoordinatorUnavailableError extends KafkaWireError {
  readonly groupId: string;
  readonly attempts: number;
  constructor(groupId: string, attempts: number, cause: KafkaProtocolError) {
    super('KWIRE_ERR_COORDINATOR_UNAVAILABLE', `no coordinator for group ${quoteGroup(groupId)} after ${attempts} attempts (last: ${cause.errorName})`, { cause });
    this.name = 'CoordinatorUnavailableError';
    this.groupId = groupId;
    this.attempts = attempts;
  }
}

/** A committed offset that cannot be: negative or above 2^63-1, or a leader epoch outside -1..2^31-1. */
export class InvalidOffsetError extends KafkaWireError {
  constructor(message: string) {
    super('KWIRE_ERR_INVALID_OFFSET', message);
    this.name = 'InvalidOffsetError';
  }
}
