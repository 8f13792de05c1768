import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the client tells brokers it is (ApiVersions v3+, KIP-511): shown in broker logs and metrics. */
export interface ClientSoftware {
  readonly name: string;
  readonly version: string;
}

const PACKAGE_NAME = 'kafka-ws-proxy';
// Kafka refuses other characters in ClientSoftwareName/Version (ApiVersionsRequest.isValid).
const KIP_511_VALUE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/**
 * Our name and version from our own package.json, found by walking up from this file (it sits at
 * a different depth under src/ and dist/), so a release can never report the previous number. A
 * copy bundled without its package.json reports `unknown`.
 */
function readOwnPackage(): ClientSoftware {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') {
        return { name: PACKAGE_NAME, version: KIP_511_VALUE.test(pkg.version) ? pkg.version : pkg.version.replace(/[^a-zA-Z0-9\-.]/g, '-') };
      }
    } catch {
      // No package.json here, or not ours: keep walking up.
    }
    const up = dirname(dir);
    if (up === dir) return { name: PACKAGE_NAME, version: 'unknown' };
    dir = up;
  }
}

export const CLIENT_SOFTWARE: ClientSoftware = readOwnPackage();
