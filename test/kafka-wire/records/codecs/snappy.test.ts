import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  decodeSnappy,
  decodeSnappyRaw,
  encodeSnappyRaw,
  encodeSnappyXerial,
  XERIAL_DEFAULT_BLOCK_SIZE,
} from '../../../../src/kafka-wire/records/codecs/snappy.js';
import { input, prng, randomBytes, structuredBytes, throwsCompression } from './support.js';

const XERIAL_HEADER = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1];

const SIZES = [0, 1, 2, 3, 4, 5, 59, 60, 61, 255, 256, 257, 4095, 65535, 65536, 65537, 100_000, 300_000];

test('raw blocks round-trip over seeded random inputs', () => {
  const rnd = prng(1);
  for (const size of SIZES) {
    for (const gen of [structuredBytes, randomBytes]) {
      const data = gen(rnd, size);
      const packed = encodeSnappyRaw(data);
      assert.ok(decodeSnappyRaw(packed).equals(data), `raw ${gen.name} ${size}`);
      assert.ok(decodeSnappy(packed).equals(data), `auto-detected raw ${gen.name} ${size}`);
      assert.ok(packed.length <= 32 + size + Math.floor(size / 6), 'within snappy MaxCompressedLength');
    }
  }
});

test('xerial streams round-trip and are framed like snappy-java', () => {
  const rnd = prng(2);
  for (const size of SIZES) {
    const data = structuredBytes(rnd, size);
    const framed = encodeSnappyXerial(data);
    assert.deepEqual([...framed.subarray(0, 16)], XERIAL_HEADER);
    assert.ok(decodeSnappy(framed).equals(data), `xerial ${size}`);
    // Chunks: int32 BE length + raw block of at most 32 KiB of input each.
    let pos = 16;
    let chunks = 0;
    while (pos < framed.length) {
      const len = framed.readInt32BE(pos);
      const block = framed.subarray(pos + 4, pos + 4 + len);
      assert.ok(decodeSnappyRaw(block).length <= XERIAL_DEFAULT_BLOCK_SIZE);
      pos += 4 + len;
      chunks++;
    }
    assert.equal(pos, framed.length);
    assert.equal(chunks, Math.ceil(size / XERIAL_DEFAULT_BLOCK_SIZE));
  }
  const small = encodeSnappyXerial(input('text.txt'), 1000);
  assert.ok(decodeSnappy(small).equals(input('text.txt')), 'custom block size');
});

test('the encoder finds matches (ratio on text and zeros)', () => {
  assert.ok(encodeSnappyRaw(input('text.txt')).length < input('text.txt').length * 0.7);
  assert.ok(encodeSnappyRaw(Buffer.alloc(100_000)).length < 5000);
});

// Hand-assembled blocks following format_description.txt, one element kind at a time.
test('decodes every element kind, including overlapping copies', () => {
  // 'a' 'b' then copy1 offset 2 len 8 -> "ab" + "abababab"
  assert.equal(decodeSnappyRaw(Uint8Array.of(10, 0x04, 0x61, 0x62, 0x01 | (4 << 2), 2)).toString(), 'ababababab');
  // copy2 offset 1 len 5 after 'x'
  assert.equal(decodeSnappyRaw(Uint8Array.of(6, 0x00, 0x78, 0x02 | (4 << 2), 1, 0)).toString(), 'xxxxxx');
  // copy4 offset 3 len 3 after "abc"
  assert.equal(decodeSnappyRaw(Uint8Array.of(6, 0x08, 0x61, 0x62, 0x63, 0x03 | (2 << 2), 3, 0, 0, 0)).toString(), 'abcabc');
  // copy1 with offset bits 8..10 in the tag: offset 0x105 = 261, len 4
  const lit = Buffer.alloc(261, 0x41);
  lit[0] = 0x42;
  // preamble 265 = varint 89 02; a 261-byte literal needs tag 61 (two length bytes, 260 = 0x104).
  const block = Buffer.concat([Uint8Array.of(0x89, 0x02, 61 << 2, 0x04, 0x01), lit, Uint8Array.of(0x01 | (1 << 5), 0x05)]);
  const out = decodeSnappyRaw(block);
  assert.equal(out.length, 265);
  assert.equal(out[261], 0x42);
  // Literal lengths with 1, 2, 3 and 4 extra bytes (tags 60..63).
  for (const [tag, bytes] of [
    [60, [99]],
    [61, [99, 0]],
    [62, [99, 0, 0]],
    [63, [99, 0, 0, 0]],
  ] as const) {
    const body = Buffer.alloc(100, tag);
    const b = Buffer.concat([Uint8Array.of(100, tag << 2, ...bytes), body]);
    assert.ok(decodeSnappyRaw(b).equals(body), `tag ${tag}`);
  }
});

test('xerial: a second header mid-stream (concatenated streams) and an empty stream', () => {
  const a = encodeSnappyXerial(Buffer.from('hello '));
  const b = encodeSnappyXerial(Buffer.from('world'));
  assert.equal(decodeSnappy(Buffer.concat([a, b])).toString(), 'hello world');
  assert.equal(decodeSnappy(Uint8Array.from(XERIAL_HEADER)).length, 0);
});

test('corrupt and truncated raw blocks fail with typed errors', () => {
  throwsCompression(() => decodeSnappy(new Uint8Array(0)), 'truncated');
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)), 'corrupt'); // > 5 varint bytes
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f)), 'corrupt'); // > 2^32-1
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(5, 0x10, 0x61)), 'truncated'); // literal past the end
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(1, 0x04, 0x61, 0x62)), 'corrupt'); // literal over declared
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(5, 0x00, 0x61, 0x01, 0)), 'corrupt'); // offset 0
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(5, 0x00, 0x61, 0x01, 2)), 'corrupt'); // before start
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(3, 0x00, 0x61, 0x01, 1)), 'corrupt'); // copy over declared
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(3, 0x00, 0x61)), 'truncated'); // fewer bytes than declared
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(9, 0x00, 0x61, 0x02, 1)), 'truncated'); // copy2 cut
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(9, 0x00, 0x61, 0x03, 1, 0, 0)), 'truncated'); // copy4 cut
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(9, 0xf0)), 'truncated'); // literal length cut
});

test('corrupt and truncated xerial streams fail with typed errors', () => {
  const good = encodeSnappyXerial(input('small.txt'));
  throwsCompression(() => decodeSnappy(good.subarray(0, 10)), 'truncated'); // header cut
  throwsCompression(() => decodeSnappy(good.subarray(0, 18)), 'truncated'); // chunk length cut
  throwsCompression(() => decodeSnappy(good.subarray(0, good.length - 1)), 'truncated');
  const negative = Buffer.from(good);
  negative.writeInt32BE(-5, 16);
  throwsCompression(() => decodeSnappy(negative), 'corrupt');
  const long = Buffer.from(good);
  long.writeInt32BE(good.length, 16);
  throwsCompression(() => decodeSnappy(long), 'truncated');
});

test('maxOutputBytes: declared lengths are checked before allocating, bombs fail typed', () => {
  const zeros = encodeSnappyRaw(Buffer.alloc(1 << 20));
  assert.equal(decodeSnappy(zeros, { maxOutputBytes: 1 << 20 }).length, 1 << 20);
  const err = throwsCompression(() => decodeSnappy(zeros, { maxOutputBytes: (1 << 20) - 1 }), 'limit');
  assert.equal(err.code, 'KWIRE_ERR_COMPRESSION_LIMIT');
  // A 4 GiB - 1 declared length in 5 bytes must not allocate.
  throwsCompression(() => decodeSnappyRaw(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00)), 'limit');
  const bomb = encodeSnappyXerial(Buffer.alloc(8 << 20));
  assert.ok(bomb.length < (8 << 20) / 15);
  throwsCompression(() => decodeSnappy(bomb, { maxOutputBytes: 1 << 20 }), 'limit');
  throwsCompression(() => decodeSnappy(bomb, { maxOutputBytes: -1 }), 'unsupported');
});
