import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installKafka } from '../../harness/kafka.js';
import { readZipEntries } from '../../support/zip.js';

/**
 * Apache Kafka's JSON message definitions (clients/src/main/resources/common/message/*.json), read
 * from the kafka-clients jar of a release, where Kafka's build puts them beside the classes it
 * generated from them. The jars are the ones the broker harness resolves from Maven Central, so a
 * fresh clone has the definitions as soon as it can run the real-broker tests.
 */

/**
 * The releases of the test brokers and of the Java clients the fixtures were recorded with: 3.9.2
 * still defines the versions 4.x removed (KIP-896), 4.4.0 the newest ones.
 */
export const REFERENCE_RELEASES = ['3.9.2', '4.4.0'] as const;

export interface JsonField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string;
  flexibleVersions?: string;
  fields?: JsonField[];
}

export interface JsonMessage {
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: Array<{ name: string; fields: JsonField[] }>;
}

export interface KafkaRelease {
  version: string;
  jar: string;
  /** By file name without `.json`, e.g. `FetchRequest`. */
  messages: Map<string, JsonMessage>;
}

const PREFIX = 'common/message/';

/** Removes // comments outside string literals (the definitions are JSON with comments). */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

/**
 * The definitions of each release, resolving missing jars with scripts/kafka/install.sh first.
 * @throws Error when the jars cannot be resolved, or a jar holds no definitions.
 */
export async function loadKafkaReleases(versions: readonly string[] = REFERENCE_RELEASES): Promise<KafkaRelease[]> {
  let libs: string[];
  try {
    libs = await installKafka(versions);
  } catch (err) {
    throw new Error(`Kafka's JSON message definitions come from the kafka-clients jars, which could not be resolved (scripts/kafka/install.sh ${versions.join(' ')}; docs/kafka-harness.md)`, { cause: err });
  }
  return versions.map((version, i) => {
    const jar = join(libs[i]!, `kafka-clients-${version}.jar`);
    if (!existsSync(jar)) throw new Error(`${jar} is missing although install.sh finished: remove ${libs[i]!} and run the tests again`);
    const entries = readZipEntries(jar, (name) => name.startsWith(PREFIX) && name.endsWith('.json') && !name.includes('/', PREFIX.length));
    if (entries.size === 0) throw new Error(`${jar} holds no ${PREFIX}*.json`);
    const messages = new Map<string, JsonMessage>();
    for (const [name, bytes] of entries) {
      messages.set(name.slice(PREFIX.length, -'.json'.length), JSON.parse(stripComments(bytes.toString('utf8'))) as JsonMessage);
    }
    return { version, jar, messages };
  });
}
