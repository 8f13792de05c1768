import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageSchema } from '../../../src/kafka-wire/protocol/codec.js';
import { RequestHeader, ResponseHeader } from '../../../src/kafka-wire/protocol/header.js';
import { inRange, parseRange, type Field, type Fields } from '../../../src/kafka-wire/protocol/schema.js';
import { APIS } from '../../../src/kafka-wire/protocol/versions.js';
import { loadKafkaReleases, type JsonField } from './kafka-json.js';

/**
 * Checks our hand-written declarations against Apache Kafka's own JSON message definitions, field
 * by field and version by version, as shipped in the kafka-clients jars of 3.9.2 and 4.4.0
 * (kafka-json.ts): every version either release defines is compared with that release's file, and
 * with both where both define it.
 */
const releases = await loadKafkaReleases();

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

const pairs: Array<[MessageSchema, string]> = [
  [RequestHeader, 'RequestHeader'],
  [ResponseHeader, 'ResponseHeader'],
  ...APIS.flatMap((a): Array<[MessageSchema, string]> => [[a.request, `${a.name}Request`], [a.response, `${a.name}Response`]]),
];

test('the kafka-clients jars hold the JSON definitions of every message we declare', () => {
  for (const r of releases) assert.ok(r.messages.size > 0, `${r.jar}: no definitions`);
  const newest = releases[releases.length - 1]!;
  const missing = pairs.map(([, file]) => file).filter((file) => !newest.messages.has(file));
  assert.deepEqual(missing, [], `not in ${newest.jar}`);
});

/** Messages checked at every version, by the tests below; the last test counts them. */
const compared = new Set<string>();

for (const [schema, file] of pairs) {
  test(`${schema.name} matches Kafka's JSON definitions at every version`, () => {
    const defs = releases.flatMap((r) => {
      const msg = r.messages.get(file);
      return msg === undefined ? [] : [{ release: r.version, msg, range: parseRange(msg.validVersions) }];
    });
    assert.ok(defs.length > 0, `${file}.json is in no kafka-clients jar`);
    const { min, max } = parseRange(schema.validVersions);
    assert.equal(min, Math.min(...defs.map((d) => d.range.min)), 'lowest version');
    assert.equal(max, Math.max(...defs.map((d) => d.range.max)), 'highest version');
    for (let v = min; v <= max; v++) {
      const at = defs.filter((d) => v >= d.range.min && v <= d.range.max);
      assert.ok(at.length > 0, `v${v}: no release defines it`);
      for (const { release, msg } of at) {
        assert.equal(inRange(v, schema.flexibleVersions), inRange(v, msg.flexibleVersions), `${release} v${v} flexible`);
        const structs = new Map((msg.commonStructs ?? []).map((s) => [s.name, s.fields]));
        compareFields(schema.fields, msg.fields, v, `${schema.name}(${release})`, structs);
      }
    }
    compared.add(file);
  });
}

test('every declared message was compared', () => {
  assert.equal(pairs.length, 2 + 2 * APIS.length);
  assert.deepEqual([...compared].sort(), pairs.map(([, file]) => file).sort());
});

test("the version table's first flexible version is Kafka's (Infinity for a request that never is)", () => {
  for (const api of APIS) {
    const file = `${api.name}Request`;
    const msg = releases.map((r) => r.messages.get(file)).find((m) => m !== undefined);
    assert.ok(msg !== undefined, file);
    const expected = msg.flexibleVersions === 'none' ? Infinity : parseRange(msg.flexibleVersions).min;
    assert.equal(api.flexibleSince, expected, api.name);
  }
  assert.equal(APIS.find((a) => a.name === 'SaslHandshake')?.flexibleSince, Infinity);
});
