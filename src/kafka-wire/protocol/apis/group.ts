import { defineMessage } from '../codec.js';
import { array, bool, bytes, int16, int32, string } from '../schema.js';

/*
 * The classic consumer group protocol (KIP-62 rebalance timeout, KIP-345 static membership,
 * KIP-394 member id required, KIP-800 leave reasons, KIP-814 skip assignment). The proxy does not
 * join groups; these declarations exist so that recorded client traffic (test/fixtures/kafka)
 * decodes and re-encodes like every other frame. Schemas: JoinGroup*.json, SyncGroup*.json,
 * Heartbeat*.json, LeaveGroup*.json (the same fields in Kafka 3.9.2 and 4.4.0).
 */

/**
 * JoinGroup (key 11), versions 0-9, flexible from 6.
 *   GroupId string, SessionTimeoutMs int32, RebalanceTimeoutMs int32 (1+), MemberId string,
 *   GroupInstanceId nullable string (5+), ProtocolType string,
 *   Protocols [Name string, Metadata bytes], Reason nullable string (8+)
 */
export const JoinGroupRequest = defineMessage('JoinGroupRequest', '0-9', '6+', {
  groupId: string('0+'),
  sessionTimeoutMs: int32('0+'),
  rebalanceTimeoutMs: int32('1+', { default: -1 }),
  memberId: string('0+'),
  groupInstanceId: string('5+', { nullable: '5+', default: null }),
  protocolType: string('0+'),
  protocols: array('0+', {
    name: string('0+'),
    metadata: bytes('0+'),
  }),
  reason: string('8+', { nullable: '8+', default: null }),
});

/**
 *   ThrottleTimeMs int32 (2+), ErrorCode int16, GenerationId int32, ProtocolType nullable string (7+),
 *   ProtocolName string (nullable 7+), Leader string, SkipAssignment bool (9+), MemberId string,
 *   Members [MemberId string, GroupInstanceId nullable string (5+), Metadata bytes]
 */
export const JoinGroupResponse = defineMessage('JoinGroupResponse', '0-9', '6+', {
  throttleTimeMs: int32('2+'),
  errorCode: int16('0+'),
  generationId: int32('0+', { default: -1 }),
  protocolType: string('7+', { nullable: '7+', default: null }),
  protocolName: string('0+', { nullable: '7+' }),
  leader: string('0+'),
  skipAssignment: bool('9+', { default: false }),
  memberId: string('0+'),
  members: array('0+', {
    memberId: string('0+'),
    groupInstanceId: string('5+', { nullable: '5+', default: null }),
    metadata: bytes('0+'),
  }),
});

/**
 * SyncGroup (key 14), versions 0-5, flexible from 4.
 *   GroupId string, GenerationId int32, MemberId string, GroupInstanceId nullable string (3+),
 *   ProtocolType nullable string (5+), ProtocolName nullable string (5+),
 *   Assignments [MemberId string, Assignment bytes]
 */
export const SyncGroupRequest = defineMessage('SyncGroupRequest', '0-5', '4+', {
  groupId: string('0+'),
  generationId: int32('0+'),
  memberId: string('0+'),
  groupInstanceId: string('3+', { nullable: '3+', default: null }),
  protocolType: string('5+', { nullable: '5+', default: null }),
  protocolName: string('5+', { nullable: '5+', default: null }),
  assignments: array('0+', {
    memberId: string('0+'),
    assignment: bytes('0+'),
  }),
});

/** ThrottleTimeMs int32 (1+), ErrorCode int16, ProtocolType nullable string (5+), ProtocolName nullable string (5+), Assignment bytes */
export const SyncGroupResponse = defineMessage('SyncGroupResponse', '0-5', '4+', {
  throttleTimeMs: int32('1+'),
  errorCode: int16('0+'),
  protocolType: string('5+', { nullable: '5+', default: null }),
  protocolName: string('5+', { nullable: '5+', default: null }),
  assignment: bytes('0+'),
});

/** Heartbeat (key 12), versions 0-4, flexible from 4. GroupId string, GenerationId int32, MemberId string, GroupInstanceId nullable string (3+) */
export const HeartbeatRequest = defineMessage('HeartbeatRequest', '0-4', '4+', {
  groupId: string('0+'),
  generationId: int32('0+'),
  memberId: string('0+'),
  groupInstanceId: string('3+', { nullable: '3+', default: null }),
});

/** ThrottleTimeMs int32 (1+), ErrorCode int16 */
export const HeartbeatResponse = defineMessage('HeartbeatResponse', '0-4', '4+', {
  throttleTimeMs: int32('1+'),
  errorCode: int16('0+'),
});

/**
 * LeaveGroup (key 13), versions 0-5, flexible from 4; v3 leaves several members at once (KIP-345).
 *   GroupId string, MemberId string (0-2),
 *   Members [MemberId string, GroupInstanceId nullable string, Reason nullable string (5+)] (3+)
 */
export const LeaveGroupRequest = defineMessage('LeaveGroupRequest', '0-5', '4+', {
  groupId: string('0+'),
  memberId: string('0-2'),
  members: array('3+', {
    memberId: string('3+'),
    groupInstanceId: string('3+', { nullable: '3+', default: null }),
    reason: string('5+', { nullable: '5+', default: null }),
  }),
});

/** ThrottleTimeMs int32 (1+), ErrorCode int16, Members [MemberId string, GroupInstanceId nullable string, ErrorCode int16] (3+) */
export const LeaveGroupResponse = defineMessage('LeaveGroupResponse', '0-5', '4+', {
  throttleTimeMs: int32('1+'),
  errorCode: int16('0+'),
  members: array('3+', {
    memberId: string('3+'),
    groupInstanceId: string('3+', { nullable: '3+' }),
    errorCode: int16('3+'),
  }),
});
