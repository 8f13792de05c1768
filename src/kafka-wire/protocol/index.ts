export { decodeMessage, encodeMessage, defaultMessage, defineMessage, isFlexible, type Input, type MessageSchema } from './codec.js';
export type { Infer, Fields, UnknownTag } from './schema.js';
export {
  RequestHeader, ResponseHeader, requestHeaderVersion, responseHeaderVersion,
  encodeRequestHeader, decodeRequestHeader, encodeResponseHeader, decodeResponseHeader,
} from './header.js';
export {
  APIS, API_VERSIONS_KEY, ProduceApi, FetchApi, ListOffsetsApi, MetadataApi, FindCoordinatorApi, SaslHandshakeApi,
  OffsetCommitApi, OffsetFetchApi, JoinGroupApi, HeartbeatApi, LeaveGroupApi, SyncGroupApi, InitProducerIdApi,
  AddPartitionsToTxnApi, EndTxnApi, ApiVersionsApi, SaslAuthenticateApi,
  apiByKey, apiByNameOrKey, negotiateVersion, type ApiSpec } from './versions.js';
export { encodeRequestFrame, decodeRequestFrame, decodeResponseFrame, throwIfError, type DecodedRequest, type DecodedResponse } from './frame.js';
export { ErrorCode, kafkaError, type KafkaErrorInfo, type KafkaErrorName } from './error-codes.js';
export { ApiVersionsRequest, ApiVersionsResponse, CLIENT_SOFTWARE_SINCE } from './apis/api-versions.js';
export { FETCH_TOPIC_ID_SINCE, FetchRequest, FetchResponse } from './apis/fetch.js';
export { FIND_COORDINATOR_BATCHED_SINCE, FindCoordinatorRequest, FindCoordinatorResponse } from './apis/find-coordinator.js';
export {
  HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse,
  SyncGroupRequest, SyncGroupResponse,
} from './apis/group.js';
export { OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse } from './apis/offsets.js';
export {
  AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, EndTxnRequest, EndTxnResponse, InitProducerIdRequest, InitProducerIdResponse,
} from './apis/transactions.js';
export { ListOffsetsRequest, ListOffsetsResponse } from './apis/list-offsets.js';
export { MetadataRequest, MetadataResponse } from './apis/metadata.js';
export { ProduceRequest, ProduceResponse } from './apis/produce.js';
export { SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse } from './apis/sasl.js';
