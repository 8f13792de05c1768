import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkaWireError, MalformedError, ShortInputError } from '../../../src/kafka-wire/errors.js';
import { Reader } from '../../../src/kafka-wire/primitives/reader.js';
import { Writer } from '../../../src/kafka-wire/primitives/writer.js';
import { Rng } from '../../support/random.js';

test('unsigned varints match the protobuf/Kafka byte layout', () => {
  const cases: Array<[number, string]> = [
    [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16384, '808001'], [0xffffffff, 'ffffffff0f'],
  ];
  for (const [v, hex] of cases) {
    assert.equal(new Writer().uvarint(v).finish().toString('hex'), hex, `encode ${v}`);
    assert.equal(new Reader(Buffer.from(hex, 'hex')).uvarint(), v, `decode ${hex}`);
  }
});

test('zigzag varint and varlong round-trip at the edges', () => {
  for (const v of [0, -1, 1, -64, 63, 64, -65, 2147483647, -2147483648]) {
    assert.equal(new Reader(new Writer().varint(v).finish()).varint(), v);
  }
  assert.equal(new Writer().varint(-1).finish().toString('hex'), '01');
  assert.equal(new Writer().varint(1).finish().toString('hex'), '02');
  for (const v of [0n, -1n, 1n, 9223372036854775807n, -9223372036854775808n, 1700000000000n, -1700000000000n]) {
    assert.equal(new Reader(new Writer().varlong(v).finish()).varlong(), v);
  }
  const rng = new Rng(7);
  for (let i = 0; i < 2000; i++) {
    const v = rng.int64();
    assert.equal(new Reader(new Writer().varlong(v).finish()).varlong(), v);
  }
});

test('strings, bytes and arrays in classic and compact forms', () => {
  const w = new Writer(4);
  w.nullableString('héllo').nullableString(null).compactNullableString('abc').compactNullableString(null);
  w.nullableBytes(Buffer.from([1, 2])).nullableBytes(null).compactNullableBytes(Buffer.alloc(0)).compactNullableBytes(null);
  w.arrayLength(3, false).arrayLength(2, true).uuid('AAECAwQFBgcICQoLDA0ODw');
  const r = new Reader(w.finish());
  assert.equal(r.nullableString(), 'héllo');
  assert.equal(r.nullableString(), null);
  assert.equal(r.compactNullableString(), 'abc');
  assert.equal(r.compactNullableString(), null);
  assert.deepEqual([...r.nullableBytes()!], [1, 2]);
  assert.equal(r.nullableBytes(), null);
  assert.equal(r.compactNullableBytes()!.length, 0);
  assert.equal(r.compactNullableBytes(), null);
  assert.equal(r.arrayLength(false, 0), 3);
  assert.equal(r.arrayLength(true, 0), 2);
  assert.equal(r.uuid(), 'AAECAwQFBgcICQoLDA0ODw');
  assert.equal(r.remaining, 0);
});

test('bytes are views of the input, not copies', () => {
  const buf = Buffer.from('0000000301020300', 'hex');
  const b = new Reader(buf).nullableBytes()!;
  assert.equal(b.buffer, buf.buffer);
  assert.equal(b.byteOffset, buf.byteOffset + 4);
});

test('hostile lengths fail with typed errors before allocating', () => {
  assert.throws(() => new Reader(Buffer.from('7fff', 'hex')).nullableString(), ShortInputError);
  assert.throws(() => new Reader(Buffer.from('fffe', 'hex')).nullableString(), MalformedError);
  assert.throws(() => new Reader(Buffer.from('7fffffff00', 'hex')).nullableBytes(), ShortInputError);
  assert.throws(() => new Reader(Buffer.from('fffffffe', 'hex')).nullableBytes(), MalformedError);
  assert.throws(() => new Reader(Buffer.from('7fffffff', 'hex')).arrayLength(false, 1), ShortInputError);
  assert.throws(() => new Reader(Buffer.from('ffffffffffff', 'hex')).uvarint(), MalformedError);
  assert.throws(() => new Reader(Buffer.from('ff', 'hex')).uvarint(), ShortInputError);
  assert.throws(() => new Reader(Buffer.from('0102', 'hex')).int32(), (e: unknown) => e instanceof KafkaWireError && e.code === 'KWIRE_ERR_SHORT_INPUT');
});

test('a string longer than Kafka reads (32,767 bytes) is refused in both forms, before any byte of it is written', () => {
  for (const compact of [false, true]) {
    const w = new Writer();
    const put = (s: string) => (compact ? w.compactNullableString(s) : w.nullableString(s));
    put('x'.repeat(32_767));
    const at = w.pos;
    assert.throws(() => put('x'.repeat(32_768)), { code: 'KWIRE_ERR_ENCODE', message: 'a string of 32768 bytes is longer than Kafka reads (32767)' });
    assert.throws(() => put('é'.repeat(16_384)), { code: 'KWIRE_ERR_ENCODE' }, 'bytes, not characters');
    assert.equal(w.pos, at);
    const r = new Reader(w.finish());
    assert.equal(compact ? r.compactNullableString() : r.nullableString(), 'x'.repeat(32_767));
  }
});

test('writer grows and back-patches a length prefix', () => {
  const w = new Writer(2);
  const at = w.reserveInt32();
  w.raw(Buffer.alloc(1000, 7));
  w.patchInt32(at, w.pos - at - 4);
  const out = w.finish();
  assert.equal(out.readInt32BE(0), 1000);
  assert.equal(out.length, 1004);
});
