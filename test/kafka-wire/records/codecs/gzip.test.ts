import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';

import { decodeGzip, encodeGzip } from '../../../../src/kafka-wire/records/codecs/gzip.js';
import { input, prng, structuredBytes, throwsCompression } from './support.js';

test('round trips at several levels, and several members decode as one stream', () => {
  const rnd = prng(10);
  for (const size of [0, 1, 1000, 200_000]) {
    const data = structuredBytes(rnd, size);
    for (const level of [undefined, 0, 1, 9]) {
      const z = encodeGzip(data, level === undefined ? {} : { level });
      assert.deepEqual([...z.subarray(0, 2)], [0x1f, 0x8b]);
      assert.ok(decodeGzip(z).equals(data), `size ${size} level ${level}`);
    }
  }
  const members = Buffer.concat([encodeGzip(Buffer.from('a')), encodeGzip(Buffer.from('b')), encodeGzip(Buffer.alloc(0))]);
  assert.equal(decodeGzip(members).toString(), 'ab');
});

test('raw deflate and zlib streams are rejected like Java does', () => {
  throwsCompression(() => decodeGzip(deflateSync(input('small.txt'))), 'corrupt');
  throwsCompression(() => decodeGzip(deflateRawSync(input('small.txt'))), 'corrupt');
});

test('corrupt and truncated members fail typed, with the zlib error as cause', () => {
  const z = gzipSync(input('json.jsonl'));
  const err = throwsCompression(() => decodeGzip(z.subarray(0, z.length - 10)), 'truncated');
  assert.equal(err.codec, 'gzip');
  assert.ok(err.cause instanceof Error);
  const flipped = Buffer.from(z);
  flipped[z.length - 6] = flipped[z.length - 6]! ^ 0xff; // CRC-32 trailer
  throwsCompression(() => decodeGzip(flipped), 'corrupt');
  throwsCompression(() => decodeGzip(new Uint8Array(0)), 'truncated');
  throwsCompression(() => decodeGzip(Buffer.concat([z, Buffer.from('trailing')])), 'corrupt');
  throwsCompression(() => encodeGzip(Buffer.alloc(1), { level: 42 }), 'unsupported');
});

test('maxOutputBytes maps zlib maxOutputLength onto the typed limit error', () => {
  const bomb = gzipSync(Buffer.alloc(8 << 20));
  assert.ok(bomb.length < 10_000);
  assert.equal(decodeGzip(bomb, { maxOutputBytes: 8 << 20 }).length, 8 << 20);
  const err = throwsCompression(() => decodeGzip(bomb, { maxOutputBytes: 1 << 20 }), 'limit');
  assert.equal(err.code, 'KWIRE_ERR_COMPRESSION_LIMIT');
  throwsCompression(() => decodeGzip(gzipSync(Buffer.from('x')), { maxOutputBytes: 0 }), 'limit');
  assert.equal(decodeGzip(gzipSync(Buffer.alloc(0)), { maxOutputBytes: 0 }).length, 0);
  // The default limit is 64 MiB.
  throwsCompression(() => decodeGzip(gzipSync(Buffer.alloc((64 << 20) + 1))), 'limit');
});
