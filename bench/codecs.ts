/**
 * Micro benchmark of the codec decoders over the recorded fixtures (test/fixtures/codecs).
 * Prints decompressed MB/s (1 MB = 10^6 bytes of output) per vector and per codec, with node:zlib's
 * gunzip on the same inputs as an in-process yardstick. No dependencies, no assertions.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/codecs.js [--time-ms 400] [--filter zstd]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { CODEC, compress, decompress } from '../src/kafka-wire/records/codecs/index.js';

interface Vector {
  readonly file: string;
  readonly codec: keyof typeof CODEC;
  readonly expect?: readonly string[];
}

function fixturesDir(): string {
  // Works from bench/ (ts-node style) and from dist/bench/ (compiled).
  const here = dirname(fileURLToPath(import.meta.url));
  for (const root of [join(here, '..'), join(here, '..', '..'), process.cwd()]) {
    const dir = join(root, 'test', 'fixtures', 'codecs');
    try {
      readFileSync(join(dir, 'manifest.json'));
      return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new Error('test/fixtures/codecs/manifest.json not found');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const timeMs = Number(arg('--time-ms') ?? '400');
const filter = arg('--filter') ?? '';

/** Runs fn repeatedly for about `timeMs` after a warm-up; returns output MB per second. */
function measure(fn: () => Buffer): number {
  let bytes = 0;
  const warm = performance.now();
  while (performance.now() - warm < timeMs / 4) fn();
  const start = performance.now();
  let now = start;
  do {
    bytes += fn().length;
    now = performance.now();
  } while (now - start < timeMs);
  return bytes / 1e6 / ((now - start) / 1000);
}

const dir = fixturesDir();
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { vectors: Vector[] };
const perCodec = new Map<string, { bytes: number; seconds: number }>();
const rows: string[] = [];
const seen = new Set<string>();
for (const v of manifest.vectors) {
  if (v.expect === undefined || seen.has(v.file) || !v.file.includes(filter)) continue;
  seen.add(v.file);
  const input = readFileSync(join(dir, v.file));
  const expected = Buffer.concat(v.expect.map((n) => readFileSync(join(dir, 'inputs', n))));
  if (expected.length < 16 * 1024) continue;
  const codec = CODEC[v.codec];
  const mbps = measure(() => decompress(codec, input));
  const agg = perCodec.get(v.codec) ?? { bytes: 0, seconds: 0 };
  agg.bytes += expected.length;
  agg.seconds += expected.length / 1e6 / mbps;
  perCodec.set(v.codec, agg);
  // Same plain bytes through node:zlib gunzip (C) for scale.
  const gz = gzipSync(expected);
  const zlibMbps = measure(() => decompress(CODEC.gzip, gz));
  rows.push(`${v.file.padEnd(40)} ${String(expected.length).padStart(8)} B  ${mbps.toFixed(0).padStart(6)} MB/s  (zlib gunzip ${zlibMbps.toFixed(0)} MB/s, ratio ${(mbps / zlibMbps).toFixed(2)})`);
}
console.log(`decode throughput, ${timeMs} ms per vector, node ${process.version}`);
for (const r of rows) console.log(r);
console.log('');
for (const [codec, a] of perCodec) {
  console.log(`${codec.padEnd(8)} ${(a.bytes / 1e6 / a.seconds).toFixed(0).padStart(6)} MB/s over ${(a.bytes / 1e6).toFixed(2)} MB of output`);
}

// Small payloads, as in a typical Kafka batch: per-call overhead matters more than the loop.
if (filter === '') {
  const small = readFileSync(join(dir, 'inputs', 'json.jsonl')).subarray(0, 2000);
  console.log('');
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const packed = compress(CODEC[name], small);
    const mbps = measure(() => decompress(CODEC[name], packed));
    console.log(`decode ${name.padEnd(8)} 2000-byte JSON batch: ${mbps.toFixed(0).padStart(6)} MB/s (${((mbps * 1e6) / 2000 / 1000).toFixed(0)}k decodes/s)`);
  }
}

// Encoders (ours for snappy/lz4/zstd, node:zlib for gzip) on the largest text input.
if (filter === '') {
  const text = readFileSync(join(dir, 'inputs', 'text.txt'));
  console.log('');
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const mbps = measure(() => {
      compress(CODEC[name], text);
      return text;
    });
    console.log(`encode ${name.padEnd(8)} ${mbps.toFixed(0).padStart(6)} MB/s of input (text.txt, ratio ${(text.length / compress(CODEC[name], text).length).toFixed(2)})`);
  }
}
