import { ErrorCode } from '../protocol/error-codes.js';
import { ApiVersionsApi } from '../protocol/versions.js';
import { throwIfError } from '../protocol/frame.js';
import type { Connection } from './connection.js';
import { CLIENT_SOFTWARE } from './software.js';

export interface VersionRange {
  min: number;
  max: number;
}

/**
 * ApiVersions at the highest version we know. A broker that does not know it answers in v0 form
 * with UNSUPPORTED_VERSION and its own range for ApiVersions (KIP-511); we then ask again at the
 * highest version both know, because only v3+ carries the features we may want later.
 */
export async function negotiateApiVersions(conn: Connection, left: () => number): Promise<Map<number, VersionRange>> {
  let version = ApiVersionsApi.max;
  for (let attempt = 0; ; attempt++) {
    const res = await conn.send(ApiVersionsApi, { clientSoftwareName: CLIENT_SOFTWARE.name, clientSoftwareVersion: CLIENT_SOFTWARE.version }, version, left(), true);
    const ranges = new Map<number, VersionRange>();
    for (const k of res.body.apiKeys) ranges.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    const own = ranges.get(ApiVersionsApi.key);
    if (res.body.errorCode === ErrorCode.UNSUPPORTED_VERSION && own !== undefined && attempt === 0 && own.max < version) {
      version = Math.max(own.max, ApiVersionsApi.min);
      continue;
    }
    throwIfError('ApiVersions', res.version, res.body.errorCode, 'top level');
    return ranges;
  }
}
