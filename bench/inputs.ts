/**
 * Deterministic benchmark inputs, built with our own encoder (style.md: "Benchmarks build inputs
 * with our own encoder or from fixtures"). Shared by decode.ts and make-zstd-fixture.ts so the
 * committed zstd fixture holds exactly the records of input `1000x100`.
 *
 * Everything here is a pure function of its arguments: the same bytes on every run and machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { encodeRecordBatch, FetchResponse, encodeMessage, Writer, type RecordInput } from '../src/kafka-wire/index.js';

/** Base timestamp of every batch: 2023-11-14T22:13:20Z. Record i has timestamp BASE + i ms. */
export const BASE_TIMESTAMP = 1_700_000_000_000n;
/** Size of the v2 batch header up to recordsCount (record-format.md). */
export const V2_HEADER_SIZE = 61;

export interface RecordShape {
  readonly count: number;
  readonly valueSize: number;
  /** Two headers per record: trace-id (16 B) and content-type (16 B). */
  readonly headers: boolean;
  /** PRNG seed for the padding bytes of values. */
  readonly seed: number;
}

const EVENTS = ['click', 'view', 'purchase', 'scroll', 'login'] as const;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** mulberry32: tiny deterministic PRNG, enough to make values not trivially compressible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A value of exactly `size` ASCII bytes: a small JSON event padded with pseudo-random
 * alphanumerics (so lz4/zstd see text with some structure, as typical event payloads are).
 * Values shorter than the JSON skeleton are a zero-padded counter.
 */
function makeValue(i: number, size: number, rnd: () => number): Buffer {
  const head = `{"id":${i},"event":"${EVENTS[i % EVENTS.length]!}","ts":${BASE_TIMESTAMP + BigInt(i)},"pad":"`;
  if (size < head.length + 2) return Buffer.from(String(i).padStart(size, '0').slice(-size), 'latin1');
  let pad = '';
  for (let k = head.length + 2; k < size; k++) pad += ALPHABET[Math.floor(rnd() * ALPHABET.length)]!;
  return Buffer.from(`${head}${pad}"}`, 'latin1');
}

/** Records of one input: 10-byte keys `key-000042`, values as above, optional two headers. */
export function buildRecords(shape: RecordShape): RecordInput[] {
  const rnd = prng(shape.seed);
  const out: RecordInput[] = [];
  for (let i = 0; i < shape.count; i++) {
    const rec: RecordInput = {
      key: Buffer.from(`key-${String(i).padStart(6, '0')}`, 'latin1'),
      value: makeValue(i, shape.valueSize, rnd),
      timestamp: BASE_TIMESTAMP + BigInt(i),
    };
    if (shape.headers) {
      let trace = '';
      for (let k = 0; k < 16; k++) trace += ALPHABET[Math.floor(rnd() * 16)]!;
      rec.headers = [
        { key: 'trace-id', value: Buffer.from(trace, 'latin1') },
        { key: 'content-type', value: Buffer.from('application/json', 'latin1') },
      ];
    }
    out.push(rec);
  }
  return out;
}

export const SHAPE_1000X100: RecordShape = { count: 1000, valueSize: 100, headers: false, seed: 1 };

/** One uncompressed v2 batch of the shape (base offset as given). */
export function plainBatch(shape: RecordShape, baseOffset = 0n): Buffer {
  return encodeRecordBatch({ records: buildRecords(shape), baseOffset, baseTimestamp: BASE_TIMESTAMP, compression: 0 });
}

export type InputKind = 'batch' | 'fetch';

export interface BenchInput {
  /** Short id used in tables, --filter and JSON. */
  readonly name: string;
  readonly description: string;
  readonly kind: InputKind;
  /** The bytes every decoder gets: one batch, or a Fetch v12 response body. */
  readonly buf: Buffer;
  /** For `fetch`: the same response encoded at v11, for KafkaJS (which stops at Fetch v11). */
  readonly bufV11?: Buffer;
  /** Records a full decode yields. */
  readonly records: number;
  readonly headers: boolean;
  /** Compression codec id of the batches (0 none, 3 lz4, 4 zstd). */
  readonly compression: number;
  /** Uncompressed size of the records sections, for reference. */
  readonly plainBytes: number;
}

/** Where bench/ is, whether we run from bench/ or from dist/bench/. */
export function benchDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [here, join(here, '..', '..', 'bench'), join(process.cwd(), 'bench'), process.cwd()]) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'inputs.ts'))) return dir;
  }
  throw new Error('cannot find the bench/ directory (looked next to this file, ../../bench and ./bench)');
}

export const ZSTD_FIXTURE = join('fixtures', 'zstd-1000x100.bin');

interface FetchLayout {
  readonly topics: number;
  readonly partitions: number;
  readonly shape: RecordShape;
}

/**
 * A Fetch response body (no response header): `topics` × `partitions`, each partition holding one
 * uncompressed batch of `shape` with its own base offset and a distinct seed.
 */
function fetchResponse(layout: FetchLayout, version: number): Buffer {
  const responses = [];
  for (let t = 0; t < layout.topics; t++) {
    const partitions = [];
    for (let p = 0; p < layout.partitions; p++) {
      const baseOffset = BigInt(1_000_000 * (t * layout.partitions + p) + 500);
      const shape = { ...layout.shape, seed: layout.shape.seed + t * layout.partitions + p };
      const records = plainBatch(shape, baseOffset);
      const end = baseOffset + BigInt(shape.count);
      partitions.push({
        partitionIndex: p, errorCode: 0, highWatermark: end, lastStableOffset: end, logStartOffset: 0n,
        abortedTransactions: null, preferredReadReplica: -1, records,
      });
    }
    responses.push({ topic: `bench-topic-${t}`, partitions });
  }
  const w = new Writer(1 << 20);
  encodeMessage(FetchResponse, version, { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses }, w);
  return Buffer.from(w.finish());
}

/** All inputs, in the order the benchmark runs them. */
export function buildInputs(): BenchInput[] {
  const inputs: BenchInput[] = [];
  const add = (name: string, description: string, shape: RecordShape, compression = 0): void => {
    const plain = plainBatch(shape);
    const buf = compression === 0 ? plain : encodeRecordBatch({ records: buildRecords(shape), baseTimestamp: BASE_TIMESTAMP, compression });
    inputs.push({ name, description, kind: 'batch', buf, records: shape.count, headers: shape.headers, compression, plainBytes: plain.length - V2_HEADER_SIZE });
  };
  add('1000x100', '1 batch, 1000 records, 10 B key, 100 B value, no headers', SHAPE_1000X100);
  add('1000x100+2h', 'as 1000x100 plus 2 headers per record (8+16 B, 12+16 B)', { ...SHAPE_1000X100, headers: true, seed: 2 });
  add('100x1KiB', '1 batch, 100 records, 10 B key, 1024 B value', { count: 100, valueSize: 1024, headers: false, seed: 3 });
  add('1000x10', '1 batch, 1000 records, 10 B key, 10 B value', { count: 1000, valueSize: 10, headers: false, seed: 4 });
  add('1000x100-lz4', '1000x100 compressed with lz4 (our encoder, Kafka frame format)', SHAPE_1000X100, 3);

  const plain1 = plainBatch(SHAPE_1000X100);
  const zstd = readFileSync(join(benchDir(), ZSTD_FIXTURE));
  inputs.push({
    name: '1000x100-zstd', description: `1000x100 compressed with zstd -3 (fixture ${ZSTD_FIXTURE})`, kind: 'batch',
    buf: zstd, records: 1000, headers: false, compression: 4, plainBytes: plain1.length - V2_HEADER_SIZE,
  });

  const layout: FetchLayout = { topics: 4, partitions: 4, shape: { count: 250, valueSize: 100, headers: false, seed: 100 } };
  const buf = fetchResponse(layout, 12);
  inputs.push({
    name: 'fetch-4x4', description: 'Fetch v12 response body, 4 topics x 4 partitions, each one batch of 250 x 100 B', kind: 'fetch',
    buf, bufV11: fetchResponse(layout, 11), records: layout.topics * layout.partitions * layout.shape.count, headers: false, compression: 0,
    plainBytes: buf.length,
  });
  return inputs;
}
