import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from '../../../src/kafka-wire/primitives/reader.js';
import { Writer } from '../../../src/kafka-wire/primitives/writer.js';
import { decodeMessage, encodeMessage, type MessageSchema } from '../../../src/kafka-wire/protocol/codec.js';
import { RequestHeader, ResponseHeader } from '../../../src/kafka-wire/protocol/header.js';
import { inRange, parseRange, type Field, type Fields } from '../../../src/kafka-wire/protocol/schema.js';
import { FetchRequest } from '../../../src/kafka-wire/protocol/apis/fetch.js';
import { MetadataRequest } from '../../../src/kafka-wire/protocol/apis/metadata.js';
import { APIS } from '../../../src/kafka-wire/protocol/versions.js';
import { Rng } from '../../support/random.js';

/**
 * Builds a random value of `fields` at `version`, and the value a decoder must return for it:
 * the same, with every field that does not exist at that version set to its default. Defaults
 * are worked out here from the declaration, independently of the codec.
 */
function generate(fields: Fields, version: number, rng: Rng, depth = 0): { input: Record<string, unknown>; expected: Record<string, unknown> } {
  const input: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(fields)) {
    if (!inRange(version, f.versions)) {
      expected[name] = defaultValue(f, version);
      if (rng.bool(0.3)) input[name] = defaultValue(f, version); // callers may pass absent fields at their default
      continue;
    }
    if (f.tag !== undefined && rng.bool(0.3)) {
      expected[name] = defaultValue(f, version); // omitted tagged field
      continue;
    }
    const v = randomValue(f, version, rng, depth);
    input[name] = v.input;
    expected[name] = v.expected;
  }
  return { input, expected };
}

function defaultValue(f: Field, version: number): unknown {
  if (f.type === 'array') return f.default === null ? null : [];
  if (f.type === 'struct') return generateDefaults(f.fields, version);
  if (f.default !== undefined) return f.default;
  switch (f.type) {
    case 'bool': return false;
    case 'int64': return 0n;
    case 'string': return '';
    case 'bytes': return Buffer.alloc(0);
    case 'uuid': return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'records': return null;
    default: return 0;
  }
}

function generateDefaults(fields: Fields, version: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, defaultValue(f, version)]));
}

function randomScalar(type: string, rng: Rng): unknown {
  switch (type) {
    case 'bool': return rng.bool();
    case 'int8': return rng.int(-128, 127);
    case 'int16': return rng.int(-32768, 32767);
    case 'uint16': return rng.int(0, 65535);
    case 'int32': return rng.int(-2147483648, 2147483647);
    case 'uint32': return rng.int(0, 0xffffffff);
    case 'int64': return rng.int64();
    case 'float64': return rng.next() * 1e6;
    case 'string': return rng.string(12);
    case 'bytes': case 'records': return rng.bytes(rng.int(0, 40));
    case 'uuid': return rng.bytes(16).toString('base64url');
  }
  throw new Error(type);
}

function randomValue(f: Field, version: number, rng: Rng, depth: number): { input: unknown; expected: unknown } {
  if (inRange(version, f.nullable) && rng.bool(0.2)) return { input: null, expected: null };
  if (f.type === 'array') {
    const n = depth > 3 ? 0 : rng.int(0, 3);
    const input: unknown[] = [];
    const expected: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (typeof f.items === 'string') {
        const v = randomScalar(f.items, rng);
        input.push(v);
        expected.push(v);
      } else {
        const g = generate(f.items, version, rng, depth + 1);
        input.push(g.input);
        expected.push(g.expected);
      }
    }
    return { input, expected };
  }
  if (f.type === 'struct') return generate(f.fields, version, rng, depth + 1);
  const v = randomScalar(f.type, rng);
  return { input: v, expected: v };
}

function versionsOf(schema: MessageSchema): number[] {
  const { min, max } = parseRange(schema.validVersions);
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

const schemas: MessageSchema[] = [RequestHeader, ResponseHeader, ...APIS.flatMap((a) => [a.request, a.response])];

for (const schema of schemas) {
  test(`${schema.name}: encode → decode → equal and decode → encode → same bytes, every version`, () => {
    for (const version of versionsOf(schema)) {
      for (let seed = 1; seed <= 40; seed++) {
        const rng = new Rng(seed * 1000 + version);
        const { input, expected } = generate(schema.fields, version, rng);
        const w = new Writer(16);
        encodeMessage(schema, version, input as never, w);
        const bytes = Buffer.from(w.finish());
        const r = new Reader(bytes);
        const decoded = decodeMessage(schema, version, r);
        const where = `${schema.name} v${version} seed ${seed}`;
        assert.equal(r.remaining, 0, `${where}: bytes left over`);
        assert.deepEqual(decoded, expected, where);
        const again = new Writer(16);
        encodeMessage(schema, version, decoded as never, again);
        assert.deepEqual(again.finish(), bytes, `${where}: re-encode differs`);
      }
    }
  });
}

test('unknown tagged fields survive decode → encode byte for byte', () => {
  const schema = APIS.find((a) => a.name === 'ApiVersions')!.response;
  const w = new Writer();
  // errorCode 0, apiKeys [] (compact 1), throttle 0, then tags 3 (known, bool true) and 7 (unknown, 2 bytes).
  w.int16(0).uvarint(1).int32(0).uvarint(2).uvarint(3).uvarint(1).uint8(1).uvarint(7).uvarint(2).uint8(0xab).uint8(0xcd);
  const bytes = Buffer.from(w.finish());
  const decoded = decodeMessage(schema, 3, new Reader(bytes)) as Record<string, unknown>;
  assert.equal(decoded.zkMigrationReady, true);
  assert.deepEqual(decoded._unknownTags, [{ tag: 7, data: Buffer.from('abcd', 'hex') }]);
  const out = new Writer();
  encodeMessage(schema, 3, decoded as never, out);
  assert.deepEqual(out.finish(), bytes);
});

test('decode errors name the message, version and byte offset', () => {
  const fetch = APIS.find((a) => a.name === 'Fetch')!.response;
  const w = new Writer();
  encodeMessage(fetch, 11, { responses: [{ topic: 't', partitions: [{ records: Buffer.alloc(100) }] }] } as never, w);
  const bytes = Buffer.from(w.finish()).subarray(0, 60);
  assert.throws(() => decodeMessage(fetch, 11, new Reader(bytes)), (e: unknown) => {
    const err = e as { code?: string; message: string; api?: string; version?: number; offset?: number };
    return err.code === 'KWIRE_ERR_SHORT_INPUT' && err.api === 'FetchResponse' && err.version === 11 &&
      typeof err.offset === 'number' && /FetchResponse v11/.test(err.message) && /at byte \d+/.test(err.message);
  });
});

test('encoding a null where the version forbids it is a typed error', () => {
  const md = MetadataRequest;
  assert.throws(() => encodeMessage(md, 0, { topics: null }, new Writer()), { code: 'KWIRE_ERR_ENCODE', message: 'MetadataRequest.topics: null is not allowed at this version' });
  encodeMessage(md, 1, { topics: null }, new Writer());
});

test('a string too long for Kafka is an encode error naming the field, at flexible versions too', () => {
  for (const version of [8, 12]) {
    assert.throws(() => encodeMessage(MetadataRequest, version, { topics: [{ name: 'ok' }, { name: 'y'.repeat(40_000) }] }, new Writer()),
      { code: 'KWIRE_ERR_ENCODE', message: 'MetadataRequest.topics[1].name: a string of 40000 bytes is longer than Kafka reads (32767)' }, `v${version}`);
  }
});

test('an encode error names the field by its full path, through arrays and nested structs', () => {
  const partition = (fetchOffset: unknown) => ({ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 });
  const request = (bad: unknown) => ({
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'a', partitions: [partition(0n)] }, { topic: 'b', partitions: [partition(0n), partition(bad)] }],
    forgottenTopicsData: [], rackId: '',
  });
  for (const version of [4, 12]) {
    assert.throws(() => encodeMessage(FetchRequest, version, request(5) as never, new Writer()),
      { code: 'KWIRE_ERR_ENCODE', message: 'FetchRequest.topics[1].partitions[1].fetchOffset: int64 must be a bigint' }, `v${version}`);
    encodeMessage(FetchRequest, version, request(5n) as never, new Writer());
  }
  assert.throws(() => encodeMessage(FetchRequest, 12, { ...request(5n), topics: [{ topic: null, partitions: [] }] } as never, new Writer()),
    { message: 'FetchRequest.topics[0].topic: null is not allowed at this version' });
});
