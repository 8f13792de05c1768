import assert from 'node:assert/strict';
import { test } from 'node:test';

import { xxHash32, xxHash64, xxHash64Low32 } from '../../../../src/kafka-wire/records/codecs/xxhash.js';
import { input, manifest, prng, randomBytes } from './support.js';

test('xxHash32/xxHash64 of every recorded input match xxhsum 0.8.1 (manifest)', () => {
  for (const [name, meta] of Object.entries(manifest.inputs)) {
    const b = input(name);
    assert.equal(xxHash32(b).toString(16).padStart(8, '0'), meta.xxh32, name);
    assert.equal(xxHash64(b).toString(16).padStart(16, '0'), meta.xxh64, name);
    assert.equal(xxHash64Low32(b), Number(BigInt.asUintN(32, xxHash64(b))), name);
  }
});

// Seeded values computed with PyPI xxhash 4.1.0 (the C library's Python binding) over
// data[i] = (i * 31 + 7) & 0xFF, for the lengths that hit each code path (tail bytes, tail words,
// one stripe, stripes + tail).
const data = Uint8Array.from({ length: 101 }, (_, i) => (i * 31 + 7) & 0xff);

test('xxHash32 with seeds, every length class', () => {
  const cases: [number, number, number][] = [
    [0, 0, 0x02cc5d05],
    [0, 3, 0xaca17380],
    [0, 16, 0x3f6c9665],
    [0, 31, 0x00f1525c],
    [0, 101, 0xa876209d],
    [1, 0, 0x0b2cb792],
    [1, 32, 0xd1cd5a82],
    [0x9e3779b1, 3, 0xed8936d0],
    [0x9e3779b1, 101, 0xe86e605a],
    [0xffffffff, 16, 0x5e5392e1],
    [0xffffffff, 101, 0xa214a36f],
  ];
  for (const [seed, len, want] of cases) {
    assert.equal(xxHash32(data.subarray(0, len), seed), want, `seed ${seed} len ${len}`);
  }
});

test('xxHash64 with seeds, every length class', () => {
  const cases: [bigint, number, bigint][] = [
    [0n, 0, 0xef46db3751d8e999n],
    [0n, 3, 0x56e6957632a487f9n],
    [0n, 8, 0x3da5c7aa269683e0n],
    [0n, 31, 0x4a74f3a1a39ad4a1n],
    [0n, 32, 0x8d57d6a4671cc43dn],
    [0n, 101, 0xfbfdf3fa1a53bc7fn],
    [1n, 31, 0xd7ac4f4bea4e460an],
    [1n, 101, 0x7e6a076969c6fd6en],
    [0x9e3779b185ebca87n, 8, 0xcb4a80ecc7a094c6n],
    [0x9e3779b185ebca87n, 32, 0xf113d2457128cf6dn],
    [0xffffffffffffffffn, 0, 0x298f4c84b24f5380n],
    [0xffffffffffffffffn, 101, 0xaedeba8adeff3a96n],
    [-1n, 101, 0xaedeba8adeff3a96n], // seeds are taken modulo 2^64
  ];
  for (const [seed, len, want] of cases) {
    assert.equal(xxHash64(data.subarray(0, len), seed), want, `seed ${seed} len ${len}`);
  }
});

test('start/end ranges hash the same as a copy of the range', () => {
  const rnd = prng(11);
  const b = randomBytes(rnd, 5000);
  for (let i = 0; i < 200; i++) {
    const start = Math.floor(rnd() * 5000);
    const end = start + Math.floor(rnd() * (5000 - start));
    const copy = Uint8Array.from(b.subarray(start, end));
    assert.equal(xxHash32(b, 7, start, end), xxHash32(copy, 7));
    assert.equal(xxHash64(b, 7n, start, end), xxHash64(copy, 7n));
    assert.equal(xxHash64Low32(b, start, end), xxHash64Low32(copy));
  }
});
