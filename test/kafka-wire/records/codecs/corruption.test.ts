/**
 * Fuzzing the decoders with damaged input: every recorded vector (and our encoders' output) is cut
 * short and bit-flipped at many positions. Each attempt must either succeed or throw a
 * CompressionError (KafkaWireError, KWIRE_ERR_COMPRESSION or _LIMIT): never another exception
 * type, never a hang (each test has a timeout). A truncated input that still decodes must have
 * produced a prefix of the original (it was cut at a frame, member or chunk boundary).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CODEC, compress, decompress } from '../../../../src/kafka-wire/records/codecs/index.js';
import { expected, manifest, prng, structuredBytes, typedOutcome, vectorBytes, type Vector } from './support.js';

const LIMIT = { maxOutputBytes: 1 << 20 };
const TIMEOUT = { timeout: 60_000 };

/** Positions to damage: the whole header area, the tail, and seeded random ones. */
function positions(len: number, head: number, tail: number, random: number, seed: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < Math.min(head, len); i++) out.add(i);
  for (let i = Math.max(0, len - tail); i < len; i++) out.add(i);
  const rnd = prng(seed);
  for (let i = 0; i < random && len > 0; i++) out.add(Math.floor(rnd() * len));
  return [...out].sort((a, b) => a - b);
}

function checkTruncations(codec: number, bytes: Buffer, want: Buffer, opts: object, seed: number, what: string): void {
  for (const cut of positions(bytes.length, 24, 8, 24, seed)) {
    const out = typedOutcome(() => decompress(codec, bytes.subarray(0, cut), { ...LIMIT, ...opts }), `${what} cut at ${cut}`);
    if (Buffer.isBuffer(out)) {
      assert.ok(out.length <= want.length && want.subarray(0, out.length).equals(out), `${what} cut at ${cut}: decoded bytes are not a prefix`);
    }
  }
}

function checkBitFlips(codec: number, bytes: Buffer, opts: object, seed: number, what: string): void {
  const rnd = prng(seed ^ 0x5bd1e995);
  for (const pos of positions(bytes.length, 32, 8, 40, seed)) {
    const damaged = Buffer.from(bytes);
    const bit = Math.floor(rnd() * 8);
    damaged[pos] = damaged[pos]! ^ (1 << bit);
    typedOutcome(() => decompress(codec, damaged, { ...LIMIT, ...opts }), `${what} bit ${bit} of byte ${pos}`);
  }
}

const seen = new Set<string>();
const fuzzable = manifest.vectors.filter((v): v is Vector & { expect: readonly string[] } => {
  const key = v.file + JSON.stringify(v.options ?? {});
  if (v.expect === undefined || seen.has(key)) return false;
  seen.add(key);
  return true;
});

for (const codec of ['zstd', 'lz4', 'snappy', 'gzip'] as const) {
  describe(`damaged ${codec} vectors`, () => {
    for (const [i, v] of fuzzable.filter((x) => x.codec === codec).entries()) {
      test(`${v.file}: truncated and bit-flipped`, TIMEOUT, () => {
        const bytes = vectorBytes(v);
        checkTruncations(CODEC[codec], bytes, expected(v), v.options ?? {}, i + 1, v.file);
        checkBitFlips(CODEC[codec], bytes, v.options ?? {}, i + 1, v.file);
      });
    }
  });
}

test('damaged output of our encoders', TIMEOUT, () => {
  const data = structuredBytes(prng(13), 150_000);
  const payloads: [number, Buffer, string][] = [
    [CODEC.snappy, compress(CODEC.snappy, data), 'snappy xerial'],
    [CODEC.snappy, compress(CODEC.snappy, data, { snappyFraming: 'raw' }), 'snappy raw'],
    [CODEC.lz4, compress(CODEC.lz4, data, { lz4: { independentBlocks: false, contentSize: true } }), 'lz4 linked'],
    [CODEC.lz4, compress(CODEC.lz4, data, { lz4: { blockChecksum: true, contentChecksum: true } }), 'lz4 checksums'],
    [CODEC.zstd, compress(CODEC.zstd, data), 'zstd'],
  ];
  for (const [codec, bytes, what] of payloads) {
    checkTruncations(codec, bytes, data, {}, 99, what);
    checkBitFlips(codec, bytes, {}, 99, what);
  }
});

test('random multi-byte mutations of small payloads', TIMEOUT, () => {
  const rnd = prng(14);
  const small = manifest.vectors.filter((v) => v.expect !== undefined && vectorBytes(v).length < 2048);
  assert.ok(small.length >= 10);
  let failures = 0;
  let successes = 0;
  for (const v of small) {
    const bytes = vectorBytes(v);
    if (bytes.length === 0) continue;
    for (let round = 0; round < 300; round++) {
      let damaged = Buffer.from(bytes);
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const pos = Math.floor(rnd() * damaged.length);
        const kind = rnd();
        if (kind < 0.6) damaged[pos] = Math.floor(rnd() * 256);
        else if (kind < 0.8) damaged = Buffer.concat([damaged.subarray(0, pos), damaged.subarray(pos + 1)]);
        else damaged = Buffer.concat([damaged.subarray(0, pos), Uint8Array.of(Math.floor(rnd() * 256)), damaged.subarray(pos)]);
        if (damaged.length === 0) break;
      }
      const out = typedOutcome(() => decompress(CODEC[v.codec], damaged, { ...LIMIT, ...(v.options ?? {}) }), `${v.file} round ${round}`);
      if (Buffer.isBuffer(out)) successes++;
      else failures++;
    }
  }
  assert.ok(failures > successes, 'most mutations are detected');
});
