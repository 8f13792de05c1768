import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from '../../support/fixture-dir.js';

/**
 * The wire schemas compiled into kafka-clients of a Kafka release, as dumped by
 * scripts/fixtures/java/SchemaDump.java into test/fixtures/kafka-schemas/<version>.json.
 */
export interface DumpField {
  name: string;
  type: string;
  nullable?: boolean;
  tag?: number;
  items?: string | DumpField[];
  fields?: DumpField[];
  tags?: DumpField[];
}

export interface SchemaDump {
  kafkaVersion: string;
  headers: Record<'RequestHeader' | 'ResponseHeader', Record<string, DumpField[]>>;
  apis: Record<string, { name: string; latest: number; versions: Record<string, { request: DumpField[]; response: DumpField[] }> }>;
}

export function loadSchemaDumps(): SchemaDump[] {
  const dir = fixtureDir('kafka-schemas');
  if (dir === undefined) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SchemaDump);
}

/**
 * Versions of one message in a dump: `message` is a header name, or `<ApiName>Request` /
 * `<ApiName>Response` for the api with key `apiKey`.
 */
export function dumpVersions(dump: SchemaDump, message: string, apiKey: number | undefined): Map<number, DumpField[]> {
  const out = new Map<number, DumpField[]>();
  if (message === 'RequestHeader' || message === 'ResponseHeader') {
    for (const [v, fields] of Object.entries(dump.headers[message])) out.set(Number(v), fields);
    return out;
  }
  const api = apiKey === undefined ? undefined : dump.apis[String(apiKey)];
  if (api === undefined) return out;
  const side = message.endsWith('Request') ? 'request' : 'response';
  for (const [v, both] of Object.entries(api.versions)) out.set(Number(v), both[side]);
  return out;
}
