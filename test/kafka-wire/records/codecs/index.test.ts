import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CODEC,
  compress,
  CompressionError,
  decompress,
  DEFAULT_MAX_OUTPUT_BYTES,
  KWIRE_ERR_COMPRESSION,
  KWIRE_ERR_COMPRESSION_LIMIT,
} from '../../../../src/kafka-wire/records/codecs/index.js';
import { KafkaWireError } from '../../../../src/kafka-wire/errors.js';
import { input, prng, structuredBytes, throwsCompression } from './support.js';

test('codec ids are the attribute values of record-format.md', () => {
  assert.deepEqual(CODEC, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });
  assert.equal(DEFAULT_MAX_OUTPUT_BYTES, 64 * 1024 * 1024);
  assert.equal(KWIRE_ERR_COMPRESSION, 'KWIRE_ERR_COMPRESSION');
  assert.equal(KWIRE_ERR_COMPRESSION_LIMIT, 'KWIRE_ERR_COMPRESSION_LIMIT');
});

test('compress/decompress round-trip for every codec, Buffers out', () => {
  const rnd = prng(12);
  for (const size of [0, 1, 100, 70_000, 300_000]) {
    const data = structuredBytes(rnd, size);
    for (const [name, id] of Object.entries(CODEC)) {
      const packed = compress(id, data);
      assert.ok(Buffer.isBuffer(packed), name);
      const out = decompress(id, packed);
      assert.ok(Buffer.isBuffer(out), name);
      assert.ok(out.equals(data), `${name} ${size}`);
    }
  }
  const text = input('text.txt');
  assert.ok(decompress(CODEC.snappy, compress(CODEC.snappy, text, { snappyFraming: 'raw' })).equals(text));
  assert.ok(decompress(CODEC.lz4, compress(CODEC.lz4, text, { lz4: { blockSizeCode: 7 } })).equals(text));
  assert.ok(decompress(CODEC.gzip, compress(CODEC.gzip, text, { gzipLevel: 1 })).equals(text));
  // snappy defaults to the xerial framing Java clients write.
  assert.equal(compress(CODEC.snappy, text)[0], 0x82);
});

test('codec 0 returns a view of the input without copying', () => {
  const data = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 4);
  const out = decompress(CODEC.none, data);
  assert.equal(out.buffer, data.buffer);
  assert.equal(out.byteOffset, 1);
  assert.deepEqual([...out], [2, 3, 4]);
  throwsCompression(() => decompress(CODEC.none, data, { maxOutputBytes: 2 }), 'limit');
});

test('unknown codec ids 5-7 fail typed', () => {
  for (const id of [5, 6, 7, -1]) {
    const err = throwsCompression(() => decompress(id, new Uint8Array(1)), 'unsupported');
    assert.ok(err instanceof KafkaWireError);
    assert.equal(err.code, KWIRE_ERR_COMPRESSION);
    throwsCompression(() => compress(id, new Uint8Array(1)), 'unsupported');
  }
});

test('options pass through: maxOutputBytes for every codec, lz4 header policy, checksum verification', () => {
  const data = Buffer.alloc(100_000, 7);
  for (const id of [CODEC.gzip, CODEC.snappy, CODEC.lz4, CODEC.zstd]) {
    const packed = compress(id, data);
    assert.equal(decompress(id, packed, { maxOutputBytes: 100_000 }).length, 100_000);
    const err = throwsCompression(() => decompress(id, packed, { maxOutputBytes: 99_999 }), 'limit');
    assert.ok(err instanceof CompressionError);
    assert.equal(err.code, KWIRE_ERR_COMPRESSION_LIMIT);
  }
  const legacy = compress(CODEC.lz4, data, { lz4: { legacyHeaderChecksum: true } });
  assert.equal(decompress(CODEC.lz4, legacy).length, 100_000);
  throwsCompression(() => decompress(CODEC.lz4, legacy, { lz4HeaderChecksum: 'strict' }), 'checksum');
  const checked = Buffer.from(compress(CODEC.lz4, data, { lz4: { contentChecksum: true } }));
  checked[checked.length - 1] = checked[checked.length - 1]! ^ 1;
  throwsCompression(() => decompress(CODEC.lz4, checked), 'checksum');
  assert.equal(decompress(CODEC.lz4, checked, { verifyChecksums: false }).length, 100_000);
  assert.equal(decompress(CODEC.gzip, compress(CODEC.gzip, data), { maxOutputBytes: undefined }).length, 100_000);
});
