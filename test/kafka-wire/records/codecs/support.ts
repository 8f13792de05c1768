/**
 * Shared helpers of the codec tests: the recorded fixtures of test/fixtures/codecs (see its
 * README.md), a seeded PRNG, and an assertion that a failure is one of our typed errors.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { KafkaWireError } from '../../../../src/kafka-wire/errors.js';
import { CompressionError } from '../../../../src/kafka-wire/records/codecs/errors.js';

export interface Vector {
  readonly file: string;
  readonly codec: 'gzip' | 'snappy' | 'lz4' | 'zstd';
  readonly tool: string;
  readonly command: string;
  /** Names of inputs whose concatenation is the expected output. */
  readonly expect?: readonly string[];
  /** Expected failure reason, or 'any' for "some CompressionError". */
  readonly error?: string;
  readonly options?: { readonly lz4HeaderChecksum?: 'strict' | 'either' | 'ignore' };
  readonly note?: string;
}

export interface Manifest {
  readonly tools: Record<string, string>;
  readonly inputs: Record<string, { bytes: number; sha256: string; xxh32: string; xxh64: string }>;
  readonly vectors: readonly Vector[];
}

function findFixtures(): string {
  // dist/test/kafka-wire/records/codecs -> repo root is five levels up; fall back to the cwd.
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here, i = 0; i < 8; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', 'codecs');
    if (existsSync(join(candidate, 'manifest.json'))) return candidate;
  }
  const cwd = join(process.cwd(), 'test', 'fixtures', 'codecs');
  if (existsSync(join(cwd, 'manifest.json'))) return cwd;
  throw new Error('test/fixtures/codecs/manifest.json not found');
}

export const FIXTURES = findFixtures();
export const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;

const inputCache = new Map<string, Buffer>();

/** One of the plain inputs under test/fixtures/codecs/inputs. */
export function input(name: string): Buffer {
  let b = inputCache.get(name);
  if (b === undefined) {
    b = readFileSync(join(FIXTURES, 'inputs', name));
    inputCache.set(name, b);
  }
  return b;
}

/** The compressed bytes of a vector. */
export function vectorBytes(v: Vector): Buffer {
  return readFileSync(join(FIXTURES, v.file));
}

/** The expected decompressed bytes of a vector. */
export function expected(v: Vector): Buffer {
  assert.ok(v.expect, `${v.file} has no expected output`);
  return Buffer.concat(v.expect.map(input));
}

/** Vectors of one codec that decode successfully. */
export function goodVectors(codec: Vector['codec']): Vector[] {
  return manifest.vectors.filter((v) => v.codec === codec && v.expect !== undefined);
}

/** mulberry32: a tiny seeded PRNG, so random tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random bytes with structure an LZ coder can find: literal runs over a small alphabet, byte runs,
 * and back-references at near and far distances.
 */
export function structuredBytes(rnd: () => number, size: number): Buffer {
  const b = Buffer.alloc(size);
  const alphabet = 1 + Math.floor(rnd() * 255);
  let i = 0;
  while (i < size) {
    const r = rnd();
    if (r < 0.35 && i > 0) {
      const off = 1 + Math.floor(rnd() ** 3 * Math.min(i, 300_000));
      const len = 3 + Math.floor(rnd() * 200);
      for (let k = 0; k < len && i < size; k++, i++) b[i] = b[i - off]!;
    } else if (r < 0.45) {
      const len = Math.floor(rnd() * 600);
      const v = Math.floor(rnd() * 256);
      for (let k = 0; k < len && i < size; k++) b[i++] = v;
    } else {
      const len = 1 + Math.floor(rnd() * 40);
      for (let k = 0; k < len && i < size; k++) b[i++] = Math.floor(rnd() * alphabet);
    }
  }
  return b;
}

/** Uniformly random bytes. */
export function randomBytes(rnd: () => number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

export const COMPRESSION_CODES = ['KWIRE_ERR_COMPRESSION', 'KWIRE_ERR_COMPRESSION_LIMIT'] as const;

/**
 * Runs `fn`; if it throws, the error must be a CompressionError (hence a KafkaWireError) with one
 * of our codes. Returns the result, or the error.
 */
export function typedOutcome<T>(fn: () => T, what: string): T | CompressionError {
  try {
    return fn();
  } catch (err) {
    assert.ok(err instanceof KafkaWireError, `${what}: threw a non-KafkaWireError: ${String(err)}`);
    assert.ok(err instanceof CompressionError, `${what}: threw ${err.name} instead of CompressionError`);
    assert.ok((COMPRESSION_CODES as readonly string[]).includes(err.code), `${what}: unexpected code ${err.code}`);
    return err;
  }
}

/** Asserts that `fn` throws a CompressionError, optionally with a given reason; returns it. */
export function throwsCompression(fn: () => unknown, reason?: string, what = 'call'): CompressionError {
  const out = typedOutcome(fn, what);
  assert.ok(out instanceof CompressionError, `${what}: expected a CompressionError, got a result`);
  if (reason !== undefined) assert.equal(out.reason, reason, `${what}: ${out.message}`);
  return out;
}
