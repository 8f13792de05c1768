import { ApiVersionsRequest, ApiVersionsResponse } from './apis/api-versions.js';
import { CreateTopicsRequest, CreateTopicsResponse } from './apis/create-topics.js';
import { FetchRequest, FetchResponse } from './apis/fetch.js';
import { FindCoordinatorRequest, FindCoordinatorResponse } from './apis/find-coordinator.js';
import {
  HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse,
  SyncGroupRequest, SyncGroupResponse,
} from './apis/group.js';
import { OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse } from './apis/offsets.js';
import {
  AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, EndTxnRequest, EndTxnResponse, InitProducerIdRequest, InitProducerIdResponse,
} from './apis/transactions.js';
import { ListOffsetsRequest, ListOffsetsResponse } from './apis/list-offsets.js';
import { MetadataRequest, MetadataResponse } from './apis/metadata.js';
import { ProduceRequest, ProduceResponse } from './apis/produce.js';
import { SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse } from './apis/sasl.js';
import type { MessageSchema } from './codec.js';
import { parseRange, type Fields } from './schema.js';

export interface ApiSpec<Q extends Fields = Fields, S extends Fields = Fields> {
  readonly key: number;
  readonly name: string;
  readonly request: MessageSchema<Q>;
  readonly response: MessageSchema<S>;
  /** Lowest and highest version our codec encodes and decodes. */
  readonly min: number;
  readonly max: number;
  /** First flexible version (KIP-482), or Infinity if never flexible. */
  readonly flexibleSince: number;
  /**
   * Lowest version our client will send even if a broker advertises less: Produce below 3 is
   * rejected by 4.x brokers that still advertise it (KAFKA-18659); Fetch below 4 lacks the
   * isolation level and last stable offset we rely on; ListOffsets v0 is the pre-KIP-79 form;
   * OffsetCommit and OffsetFetch v0 keep offsets in ZooKeeper, not in Kafka (a KRaft broker
   * answers UNSUPPORTED_VERSION).
   */
  readonly clientMin: number;
}

function api<Q extends Fields, S extends Fields>(key: number, name: string, request: MessageSchema<Q>, response: MessageSchema<S>, clientMin?: number): ApiSpec<Q, S> {
  const { min, max } = parseRange(request.validVersions);
  return { key, name, request, response, min, max, flexibleSince: request.flexibleVersions === 'none' ? Infinity : parseRange(request.flexibleVersions).min, clientMin: clientMin ?? min };
}

export const API_VERSIONS_KEY = 18;

export const ProduceApi = api(0, 'Produce', ProduceRequest, ProduceResponse, 3);
export const FetchApi = api(1, 'Fetch', FetchRequest, FetchResponse, 4);
export const ListOffsetsApi = api(2, 'ListOffsets', ListOffsetsRequest, ListOffsetsResponse, 1);
export const MetadataApi = api(3, 'Metadata', MetadataRequest, MetadataResponse, 1);
export const OffsetCommitApi = api(8, 'OffsetCommit', OffsetCommitRequest, OffsetCommitResponse, 1);
export const OffsetFetchApi = api(9, 'OffsetFetch', OffsetFetchRequest, OffsetFetchResponse, 1);
export const FindCoordinatorApi = api(10, 'FindCoordinator', FindCoordinatorRequest, FindCoordinatorResponse);
export const JoinGroupApi = api(11, 'JoinGroup', JoinGroupRequest, JoinGroupResponse);
export const HeartbeatApi = api(12, 'Heartbeat', HeartbeatRequest, HeartbeatResponse);
export const LeaveGroupApi = api(13, 'LeaveGroup', LeaveGroupRequest, LeaveGroupResponse);
export const SyncGroupApi = api(14, 'SyncGroup', SyncGroupRequest, SyncGroupResponse);
export const InitProducerIdApi = api(22, 'InitProducerId', InitProducerIdRequest, InitProducerIdResponse);
export const AddPartitionsToTxnApi = api(24, 'AddPartitionsToTxn', AddPartitionsToTxnRequest, AddPartitionsToTxnResponse);
export const EndTxnApi = api(26, 'EndTxn', EndTxnRequest, EndTxnResponse);
export const SaslHandshakeApi = api(17, 'SaslHandshake', SaslHandshakeRequest, SaslHandshakeResponse);
// v0-1 are deprecated; v2 is the first with ThrottleTimeMs and a per-topic message.
export const CreateTopicsApi = api(19, 'CreateTopics', CreateTopicsRequest, CreateTopicsResponse, 2);
export const ApiVersionsApi = api(API_VERSIONS_KEY, 'ApiVersions', ApiVersionsRequest, ApiVersionsResponse);
export const SaslAuthenticateApi = api(36, 'SaslAuthenticate', SaslAuthenticateRequest, SaslAuthenticateResponse);

/** The version table: every API we speak, as data. */
export const APIS: readonly ApiSpec[] = [
  ProduceApi, FetchApi, ListOffsetsApi, MetadataApi, OffsetCommitApi, OffsetFetchApi, FindCoordinatorApi, JoinGroupApi,
  HeartbeatApi, LeaveGroupApi, SyncGroupApi, SaslHandshakeApi, ApiVersionsApi, InitProducerIdApi, AddPartitionsToTxnApi,
  EndTxnApi, SaslAuthenticateApi, CreateTopicsApi,
] as readonly ApiSpec[];

const byKey = new Map(APIS.map((a) => [a.key, a]));
const byName = new Map(APIS.map((a) => [a.name.toLowerCase(), a]));

export function apiByKey(key: number): ApiSpec | undefined {
  return byKey.get(key);
}

/** Looks an API up by name (case-insensitive, e.g. 'Fetch') or by its key as a decimal string. */
export function apiByNameOrKey(s: string): ApiSpec | undefined {
  return /^\d+$/.test(s) ? byKey.get(Number(s)) : byName.get(s.toLowerCase());
}

/**
 * The version to use for `api` given the broker's advertised range: the highest both sides
 * support, or undefined if the ranges do not meet.
 */
export function negotiateVersion(api: ApiSpec, brokerMin: number, brokerMax: number): number | undefined {
  const v = Math.min(api.max, brokerMax);
  return v >= Math.max(api.clientMin, brokerMin) ? v : undefined;
}
