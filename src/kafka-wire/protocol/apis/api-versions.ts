import { defineMessage } from '../codec.js';
import { array, bool, int16, int32, int64, string } from '../schema.js';

/**
 * ApiVersions (key 18), versions 0-5, flexible from 3. Schema: ApiVersionsRequest.json of Kafka
 * 3.9.2 (0-4) and 4.4.0 (0-5); the 4.4.0 Java client sends v5 by default.
 *   ClientSoftwareName string (3+), ClientSoftwareVersion string (3+),
 *   ClusterId nullable string (5+, default null), NodeId int32 (5+, default -1)
 * Both names must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? or the broker answers INVALID_REQUEST.
 */
/** From v3 the request names the client's software (KIP-511). */
export const CLIENT_SOFTWARE_SINCE = 3;

export const ApiVersionsRequest = defineMessage('ApiVersionsRequest', '0-5', '3+', {
  clientSoftwareName: string('3+'),
  clientSoftwareVersion: string('3+'),
  clusterId: string('5+', { nullable: '5+', default: null }),
  nodeId: int32('5+', { default: -1 }),
});

/**
 * Schema: ApiVersionsResponse.json (0-4; 4.4.0: 0-5, v5 has the fields of v4).
 *   ErrorCode int16, ApiKeys [ApiKey int16, MinVersion int16, MaxVersion int16], ThrottleTimeMs int32 (1+),
 *   tagged (3+): 0 SupportedFeatures [Name, MinVersion, MaxVersion], 1 FinalizedFeaturesEpoch int64,
 *   2 FinalizedFeatures [Name, MaxVersionLevel, MinVersionLevel], 3 ZkMigrationReady bool.
 * The response header is always v0, even at v3+ (KIP-511); see protocol/header.ts.
 */
export const ApiVersionsResponse = defineMessage('ApiVersionsResponse', '0-5', '3+', {
  errorCode: int16('0+'),
  apiKeys: array('0+', {
    apiKey: int16('0+'),
    minVersion: int16('0+'),
    maxVersion: int16('0+'),
  }),
  throttleTimeMs: int32('1+'),
  supportedFeatures: array('3+', {
    name: string('3+'),
    minVersion: int16('3+'),
    maxVersion: int16('3+'),
  }, { tag: 0 }),
  finalizedFeaturesEpoch: int64('3+', { tag: 1, default: -1n }),
  finalizedFeatures: array('3+', {
    name: string('3+'),
    maxVersionLevel: int16('3+'),
    minVersionLevel: int16('3+'),
  }, { tag: 2 }),
  zkMigrationReady: bool('3+', { tag: 3, default: false }),
});
