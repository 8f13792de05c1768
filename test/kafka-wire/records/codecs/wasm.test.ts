/**
 * lz4 frames decode, and lz4 and zstd checksums are computed, by the WebAssembly kernels
 * (wasm.ts, wasm/codecs.c) when the module loads, and in TypeScript otherwise. These tests run the
 * same inputs both ways (setWasm) and require the same bytes or the same typed failure: every
 * fixture, random frames of every encoder option, thousands of corruptions of Kafka-written
 * frames, and the hashes against the TypeScript ones at every length up to 300.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { CompressionError } from '../../../../src/kafka-wire/records/codecs/errors.js';
import { decodeLz4Frame, encodeLz4Frame, type Lz4DecodeOptions } from '../../../../src/kafka-wire/records/codecs/lz4.js';
import { xxHash64Low32 } from '../../../../src/kafka-wire/records/codecs/xxhash.js';
import { decodeZstd } from '../../../../src/kafka-wire/records/codecs/zstd.js';
import { decodeSnappy } from '../../../../src/kafka-wire/records/codecs/snappy.js';
import * as codecs from '../../../../src/kafka-wire/records/codecs/index.js';
import { setWasm, wasmLoaded, wasmXxh64Low32 } from '../../../../src/kafka-wire/records/codecs/wasm.js';
import { CODECS_WASM_BASE64, CODECS_WASM_SHA256 } from '../../../../src/kafka-wire/records/codecs/wasm/codecs-wasm.js';
import { FIXTURES, expected, manifest, prng, structuredBytes } from './support.js';

type Outcome = Buffer | { reason: string; code: string };

function outcome(input: Uint8Array, wasm: boolean, opts?: Lz4DecodeOptions): Outcome {
  setWasm(wasm);
  try {
    return decodeLz4Frame(input, opts);
  } catch (e) {
    assert.ok(e instanceof CompressionError, `untyped failure: ${String(e)}`);
    return { reason: e.reason, code: e.code };
  } finally {
    setWasm(true);
  }
}

function same(input: Uint8Array, what: string, opts?: Lz4DecodeOptions): Outcome {
  const w = outcome(input, true, opts);
  const t = outcome(input, false, opts);
  if (Buffer.isBuffer(w) && Buffer.isBuffer(t)) assert.ok(w.equals(t), `${what}: outputs differ`);
  else assert.deepEqual(w, t, what);
  return w;
}

test('the embedded module is the one build.sh recorded, and it is the path frames take', () => {
  const bytes = Buffer.from(CODECS_WASM_BASE64, 'base64');
  assert.equal(createHash('sha256').update(bytes).digest('hex'), CODECS_WASM_SHA256);
  assert.equal(wasmLoaded(), true, 'Node 20 has WebAssembly: the module must load');
  const frame = encodeLz4Frame(Buffer.from('abcdefgh'.repeat(100)));
  assert.ok(Buffer.isBuffer(same(frame, 'round trip')));
});

test('every lz4 fixture decodes to the same bytes or fails the same way on both paths', () => {
  let n = 0;
  for (const v of manifest.vectors) {
    if (v.codec !== 'lz4') continue;
    const input = readFileSync(join(FIXTURES, v.file));
    const got = same(input, v.file, v.options?.lz4HeaderChecksum === undefined ? undefined : { headerChecksum: v.options.lz4HeaderChecksum });
    if (v.expect !== undefined && v.error === undefined) assert.ok(Buffer.isBuffer(got) && got.equals(expected(v)), v.file);
    n++;
  }
  assert.ok(n >= 10);
});

test('random frames of every encoder option agree on both paths, also at tight output limits', () => {
  const rnd = prng(41);
  const options = [{}, { independentBlocks: false }, { blockChecksum: true, contentChecksum: true }, { contentSize: true, blockSizeCode: 5 as const }];
  for (const size of [0, 1, 15, 16, 17, 100, 4096, 65535, 65536, 65537, 300_000]) {
    const data = structuredBytes(rnd, size);
    for (const o of options) {
      const frame = encodeLz4Frame(data, o);
      const got = same(frame, `size ${size} ${JSON.stringify(o)}`);
      assert.ok(Buffer.isBuffer(got) && got.equals(data));
      if (size > 0) same(frame, `size ${size} limit`, { maxOutputBytes: size - 1 });
    }
  }
});

test('corrupted Kafka frames (bit flips, truncations, overwritten bytes) fail or decode alike on both paths', () => {
  const rnd = prng(42);
  const base = readFileSync(join(FIXTURES, 'kafka', 'json.lz4.m2.bin'));
  const small = encodeLz4Frame(structuredBytes(rnd, 3000));
  for (const frame of [base, small]) {
    for (let i = 0; i < 1500; i++) {
      const bad = Buffer.from(frame);
      const at = Math.floor(rnd() * bad.length);
      if (i % 3 === 0) bad[at] = bad[at]! ^ (1 << Math.floor(rnd() * 8));
      else if (i % 3 === 1) bad[at] = Math.floor(rnd() * 256);
      const input = i % 3 === 2 ? frame.subarray(0, at) : bad;
      same(input, `mutation ${i} at ${at}`, { headerChecksum: 'ignore' });
    }
  }
});

test('XXH64 in the module equals the TypeScript one at every length and offset', () => {
  const rnd = prng(43);
  const data = structuredBytes(rnd, 5000);
  for (let len = 0; len <= 300; len++) {
    for (const start of [0, 1, 7]) assert.equal(wasmXxh64Low32(data, start, start + len), xxHash64Low32(data, start, start + len), `len ${len} at ${start}`);
  }
  const big = structuredBytes(rnd, 1_000_003);
  assert.equal(wasmXxh64Low32(big, 0, big.length), xxHash64Low32(big));
});

test('every zstd fixture decodes to the same bytes or fails the same way with and without the module', () => {
  let n = 0;
  for (const v of manifest.vectors) {
    if (v.codec !== 'zstd') continue;
    const input = readFileSync(join(FIXTURES, v.file));
    const run = (wasm: boolean, bytes = input): Outcome => {
      setWasm(wasm);
      try {
        return decodeZstd(bytes);
      } catch (e) {
        assert.ok(e instanceof CompressionError, `untyped failure: ${String(e)}`);
        return { reason: e.reason, code: e.code };
      } finally {
        setWasm(true);
      }
    };
    const w = run(true);
    const t = run(false);
    if (Buffer.isBuffer(w) && Buffer.isBuffer(t)) assert.ok(w.equals(t), v.file);
    else assert.deepEqual(w, t, v.file);
    // A flipped checksum byte (the last 4 bytes of a single frame) must fail on both paths.
    if (Buffer.isBuffer(w) && v.file.endsWith('.zst') && !/nocheck|multi|skippable/.test(v.file) && (input[4]! & 4) !== 0) {
      const bad = Buffer.from(input);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
      for (const wasm of [true, false]) assert.deepEqual(run(wasm, bad), { reason: 'checksum', code: 'KWIRE_ERR_COMPRESSION' }, v.file);
    }
    n++;
  }
  assert.ok(n >= 15);
});

test('corrupted zstd frames (bit flips, truncations, overwritten bytes) fail or decode alike with and without the module', () => {
  const rnd = prng(44);
  const run = (bytes: Uint8Array, wasm: boolean): Outcome => {
    setWasm(wasm);
    try {
      return decodeZstd(bytes);
    } catch (e) {
      assert.ok(e instanceof CompressionError, `untyped failure: ${String(e)}`);
      return { reason: e.reason, code: e.code };
    } finally {
      setWasm(true);
    }
  };
  for (const file of ['kafka/json.zstd.m2.bin', 'kafka/binary.zstd.m2.l-5.bin', 'zstd/text.19.zst', 'zstd/json.3.zst']) {
    const frame = readFileSync(join(FIXTURES, file));
    for (let i = 0; i < 600; i++) {
      const bad = Buffer.from(frame);
      const at = Math.floor(rnd() * bad.length);
      if (i % 3 === 0) bad[at] = bad[at]! ^ (1 << Math.floor(rnd() * 8));
      else if (i % 3 === 1) bad[at] = Math.floor(rnd() * 256);
      const input = i % 3 === 2 ? frame.subarray(0, at) : bad;
      const w = run(input, true);
      const t = run(input, false);
      if (Buffer.isBuffer(w) && Buffer.isBuffer(t)) assert.ok(w.equals(t), `${file} mutation ${i}`);
      else assert.deepEqual(w, t, `${file} mutation ${i} at ${at}`);
    }
  }
});

test('snappy: every fixture and thousands of corruptions decode or fail alike with and without the module', () => {
  const rnd = prng(45);
  const run = (bytes: Uint8Array, wasm: boolean): Outcome => {
    setWasm(wasm);
    try {
      return decodeSnappy(bytes);
    } catch (e) {
      assert.ok(e instanceof CompressionError, `untyped failure: ${String(e)}`);
      return { reason: e.reason, code: e.code };
    } finally {
      setWasm(true);
    }
  };
  const check = (input: Uint8Array, what: string): void => {
    const w = run(input, true);
    const t = run(input, false);
    if (Buffer.isBuffer(w) && Buffer.isBuffer(t)) assert.ok(w.equals(t), what);
    else assert.deepEqual(w, t, what);
  };
  for (const v of manifest.vectors) if (v.codec === 'snappy') check(readFileSync(join(FIXTURES, v.file)), v.file);
  for (const file of ['kafka/json.snappy.m2.bin', 'snappy/text.raw.snappy', 'snappy/binary.raw.snappy']) {
    const frame = readFileSync(join(FIXTURES, file));
    for (let i = 0; i < 600; i++) {
      const bad = Buffer.from(frame);
      const at = Math.floor(rnd() * bad.length);
      if (i % 3 === 0) bad[at] = bad[at]! ^ (1 << Math.floor(rnd() * 8));
      else if (i % 3 === 1) bad[at] = Math.floor(rnd() * 256);
      check(i % 3 === 2 ? frame.subarray(0, at) : bad, `${file} mutation ${i} at ${at}`);
    }
  }
});

test('an alloc callback that decompresses meanwhile gets the TypeScript path and both outputs are right', () => {
  const { decompress, CODEC } = codecs;
  const rnd = prng(46);
  const outer = structuredBytes(rnd, 150_000);
  const inner = structuredBytes(rnd, 90_000);
  for (const codec of [CODEC.snappy, CODEC.lz4, CODEC.zstd]) {
    const outerPacked = codec === CODEC.zstd ? readFileSync(join(FIXTURES, 'kafka', 'json.zstd.m2.bin')) : codecs.compress(codec, outer);
    const outerPlain = codec === CODEC.zstd ? expected(manifest.vectors.find((v) => v.file === 'kafka/json.zstd.m2.bin')!) : outer;
    const innerPacked = codecs.compress(codec === CODEC.zstd ? CODEC.lz4 : codec, inner);
    let innerOut: Buffer | undefined;
    const got = decompress(codec, outerPacked, {
      alloc: (n) => {
        innerOut = decompress(codec === CODEC.zstd ? CODEC.lz4 : codec, innerPacked);
        return Buffer.allocUnsafe(n);
      },
    });
    assert.ok(got.equals(outerPlain), `codec ${codec}: outer output`);
    assert.ok(innerOut?.equals(inner) === true, `codec ${codec}: inner output`);
    // And the module is free again afterwards.
    assert.ok(decompress(codec, outerPacked).equals(outerPlain));
  }
});
