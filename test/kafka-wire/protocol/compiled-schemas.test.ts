import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageSchema } from '../../../src/kafka-wire/protocol/codec.js';
import { RequestHeader, ResponseHeader } from '../../../src/kafka-wire/protocol/header.js';
import { inRange, parseRange, type Field, type Fields } from '../../../src/kafka-wire/protocol/schema.js';
import { APIS } from '../../../src/kafka-wire/protocol/versions.js';
import { dumpVersions, loadSchemaDumps, type DumpField } from './compiled-schemas.js';

/**
 * Our declarations against the schemas compiled into kafka-clients 3.9.2 and 4.4.0 — the exact
 * releases of the test brokers and of the Java reference clients the fixtures were recorded with.
 * spec.test.ts checks the JSON definitions in the same jars; this checks every version a second
 * time, by wire type rather than by declaration: compact or classic, nullable or not, tag numbers.
 */
const dumps = loadSchemaDumps();

/** Kafka's type name of one of our fields at a version (types/Type.java, CompactArrayOf, ...). */
function wireType(f: Field, nullable: boolean, compact: boolean): string {
  const c = compact ? 'COMPACT_' : '';
  switch (f.type) {
    case 'bool': return 'BOOLEAN';
    case 'string': return `${c}${nullable ? 'NULLABLE_' : ''}STRING`;
    case 'bytes': return `${c}${nullable ? 'NULLABLE_' : ''}BYTES`;
    case 'records': return `${c}${nullable ? 'NULLABLE_' : ''}RECORDS`;
    case 'array': return `${c}ARRAY`;
    case 'struct': return 'STRUCT';
    default: return f.type.toUpperCase();
  }
}

function scalarName(type: string, compact: boolean): string {
  if (type === 'string' || type === 'bytes') return `${compact ? 'COMPACT_' : ''}${type.toUpperCase()}`;
  return type === 'bool' ? 'BOOLEAN' : type.toUpperCase();
}

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function compare(ours: Fields, theirs: DumpField[], version: number, flexible: boolean, path: string): void {
  const present = Object.entries(ours).filter(([, f]) => inRange(version, f.versions));
  const wire = present.filter(([, f]) => f.tag === undefined);
  const tagged = present.filter(([, f]) => f.tag !== undefined).sort(([, a], [, b]) => a.tag! - b.tag!);
  const theirWire = theirs.filter((f) => f.type !== 'TAGGED_FIELDS');
  const theirTags = theirs.find((f) => f.type === 'TAGGED_FIELDS');
  assert.deepEqual(wire.map(([n]) => n), theirWire.map((f) => camel(f.name)), `${path} v${version}: fields`);
  assert.equal(theirTags !== undefined, flexible, `${path} v${version}: tagged-field section`);
  assert.deepEqual(tagged.map(([n, f]) => [f.tag, n]), (theirTags?.tags ?? []).map((t) => [t.tag, camel(t.name)]), `${path} v${version}: tagged fields`);
  const pairs: Array<[string, Field, DumpField]> = [
    ...wire.map(([n, f], i): [string, Field, DumpField] => [n, f, theirWire[i]!]),
    ...tagged.map(([n, f], i): [string, Field, DumpField] => [n, f, theirTags!.tags![i]!]),
  ];
  for (const [name, f, t] of pairs) {
    const where = `${path}.${name} v${version}`;
    const nullable = inRange(version, f.nullable);
    const compact = flexible && f.neverCompact !== true;
    // 3.9 names nullable records RECORDS, 4.x NULLABLE_RECORDS (always nullable on the wire).
    const theirType = f.type === 'records' && !t.type.includes('NULLABLE') && t.nullable === true ? t.type.replace('RECORDS', 'NULLABLE_RECORDS') : t.type;
    assert.equal(wireType(f, nullable, compact), theirType, `${where}: wire type`);
    if (t.nullable !== undefined) assert.equal(nullable, t.nullable, `${where}: nullable`);
    if (f.type === 'array') {
      if (typeof f.items === 'string') assert.equal(scalarName(f.items, compact), t.items, `${where}: items`);
      else compare(f.items, t.items as DumpField[], version, flexible, where);
    } else if (f.type === 'struct') {
      compare(f.fields, t.fields!, version, flexible, where);
    }
  }
}

const messages: Array<[MessageSchema, string, number | undefined]> = [
  [RequestHeader, 'RequestHeader', undefined],
  [ResponseHeader, 'ResponseHeader', undefined],
  ...APIS.flatMap((a): Array<[MessageSchema, string, number]> => [[a.request, `${a.name}Request`, a.key], [a.response, `${a.name}Response`, a.key]]),
];

for (const dump of dumps) {
  for (const [schema, message, key] of messages) {
    test(`${message} matches kafka-clients ${dump.kafkaVersion} at every version both have`, () => {
      const theirs = dumpVersions(dump, message, key);
      assert.ok(theirs.size > 0, `${message} is not in the ${dump.kafkaVersion} dump (scripts/fixtures/record.sh schemas writes it)`);
      const { min, max } = parseRange(schema.validVersions);
      for (const [v, fields] of theirs) {
        if (v < min || v > max) continue;
        compare(schema.fields, fields, v, inRange(v, schema.flexibleVersions), message);
      }
    });
  }
}

test('every version the newest reference release speaks is declared', { skip: dumps.length === 0 ? 'test/fixtures/kafka-schemas missing' : false }, () => {
  for (const dump of dumps) {
    for (const api of APIS) {
      const latest = dump.apis[String(api.key)]?.latest;
      assert.ok(latest !== undefined && api.max >= latest, `${api.name}: kafka-clients ${dump.kafkaVersion} speaks up to v${latest}, we declare up to v${api.max}`);
    }
  }
});
