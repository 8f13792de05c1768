/**
 * Every recorded vector of test/fixtures/codecs (zstd/lz4/gzip CLIs, Google snappy and Rust snap
 * through python-snappy, and the Apache Kafka 3.9.2 Java client itself) decodes to exactly its
 * recorded input, or fails with the recorded typed error.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { CODEC, decompress } from '../../../../src/kafka-wire/records/codecs/index.js';
import { decodeGzip } from '../../../../src/kafka-wire/records/codecs/gzip.js';
import { decodeLz4Frame } from '../../../../src/kafka-wire/records/codecs/lz4.js';
import { decodeSnappy } from '../../../../src/kafka-wire/records/codecs/snappy.js';
import { decodeZstd } from '../../../../src/kafka-wire/records/codecs/zstd.js';
import { expected, input, manifest, throwsCompression, vectorBytes, type Vector } from './support.js';

const direct: Record<Vector['codec'], (b: Uint8Array, o?: Vector['options']) => Buffer> = {
  gzip: (b) => decodeGzip(b),
  snappy: (b) => decodeSnappy(b),
  lz4: (b, o) => decodeLz4Frame(b, o?.lz4HeaderChecksum === undefined ? {} : { headerChecksum: o.lz4HeaderChecksum }),
  zstd: (b) => decodeZstd(b),
};

test('the recorded inputs are the ones the vectors were made from (sha256)', () => {
  for (const [name, meta] of Object.entries(manifest.inputs)) {
    const b = input(name);
    assert.equal(b.length, meta.bytes, name);
    assert.equal(createHash('sha256').update(b).digest('hex'), meta.sha256, name);
  }
});

test('the fixture set covers what the codecs must handle', () => {
  const files = new Set(manifest.vectors.map((v) => v.file));
  for (const f of [
    'zstd/text.19.zst', // high level, Huffman + FSE tables, several blocks
    'zstd/json.ultra22.zst',
    'zstd/text.stdin.zst', // no Frame_Content_Size
    'zstd/binary.long279.zst', // long-distance matches across blocks
    'zstd/multi.zst',
    'zstd/skippable.zst',
    'zstd/small.dict.zst',
    'lz4/text.b4.linked.lz4',
    'lz4/json.fast4.b6.blockcrc.size.lz4',
    'lz4/json.brokenhc.lz4',
    'kafka/json.lz4.m0.bin', // Kafka's own broken magic-0 header checksum
    'kafka/json.snappy.m2.bin', // xerial framing from snappy-java
    'kafka/json.zstd.m2.bin', // zstd-jni streaming frame
    'snappy/json.raw.snappy',
    'gzip/multi.gz',
  ]) {
    assert.ok(files.has(f), f);
  }
  assert.ok(input('text.txt').length > 128 * 1024, 'inputs span several 128 KiB zstd blocks');
});

for (const codec of ['zstd', 'lz4', 'snappy', 'gzip'] as const) {
  describe(`${codec} vectors`, () => {
    for (const v of manifest.vectors.filter((x) => x.codec === codec)) {
      const label = `${v.file}${v.options ? ` ${JSON.stringify(v.options)}` : ''} (${v.tool})`;
      if (v.expect !== undefined) {
        test(`${label} decodes to ${v.expect.join(' + ')}`, () => {
          const want = expected(v);
          const bytes = vectorBytes(v);
          const viaIndex = decompress(CODEC[codec], bytes, v.options ?? {});
          assert.ok(Buffer.isBuffer(viaIndex));
          assert.equal(viaIndex.length, want.length);
          assert.ok(viaIndex.equals(want), 'decompress() output differs');
          assert.ok(direct[codec](bytes, v.options).equals(want), 'codec function output differs');
        });
      } else {
        test(`${label} fails with ${v.error}`, () => {
          const bytes = vectorBytes(v);
          const err = throwsCompression(() => decompress(CODEC[codec], bytes, v.options ?? {}), v.error === 'any' ? undefined : v.error, v.file);
          assert.equal(err.codec, codec);
          assert.equal(err.code, v.error === 'limit' ? 'KWIRE_ERR_COMPRESSION_LIMIT' : 'KWIRE_ERR_COMPRESSION');
        });
      }
    }
  });
}

test('lz4 header checksum policy: broken magic-0 HC accepted by either/ignore, rejected by strict', () => {
  for (const file of ['lz4/json.brokenhc.lz4', 'kafka/json.lz4.m0.bin']) {
    const v = manifest.vectors.find((x) => x.file === file && x.expect !== undefined);
    assert.ok(v);
    const bytes = vectorBytes(v);
    assert.equal(bytes[6], 0x1a, 'the broken HC of FLG 0x60 BD 0x40 (record-format.md)');
    const want = expected(v);
    assert.ok(decodeLz4Frame(bytes).equals(want), 'default is either');
    assert.ok(decodeLz4Frame(bytes, { headerChecksum: 'either' }).equals(want));
    assert.ok(decodeLz4Frame(bytes, { headerChecksum: 'ignore' }).equals(want));
    const err = throwsCompression(() => decodeLz4Frame(bytes, { headerChecksum: 'strict' }), 'checksum');
    assert.equal(err.offset, 6);
  }
  // What Java writes for magic 1/2 has the correct HC 0x82 and passes strict.
  const java = vectorBytes(manifest.vectors.find((x) => x.file === 'kafka/json.lz4.m2.bin')!);
  assert.deepEqual([...java.subarray(0, 7)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
  assert.ok(decodeLz4Frame(java, { headerChecksum: 'strict' }).equals(input('json.jsonl')));
});

test('zstd-jni frames (what Kafka producers send) have no content size and end with an empty raw block', () => {
  const b = vectorBytes(manifest.vectors.find((x) => x.file === 'kafka/json.zstd.m2.bin')!);
  assert.equal(b.readUInt32LE(0), 0xfd2fb528);
  assert.equal(b[4]! >>> 6, 0, 'no Frame_Content_Size');
  assert.equal(b[4]! & 0x20, 0, 'not single segment');
  assert.deepEqual([...b.subarray(b.length - 3)], [0x01, 0x00, 0x00], 'last empty raw block');
});
