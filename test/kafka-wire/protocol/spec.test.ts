import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { MessageSchema } from '../../../src/kafka-wire/protocol/codec.js';
import { RequestHeader, ResponseHeader } from '../../../src/kafka-wire/protocol/header.js';
import { inRange, parseRange, type Field, type Fields } from '../../../src/kafka-wire/protocol/schema.js';
import { APIS } from '../../../src/kafka-wire/protocol/versions.js';
import { dumpVersions, loadSchemaDumps } from './compiled-schemas.js';

/**
 * Checks our hand-written declarations against Apache Kafka's own JSON message definitions, field
 * by field and version by version. The definitions are not part of this repository; they live in
 * the shared spec folder beside it (or KAFKA_PROTOCOL_DIR).
 */
const here = dirname(fileURLToPath(import.meta.url));
const candidates = [process.env.KAFKA_PROTOCOL_DIR, resolve(here, '../../../../../shared/kafka-protocol'), resolve(here, '../../../../shared/kafka-protocol')];
const specDir = candidates.find((d) => d !== undefined && existsSync(join(d, 'messages')));

interface JsonField {
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
interface JsonMessage {
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: Array<{ name: string; fields: JsonField[] }>;
}

/** Removes // comments outside string literals (the schema files are JSON with comments). */
function stripComments(text: string): string {
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

function load(file: string): JsonMessage {
  return JSON.parse(stripComments(readFileSync(file, 'utf8'))) as JsonMessage;
}

function camel(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

function parseDefault(type: string, d: string): unknown {
  if (d === 'null') return null;
  if (type === 'int64') return BigInt(d);
  if (type === 'bool') return d === 'true';
  if (type === 'string') return d;
  return Number(d);
}

/** Compares the fields present at `version` in our declaration and in Kafka's. */
function compareFields(ours: Fields, theirs: JsonField[], version: number, path: string, structs: Map<string, JsonField[]>): void {
  const theirPresent = theirs.filter((f) => inRange(version, f.versions));
  const ourPresent = Object.entries(ours).filter(([, f]) => inRange(version, f.versions));
  assert.deepEqual(ourPresent.map(([n]) => n), theirPresent.map((f) => camel(f.name)), `${path} v${version}: field list`);
  for (let i = 0; i < theirPresent.length; i++) {
    const t = theirPresent[i]!;
    const [name, o] = ourPresent[i]! as [string, Field];
    const where = `${path}.${name} v${version}`;
    const isArray = t.type.startsWith('[]');
    const elem = isArray ? t.type.slice(2) : t.type;
    const structFields = t.fields ?? structs.get(elem);
    const primitive = /^(bool|int8|int16|uint16|int32|uint32|int64|float64|string|bytes|uuid|records)$/.test(elem);
    if (isArray) {
      assert.equal(o.type, 'array', `${where}: type`);
      if (primitive) assert.equal((o as { items: unknown }).items, elem, `${where}: items`);
      else compareFields((o as { items: Fields }).items, structFields!, version, where, structs);
    } else if (!primitive) {
      assert.equal(o.type, 'struct', `${where}: type`);
      compareFields((o as { fields: Fields }).fields, structFields!, version, where, structs);
    } else {
      assert.equal(o.type, elem, `${where}: type`);
    }
    assert.equal(inRange(version, o.nullable), inRange(version, t.nullableVersions), `${where}: nullable`);
    const tagged = t.taggedVersions !== undefined && inRange(version, t.taggedVersions);
    assert.equal(o.tag !== undefined, tagged, `${where}: tagged`);
    if (tagged) assert.equal(o.tag, t.tag, `${where}: tag number`);
    if (t.default !== undefined && primitive && !isArray) {
      assert.deepEqual(o.default, parseDefault(elem, t.default), `${where}: default`);
    } else if (t.default === undefined && !isArray && primitive) {
      assert.equal(o.default, undefined, `${where}: has a default Kafka does not declare`);
    }
    assert.equal(o.neverCompact === true, t.flexibleVersions === 'none', `${where}: flexibleVersions none`);
  }
}

const pairs: Array<[MessageSchema, string, number | undefined]> = [
  [RequestHeader, 'RequestHeader', undefined],
  [ResponseHeader, 'ResponseHeader', undefined],
  ...APIS.flatMap((a): Array<[MessageSchema, string, number]> => [[a.request, `${a.name}Request`, a.key], [a.response, `${a.name}Response`, a.key]]),
];

// Versions newer than the JSON files (ApiVersions v5, ListOffsets v11) come from the schemas
// compiled into kafka-clients 4.4.0; compiled-schemas.test.ts checks those.
const dumps = loadSchemaDumps();

for (const [schema, file, apiKey] of pairs) {
  // InitProducerId, AddPartitionsToTxn and EndTxn have no JSON file in our copies; compiled-schemas.test.ts covers them.
  // No test at all for them here, rather than a skipped one: their check lives in that file.
  if (specDir !== undefined && !existsSync(join(specDir, 'messages', `${file}.json`))) continue;
  test(`${schema.name} matches Kafka's JSON definition at every version`, { skip: specDir === undefined ? 'Kafka JSON definitions not found (set KAFKA_PROTOCOL_DIR)' : false }, () => {
    const snapshot = load(join(specDir!, 'messages', `${file}.json`));
    const k41Path = join(specDir!, 'messages', 'kafka-4.1', `${file}.json`);
    const k41 = existsSync(k41Path) ? load(k41Path) : undefined;
    const { min, max } = parseRange(schema.validVersions);
    const snapRange = parseRange(snapshot.validVersions);
    const k41Range = k41 ? parseRange(k41.validVersions) : undefined;
    assert.equal(min, Math.min(snapRange.min, k41Range?.min ?? Infinity), 'lowest version');
    const jsonMax = Math.max(snapRange.max, k41Range?.max ?? -1);
    const compiledMax = Math.max(-1, ...dumps.flatMap((d) => [...dumpVersions(d, file, apiKey).keys()]));
    assert.equal(max, Math.max(jsonMax, compiledMax), 'highest version');
    for (let v = min; v <= jsonMax; v++) {
      const src = v <= snapRange.max ? snapshot : k41!;
      assert.equal(inRange(v, schema.flexibleVersions), inRange(v, src.flexibleVersions), `v${v} flexible`);
      const structs = new Map((src.commonStructs ?? []).map((s) => [s.name, s.fields]));
      compareFields(schema.fields, src.fields, v, schema.name, structs);
      if (k41 && k41Range && v >= k41Range.min && v <= k41Range.max) {
        const structs41 = new Map((k41.commonStructs ?? []).map((s) => [s.name, s.fields]));
        compareFields(schema.fields, k41.fields, v, `${schema.name}(4.1)`, structs41);
      }
    }
  });
}
