/**
 * Record decoding benchmark: our decoder (src/kafka-wire/records) against KafkaJS,
 * @platformatic/kafka and kafka-ts, and against a hand-written "floor" loop, on the same bytes in
 * the same process. See bench/README.md for the inputs, the method and the latest results.
 *
 *   cd bench && npm install && npm run bench:decode -- [options]
 *
 *   --quick            smoke run (~2 s): every path decodes and is checked; exit 1 if ours fails or a peer disagrees
 *   --json FILE        also write the machine, options, every sample and the ratios as JSON
 *   --filter A,B       inputs by exact name (else by substring), run in that order
 *   --only X,Y         implementations whose "<name> crc=<on|off|none>" contains one of the strings
 *   --samples N        samples per implementation and input (default 7); --time-ms N per sample (300)
 *   --warmup-ms N      warm-up per implementation and input (500); --no-peers: ours and the floor only
 *
 * Every implementation fully materializes every record the way its users receive it: offset,
 * timestamp, key, value and headers are read (and kept observable in a sink) so lazy decoding is
 * not measured as free. Peers are loaded from bench/node_modules through their internal record
 * batch entry points (they are not our dependencies; see bench/package.json).
 */
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  BufferArena, BufferPool, crc32c, decodeMessage, decompress, FetchResponse, Reader, readRecords, type AbortedTransaction, type KafkaRecord, type ReadOptions,
} from '../src/kafka-wire/index.js';
import { benchDir, buildInputs, V2_HEADER_SIZE, type BenchInput } from './inputs.js';

// ---------------------------------------------------------------------------------------------
// Options

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const QUICK = process.argv.includes('--quick');
const SAMPLES = Number(arg('--samples') ?? (QUICK ? 3 : 7));
const SAMPLE_MS = Number(arg('--time-ms') ?? (QUICK ? 6 : 300));
const WARMUP_MS = Number(arg('--warmup-ms') ?? (QUICK ? 6 : 500));
const JSON_FILE = arg('--json');
const FILTER = arg('--filter');
const ONLY = arg('--only');
const NO_PEERS = process.argv.includes('--no-peers');

// ---------------------------------------------------------------------------------------------
// The sink. Every touched value is stored here so V8 cannot drop the work that produced it; every
// implementation pays the same four stores per record. `acc` sums key/value/header byte lengths
// (mod 2^30, so it stays a small integer and never deoptimizes the loops) and
// `last*` keep the last record's offset/timestamp, which the correctness check compares.
//
// Each implementation has its own touch loop, even where two loops read the same property names
// (touchOurs, touchFloor): a shared loop would see two object shapes at every property access and
// measure polymorphic inline caches instead of the decoders. Only the sink bookkeeping is shared,
// through `sink` and `settle`, which V8 inlines into each loop.

const SINK: unknown[] = new Array<unknown>(4096).fill(null);
const SINK_MASK = 4095;
let sinkAt = 0;
let acc = 0;
let lastOffset: unknown = null;
let lastTimestamp: unknown = null;

/** Stores one record's offset, timestamp, key and value; returns the next slot. */
function sink(s: number, o: unknown, t: unknown, k: unknown, v: unknown): number {
  SINK[s] = o; SINK[s + 1] = t; SINK[s + 2] = k; SINK[s + 3] = v;
  return (s + 4) & SINK_MASK;
}

/** Ends a touch call: the next slot, the byte sum and the last record's offset and timestamp. */
function settle(s: number, a: number, o: unknown, t: unknown): void {
  sinkAt = s; acc = (acc + a) & 0x3fffffff; lastOffset = o; lastTimestamp = t;
}

// ---------------------------------------------------------------------------------------------
// Inputs: one batch (or a run of batches), or a Fetch v12 response whose partitions each hold one.

type DecodeRecords = (records: Buffer | null, aborted: readonly AbortedTransaction[] | null) => number;

/** Sums `f` over the partitions of every topic of a decoded Fetch response (ours or a peer's). */
function sumPartitions<P>(responses: ReadonlyArray<{ partitions: readonly P[] }>, f: (p: P) => number): number {
  let n = 0;
  for (const topic of responses) for (const p of topic.partitions) n += f(p);
  return n;
}

/** Calls `decode` on every partition's records field of a Fetch v12 response body; sums the results. */
function forEachPartition(buf: Buffer, decode: DecodeRecords): number {
  return sumPartitions(decodeMessage(FetchResponse, 12, new Reader(buf)).responses, (p) => decode(p.records, p.abortedTransactions));
}

/** A runner that decodes the input's records field(s) with `decode`; the Fetch response is decoded too, every call. */
function runner(input: BenchInput, decode: DecodeRecords): Run {
  const buf = input.buf;
  return input.kind === 'batch' ? () => decode(buf, null) : () => forEachPartition(buf, decode);
}

// ---------------------------------------------------------------------------------------------
// Ours

function touchOurs(records: readonly KafkaRecord[]): number {
  let a = 0;
  let s = sinkAt;
  let o: bigint = -1n;
  let t: bigint = -1n;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    o = r.offset;
    t = r.timestamp;
    const k = r.key;
    const v = r.value;
    s = sink(s, o, t, k, v);
    a += (k === null ? 0 : k.length) + (v === null ? 0 : v.length);
    const hs = r.headers;
    for (let j = 0; j < hs.length; j++) {
      const h = hs[j]!;
      a += h.key.length + (h.value === null ? 0 : h.value.length);
    }
  }
  settle(s, a, o, t);
  return records.length;
}

/** The positions-only path: the decoded records' public position fields, no getters. */
function touchPositions(records: readonly KafkaRecord[]): number {
  let a = 0;
  let s = sinkAt;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    SINK[s] = r;
    s = (s + 4) & SINK_MASK;
    a += Math.max(r.keyLength, 0) + Math.max(r.valueLength, 0) + r.headersCount;
  }
  const last = records[records.length - 1];
  settle(s, a, last?.offset ?? null, last?.timestamp ?? null);
  return records.length;
}

/**
 * Ours as our KafkaClient reads a fetch: decompressed batches go to a BufferArena over a
 * BufferPool, released once the records are used (client.ts), so outputs reuse pooled memory.
 */
function oursArena(input: BenchInput): Run {
  const pool = new BufferPool({ minBytes: 64 * 1024, maxFreeBytes: 16 << 20 });
  return runner(input, (records, aborted) => {
    const arena = new BufferArena(pool);
    const opts: ReadOptions = aborted === null ? { verifyCrc: false, alloc: arena.take } : { verifyCrc: false, alloc: arena.take, abortedTransactions: aborted };
    const n = touchOurs(readRecords(records, opts).records);
    arena.release();
    return n;
  });
}

function ours(input: BenchInput, verifyCrc: boolean, positionsOnly: boolean): Run {
  const opts: ReadOptions = { verifyCrc };
  const touch = positionsOnly ? touchPositions : touchOurs;
  return runner(input, (records, aborted) =>
    touch(readRecords(records, aborted === null ? opts : { verifyCrc, abortedTransactions: aborted }).records));
}

// ---------------------------------------------------------------------------------------------
// Floor: the least a decoder that hands out usable record objects must do. Reads the batch header,
// decompresses if needed, then per record reads the varints, makes key/value views and builds a
// plain object with bigint offset/timestamp and eagerly parsed headers. No validation, no CRC.
// Views are made the cheapest way we know, as ours makes them (src/kafka-wire/primitives/view.ts):
// Node's FastBuffer (Buffer[Symbol.species]) over the batch's ArrayBuffer, read once per batch.
// With `subarray`, as before, the floor was slower than ours and so no floor at all.

interface FloorHeader { key: string; value: Buffer | null }
interface FloorRecord { offset: bigint; timestamp: bigint; key: Buffer | null; value: Buffer | null; headers: FloorHeader[] }

const FastBuffer = (Buffer as unknown as Record<symbol, new (ab: ArrayBufferLike, offset: number, length: number) => Buffer>)[Symbol.species]!;
const NO_FLOOR_HEADERS: FloorHeader[] = [];
let fp = 0;

function fVarint(b: Buffer): number {
  let x = b[fp++]!;
  if (x < 0x80) return (x >>> 1) ^ -(x & 1);
  let u = x & 0x7f;
  let shift = 7;
  do {
    x = b[fp++]!;
    u |= (x & 0x7f) << shift;
    shift += 7;
  } while (x >= 0x80);
  return (u >>> 1) ^ -(u & 1);
}

function fVarlong(b: Buffer): number {
  let x = b[fp++]!;
  if (x < 0x80) return (x >>> 1) ^ -(x & 1);
  let u = x & 0x7f;
  let scale = 128;
  do {
    x = b[fp++]!;
    u += (x & 0x7f) * scale;
    scale *= 128;
  } while (x >= 0x80);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

function floorRecords(b: Buffer, start: number, count: number, baseOffset: bigint, baseTs: bigint, out: FloorRecord[]): void {
  const ab = b.buffer;
  const at = b.byteOffset;
  fp = start;
  for (let i = 0; i < count; i++) {
    const len = fVarint(b);
    const end = fp + len;
    fp++; // attributes
    const tsDelta = fVarlong(b);
    const offDelta = fVarint(b);
    const kl = fVarint(b);
    const key = kl < 0 ? null : new FastBuffer(ab, at + fp, kl);
    if (kl > 0) fp += kl;
    const vl = fVarint(b);
    const value = vl < 0 ? null : new FastBuffer(ab, at + fp, vl);
    if (vl > 0) fp += vl;
    const hc = fVarint(b);
    let headers = NO_FLOOR_HEADERS;
    if (hc > 0) {
      headers = new Array<FloorHeader>(hc);
      for (let h = 0; h < hc; h++) {
        const hkl = fVarint(b);
        const hk = b.toString('utf8', fp, fp + hkl);
        fp += hkl;
        const hvl = fVarint(b);
        const hv = hvl < 0 ? null : new FastBuffer(ab, at + fp, hvl);
        if (hvl > 0) fp += hvl;
        headers[h] = { key: hk, value: hv };
      }
    }
    out.push({ offset: baseOffset + BigInt(offDelta), timestamp: baseTs + BigInt(tsDelta), key, value, headers });
    fp = end;
  }
}

function floorBatches(buf: Buffer, out: FloorRecord[]): void {
  let p = 0;
  while (buf.length - p >= V2_HEADER_SIZE) {
    const end = p + 12 + buf.readInt32BE(p + 8);
    if (end > buf.length) break;
    const codec = buf.readInt16BE(p + 21) & 7;
    const baseOffset = buf.readBigInt64BE(p);
    const baseTs = buf.readBigInt64BE(p + 27);
    const count = buf.readInt32BE(p + 57);
    if (codec === 0) floorRecords(buf, p + V2_HEADER_SIZE, count, baseOffset, baseTs, out);
    else floorRecords(decompress(codec, buf.subarray(p + V2_HEADER_SIZE, end)), 0, count, baseOffset, baseTs, out);
    p = end;
  }
}

function touchFloor(records: readonly FloorRecord[]): number {
  let a = 0;
  let s = sinkAt;
  let o: bigint = -1n;
  let t: bigint = -1n;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    o = r.offset;
    t = r.timestamp;
    const k = r.key;
    const v = r.value;
    s = sink(s, o, t, k, v);
    a += (k === null ? 0 : k.length) + (v === null ? 0 : v.length);
    const hs = r.headers;
    for (let j = 0; j < hs.length; j++) {
      const h = hs[j]!;
      a += h.key.length + (h.value === null ? 0 : h.value.length);
    }
  }
  settle(s, a, o, t);
  return records.length;
}

function floor(input: BenchInput): Run {
  return runner(input, (records) => {
    if (records === null) return 0;
    const out: FloorRecord[] = [];
    floorBatches(records, out);
    return touchFloor(out);
  });
}

// ---------------------------------------------------------------------------------------------
// CRC-32C alone over the bytes ours verifies (attributes..end of every batch): a reference for the
// "CRC adds <= 1 ns/byte" target that does not depend on subtracting two noisy decode timings.

interface CrcRange { buf: Buffer; start: number; end: number }

function crcRanges(input: BenchInput): CrcRange[] {
  const out: CrcRange[] = [];
  const batchRanges = (buf: Buffer | null): number => {
    for (let p = 0; buf !== null && buf.length - p >= V2_HEADER_SIZE;) {
      const end = p + 12 + buf.readInt32BE(p + 8);
      if (end > buf.length) break;
      out.push({ buf, start: p + 21, end });
      p = end;
    }
    return 0;
  };
  if (input.kind === 'batch') batchRanges(input.buf);
  else forEachPartition(input.buf, batchRanges);
  return out;
}

function crcAlone(input: BenchInput): Run {
  const ranges = crcRanges(input);
  return () => {
    let x = 0;
    for (const r of ranges) x ^= crc32c(r.buf, r.start, r.end);
    acc = (acc + (x & 1)) & 0x3fffffff;
    return input.records;
  };
}
// ---------------------------------------------------------------------------------------------
// Peers. Loaded from bench/node_modules by path (their package "exports" hide the internals),
// typed here only as far as the benchmark reads them.

interface KjsRecord { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[] | null> }
interface KafkaJs {
  version: string;
  Decoder: new (buf: Buffer) => unknown;
  /** src/protocol/recordBatch/v0/decoder.js: one v2 batch from a Decoder at its first byte. */
  decodeBatch: (decoder: unknown) => Promise<{ records: KjsRecord[] }>;
  /** src/protocol/requests/fetch/v11/response.js (KafkaJS stops at Fetch v11). */
  fetchV11: { decode(buf: Buffer): Promise<{ responses: Array<{ partitions: Array<{ messages: KjsRecord[] }> }> }> };
}

interface PltRecord { offsetDelta: number; timestampDelta: bigint; key: Buffer | null; value: Buffer | null; headers: Array<[Buffer | null, Buffer | null]> }
interface PltBatch { firstOffset: bigint; firstTimestamp: bigint; records: PltRecord[] }
interface Platformatic {
  version: string;
  Reader: { from(buf: Buffer): unknown };
  /** dist/protocol/records.js */
  readRecordsBatch(reader: unknown): PltBatch;
  /** dist/apis/consumer/fetch-v12.js */
  parseResponse(correlationId: number, apiKey: number, apiVersion: number, reader: unknown): { responses: Array<{ partitions: Array<{ records: PltBatch[] | null }> }> };
}

interface KtsRecord { offsetDelta: number; timestampDelta: bigint; key: string | null; value: string | null; headers: Array<{ key: string | null; value: string | null }> }
interface KtsBatch { baseOffset: bigint; baseTimestamp: bigint; records: KtsRecord[] }
interface KafkaTs {
  version: string;
  Decoder: new (buf: Buffer) => unknown;
  /** dist/api/fetch/common.js: every batch of a records field; compressed ones finish in `decompressions`. */
  decodeRecordBatch(decoder: unknown, size: number, decompressions: Array<Promise<unknown>>): KtsBatch[];
  /** dist/api/fetch/v12.js */
  fetchV12: { response(decoder: unknown): Promise<{ responses: Array<{ partitions: Array<{ records: KtsBatch[] }> }> }> };
}

interface Peers { kafkajs?: KafkaJs; platformatic?: Platformatic; kafkaTs?: KafkaTs; missing: string[] }

function prop<T>(mod: unknown, name: string): T {
  const v = (mod as Record<string, unknown>)[name];
  if (v === undefined) throw new Error(`export ${name} not found`);
  return v as T;
}

async function loadPeers(): Promise<Peers> {
  const peers: Peers = { missing: [] };
  if (NO_PEERS) return peers;
  const dir = benchDir();
  const modules = join(dir, 'node_modules');
  const require = createRequire(join(dir, 'package.json'));
  const version = (pkg: string): string => (JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const esm = async (file: string): Promise<unknown> => import(pathToFileURL(join(modules, file)).href) as Promise<unknown>;
  try {
    peers.kafkajs = {
      version: version('kafkajs'),
      Decoder: require('kafkajs/src/protocol/decoder') as KafkaJs['Decoder'],
      decodeBatch: require('kafkajs/src/protocol/recordBatch/v0/decoder') as KafkaJs['decodeBatch'],
      fetchV11: require('kafkajs/src/protocol/requests/fetch/v11/response') as KafkaJs['fetchV11'],
    };
  } catch (e) {
    peers.missing.push(`kafkajs: ${(e as Error).message.split('\n')[0]!}`);
  }
  try {
    const records = await esm('@platformatic/kafka/dist/protocol/records.js');
    const reader = await esm('@platformatic/kafka/dist/protocol/reader.js');
    const fetch = await esm('@platformatic/kafka/dist/apis/consumer/fetch-v12.js');
    peers.platformatic = {
      version: version('@platformatic/kafka'),
      Reader: prop(reader, 'Reader'),
      readRecordsBatch: prop(records, 'readRecordsBatch'),
      parseResponse: prop(fetch, 'parseResponse'),
    };
  } catch (e) {
    peers.missing.push(`@platformatic/kafka: ${(e as Error).message.split('\n')[0]!}`);
  }
  try {
    peers.kafkaTs = {
      version: version('kafka-ts'),
      Decoder: prop(require('kafka-ts/dist/utils/decoder'), 'Decoder'),
      decodeRecordBatch: prop(require('kafka-ts/dist/api/fetch/common'), 'decodeRecordBatch'),
      fetchV12: prop(require('kafka-ts/dist/api/fetch/v12'), 'FETCH_V12'),
    };
  } catch (e) {
    peers.missing.push(`kafka-ts: ${(e as Error).message.split('\n')[0]!}`);
  }
  return peers;
}

/** KafkaJS hands out offset and timestamp as decimal strings and headers as an object. */
function touchKafkaJs(records: readonly KjsRecord[]): number {
  let a = 0;
  let s = sinkAt;
  let o = '';
  let t = '';
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    o = r.offset;
    t = r.timestamp;
    const k = r.key;
    const v = r.value;
    s = sink(s, o, t, k, v);
    a += (k === null ? 0 : k.length) + (v === null ? 0 : v.length);
    const hs = r.headers;
    for (const hk in hs) {
      const hv = hs[hk];
      a += hk.length + (hv === null || hv === undefined ? 0 : hv.length);
    }
  }
  settle(s, a, o, t);
  return records.length;
}

/** @platformatic/kafka: offset/timestamp computed as its MessagesStream does (firstOffset + BigInt(offsetDelta)). */
function touchPlatformatic(batch: PltBatch): number {
  const records = batch.records;
  const firstOffset = batch.firstOffset;
  const firstTimestamp = batch.firstTimestamp;
  let a = 0;
  let s = sinkAt;
  let o: bigint = -1n;
  let t: bigint = -1n;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    o = firstOffset + BigInt(r.offsetDelta);
    t = firstTimestamp + r.timestampDelta;
    const k = r.key;
    const v = r.value;
    s = sink(s, o, t, k, v);
    a += (k === null ? 0 : k.length) + (v === null ? 0 : v.length);
    const hs = r.headers;
    for (let j = 0; j < hs.length; j++) {
      const h = hs[j]!;
      a += (h[0] === null ? 0 : h[0].length) + (h[1] === null ? 0 : h[1].length);
    }
  }
  settle(s, a, o, t);
  return records.length;
}

/** kafka-ts: keys, values and headers are UTF-8 strings; offset/timestamp as its Consumer computes them. */
function touchKafkaTs(batches: readonly KtsBatch[]): number {
  let n = 0;
  for (const batch of batches) {
    const records = batch.records;
    const baseOffset = batch.baseOffset;
    const baseTimestamp = batch.baseTimestamp;
    let a = 0;
    let s = sinkAt;
    let o: bigint = -1n;
    let t: bigint = -1n;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      o = baseOffset + BigInt(r.offsetDelta);
      t = baseTimestamp + BigInt(r.timestampDelta);
      const k = r.key;
      const v = r.value;
      s = sink(s, o, t, k, v);
      a += (k === null ? 0 : k.length) + (v === null ? 0 : v.length);
      const hs = r.headers;
      for (let j = 0; j < hs.length; j++) {
        const h = hs[j]!;
        a += (h.key === null ? 0 : h.key.length) + (h.value === null ? 0 : h.value.length);
      }
    }
    settle(s, a, o, t);
    n += records.length;
  }
  return n;
}

function kafkaJsRun(kj: KafkaJs, input: BenchInput): Run {
  if (input.kind === 'batch') {
    const buf = input.buf;
    return async () => touchKafkaJs((await kj.decodeBatch(new kj.Decoder(buf))).records);
  }
  const buf = input.bufV11!;
  return async () => sumPartitions((await kj.fetchV11.decode(buf)).responses, (p) => touchKafkaJs(p.messages));
}

function platformaticRun(plt: Platformatic, input: BenchInput): Run {
  const buf = input.buf;
  if (input.kind === 'batch') return () => touchPlatformatic(plt.readRecordsBatch(plt.Reader.from(buf)));
  return () => sumPartitions(plt.parseResponse(0, 1, 12, plt.Reader.from(buf)).responses, (p) => {
    let n = 0;
    for (const batch of p.records ?? []) n += touchPlatformatic(batch);
    return n;
  });
}

function kafkaTsRun(kts: KafkaTs, input: BenchInput): Run {
  const buf = input.buf;
  if (input.kind === 'fetch') {
    return async () => sumPartitions((await kts.fetchV12.response(new kts.Decoder(buf))).responses, (p) => touchKafkaTs(p.records));
  }
  if (input.compression === 0) {
    return () => touchKafkaTs(kts.decodeRecordBatch(new kts.Decoder(buf), buf.length, []));
  }
  // Compressed batches are decompressed asynchronously (the codecs are promise-based).
  return async () => {
    const pending: Array<Promise<unknown>> = [];
    const batches = kts.decodeRecordBatch(new kts.Decoder(buf), buf.length, pending);
    await Promise.all(pending);
    return touchKafkaTs(batches);
  };
}

// ---------------------------------------------------------------------------------------------
// Implementations

type Run = () => number | Promise<number>;

interface Impl {
  readonly name: string;
  /** 'on' / 'off' for ours; 'none' where the decoder has no CRC check at all. */
  readonly crc: 'on' | 'off' | 'none';
  readonly kind: 'ours' | 'arena' | 'positions' | 'floor' | 'peer' | 'crc';
  /** A runner for the input, the reason it cannot decode it, or null when it does not apply (no row). */
  make(input: BenchInput): Run | string | null;
  /** Bytes this implementation decodes for the input (KafkaJS gets the v11 Fetch body). */
  bytes(input: BenchInput): number;
}

function impls(peers: Peers): Impl[] {
  const size = (input: BenchInput): number => input.buf.length;
  const list: Impl[] = [
    { name: 'ours', crc: 'on', kind: 'ours', make: (i) => ours(i, true, false), bytes: size },
    { name: 'ours', crc: 'off', kind: 'ours', make: (i) => ours(i, false, false), bytes: size },
    { name: 'ours arena', crc: 'off', kind: 'arena', make: (i) => (i.compression === 0 ? null : oursArena(i)), bytes: size },
    { name: 'ours positions-only', crc: 'off', kind: 'positions', make: (i) => ours(i, false, true), bytes: size },
    { name: 'floor', crc: 'none', kind: 'floor', make: floor, bytes: size },
    { name: 'crc32c alone', crc: 'on', kind: 'crc', make: crcAlone, bytes: (i) => crcRanges(i).reduce((n, r) => n + r.end - r.start, 0) },
  ];
  const kj = peers.kafkajs;
  if (kj !== undefined) {
    list.push({ name: `kafkajs ${kj.version}`, crc: 'none', kind: 'peer', make: (i) => kafkaJsRun(kj, i), bytes: (i) => (i.bufV11 ?? i.buf).length });
  }
  const plt = peers.platformatic;
  if (plt !== undefined) {
    list.push({ name: `@platformatic/kafka ${plt.version}`, crc: 'none', kind: 'peer', make: (i) => platformaticRun(plt, i), bytes: size });
  }
  const kts = peers.kafkaTs;
  if (kts !== undefined) {
    list.push({ name: `kafka-ts ${kts.version}`, crc: 'none', kind: 'peer', make: (i) => kafkaTsRun(kts, i), bytes: size });
  }
  // --only: comma-separated substrings of "<name> crc=<on|off|none>".
  return list.filter((impl) => ONLY === undefined || ONLY.split(',').some((o) => `${impl.name} crc=${impl.crc}`.includes(o)));
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Digest { count: number; bytes: number; lastOffset: string; lastTimestamp: string }

async function digest(run: Run): Promise<Digest> {
  acc = 0; lastOffset = null; lastTimestamp = null;
  const count = await run();
  return { count, bytes: acc, lastOffset: String(lastOffset), lastTimestamp: String(lastTimestamp) };
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs `run` back to back for at least `ms`; returns nanoseconds per call. */
async function timeFor(run: Run, isAsync: boolean, ms: number): Promise<number> {
  let calls = 0;
  const start = performance.now();
  let now = start;
  if (isAsync) {
    do {
      await run();
      calls++;
      now = performance.now();
    } while (now - start < ms);
  } else {
    do {
      run();
      calls++;
      now = performance.now();
    } while (now - start < ms);
  }
  return ((now - start) * 1e6) / calls;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  input: string;
  impl: string;
  kind: Impl['kind'];
  crc: Impl['crc'];
  records: number;
  bytes: number;
  /** Set when the implementation cannot decode the input. */
  na?: string;
  nsPerRecord?: number;
  recordsPerSec?: number;
  mbPerSec?: number;
  /** (max - min) / median of the samples, in percent. */
  spreadPct?: number;
  samplesNsPerCall?: number[];
}

const friendly: Array<[RegExp, string]> = [
  [/LZ4 compression not implemented/, 'no built-in LZ4 codec (needs the kafkajs-lz4 plugin)'],
  [/ZSTD compression not implemented/, 'no built-in ZSTD codec (needs a zstd codec plugin)'],
  [/zstd.*is not a function|is not a function.*zstd|zstd is not supported in the current Node/i, `zstd via node:zlib, which Node ${process.version} lacks (zlib zstd is Node >= 22.15)`],
];

function explain(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  for (const [re, text] of friendly) if (re.test(msg)) return text;
  return `error: ${msg.split('\n')[0]!}`;
}

async function benchInput(input: BenchInput, list: Impl[]): Promise<Row[]> {
  const rows: Row[] = [];
  const live: Array<{ impl: Impl; run: Run; isAsync: boolean; row: Row }> = [];
  let reference: Digest | undefined;
  for (const impl of list) {
    const run = impl.make(input);
    if (run === null) continue;
    const row: Row = { input: input.name, impl: impl.name, kind: impl.kind, crc: impl.crc, records: input.records, bytes: impl.bytes(input) };
    rows.push(row);
    if (typeof run === 'string') {
      row.na = run;
      continue;
    }
    // Correctness first: every implementation must yield the same records as ours.
    let d: Digest;
    let isAsync: boolean;
    try {
      const first = run();
      isAsync = isPromise(first);
      if (isAsync) await first;
      d = await digest(run);
    } catch (e) {
      row.na = explain(e);
      continue;
    }
    if (impl.kind === 'ours' && reference === undefined) reference = d;
    const ref = reference ?? d;
    // Offsets/timestamps compare as decimal strings: KafkaJS hands them out as strings.
    // The positions-only path does not parse headers, so its byte sum differs by design.
    const sameBytes = impl.kind === 'positions' || d.bytes === ref.bytes;
    if (impl.kind !== 'crc' && (d.count !== input.records || !sameBytes || d.lastOffset !== ref.lastOffset || d.lastTimestamp !== ref.lastTimestamp)) {
      row.na = `mismatch: got ${JSON.stringify(d)}, ours ${JSON.stringify(ref)}`;
      continue;
    }
    live.push({ impl, run, isAsync, row });
  }
  for (const l of live) await timeFor(l.run, l.isAsync, WARMUP_MS);
  const samples = live.map(() => [] as number[]);
  for (let s = 0; s < SAMPLES; s++) {
    // Interleaved, rotating the order each round so no implementation always runs first.
    for (let k = 0; k < live.length; k++) {
      const idx = (k + s) % live.length;
      const l = live[idx]!;
      samples[idx]!.push(await timeFor(l.run, l.isAsync, SAMPLE_MS));
    }
  }
  live.forEach((l, idx) => {
    const xs = samples[idx]!;
    const perCall = median(xs);
    l.row.nsPerRecord = perCall / input.records;
    l.row.recordsPerSec = 1e9 / l.row.nsPerRecord;
    l.row.mbPerSec = (l.row.bytes / perCall) * 1e3;
    l.row.spreadPct = ((Math.max(...xs) - Math.min(...xs)) / perCall) * 100;
    l.row.samplesNsPerCall = xs.map((x) => Math.round(x));
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Report

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: readonly Row[]): string {
  const head = ['input', 'implementation', 'CRC', 'records/s', 'ns/record', 'MB/s', '±%', 'vs ours (CRC off)'];
  const out: string[][] = [head];
  const byInput = new Map<string, Row[]>();
  for (const r of rows) byInput.set(r.input, [...(byInput.get(r.input) ?? []), r]);
  for (const [, rs] of byInput) {
    const ours = rs.find((r) => r.kind === 'ours' && r.crc === 'off')?.nsPerRecord;
    for (const r of rs) {
      if (r.na !== undefined || r.nsPerRecord === undefined) {
        out.push([r.input, r.impl, r.crc, 'n/a', '', '', '', r.na ?? '']);
        continue;
      }
      const rel = ours === undefined || r.kind === 'crc' ? '' : r.kind === 'ours' && r.crc === 'off' ? '1.00' : (r.nsPerRecord / ours).toFixed(2);
      out.push([r.input, r.impl, r.crc, fmt(r.recordsPerSec!), fmt(r.nsPerRecord, 1), fmt(r.mbPerSec!), fmt(r.spreadPct!, 0), rel]);
    }
  }
  const widths = head.map((_, c) => Math.max(...out.filter((row) => row[3] !== 'n/a' || c < 3).map((row) => (row[c] ?? '').length)));
  const lines = out.map((row) => {
    if (row[3] === 'n/a') return `| ${row.slice(0, 3).map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} | n/a: ${row[7]!}`;
    return `| ${row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  });
  lines.splice(1, 0, `|${widths.map((w, c) => (c < 3 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  return lines.join('\n');
}

interface Ratio { input: string; name: string; value: number | null; target?: string; pass?: boolean; note?: string }

function ratios(rows: readonly Row[], inputs: readonly BenchInput[]): Ratio[] {
  const out: Ratio[] = [];
  for (const input of inputs) {
    const rs = rows.filter((r) => r.input === input.name);
    const get = (pred: (r: Row) => boolean): number | undefined => rs.find((r) => pred(r) && r.nsPerRecord !== undefined)?.nsPerRecord;
    const off = get((r) => r.kind === 'ours' && r.crc === 'off');
    const on = get((r) => r.kind === 'ours' && r.crc === 'on');
    if (off === undefined) continue;
    const primary = input.name === '1000x100';
    for (const r of rs.filter((x) => x.kind === 'peer')) {
      const target = !primary ? undefined : r.impl.startsWith('kafkajs') ? 4 : 2;
      if (r.nsPerRecord === undefined) {
        out.push({ input: input.name, name: `speedup vs ${r.impl}`, value: null, note: r.na ?? '' });
        continue;
      }
      const v = r.nsPerRecord / off;
      out.push({ input: input.name, name: `speedup vs ${r.impl}`, value: v, ...(target === undefined ? {} : { target: `>= ${target}x`, pass: v >= target }) });
    }
    const arena = get((r) => r.kind === 'arena');
    if (arena !== undefined) {
      for (const r of rs.filter((x) => x.kind === 'peer' && x.nsPerRecord !== undefined)) {
        out.push({ input: input.name, name: `speedup vs ${r.impl}, ours with an arena`, value: r.nsPerRecord! / arena });
      }
    }
    const fl = get((r) => r.kind === 'floor');
    if (fl !== undefined) {
      const v = off / fl;
      out.push({ input: input.name, name: 'ours / floor (time)', value: v, ...(primary ? { target: '<= 1.2x', pass: v <= 1.2 } : {}) });
    }
    const pos = get((r) => r.kind === 'positions');
    if (pos !== undefined) out.push({ input: input.name, name: 'positions-only / full (time)', value: pos / off });
    if (on !== undefined) {
      // (ours CRC on - ours CRC off) over the bytes the CRC covers (attributes..end of each batch;
      // compressed bytes for lz4/zstd). A difference of two medians, so noisier than the crc32c row.
      const covered = rs.find((r) => r.kind === 'crc')?.bytes ?? input.buf.length;
      const v = ((on - off) * input.records) / covered;
      out.push({ input: input.name, name: 'CRC-32C cost in the decoder, ns/byte', value: v, ...(primary ? { target: '<= 1 ns/byte', pass: v <= 1 } : {}) });
    }
    const crcRow = rs.find((r) => r.kind === 'crc' && r.nsPerRecord !== undefined);
    if (crcRow !== undefined) {
      const v = (crcRow.nsPerRecord! * input.records) / crcRow.bytes;
      out.push({ input: input.name, name: 'crc32c alone, ns/byte', value: v, ...(primary ? { target: '<= 1 ns/byte', pass: v <= 1 } : {}) });
    }
  }
  return out;
}

function ratioText(rs: readonly Ratio[]): string {
  return rs.map((r) => {
    const v = r.value === null ? `n/a (${r.note ?? ''})` : r.name.includes('ns/byte') ? `${r.value.toFixed(2)}` : `${r.value.toFixed(2)}x`;
    const verdict = QUICK ? 'not judged in --quick' : r.pass === true ? 'PASS' : 'MISS';
    const t = r.target === undefined ? '' : `   target ${r.target}: ${verdict}`;
    return `  ${r.input.padEnd(14)} ${r.name.padEnd(44)} ${v}${t}`;
  }).join('\n');
}

function machine(): Record<string, string | number> {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    nproc: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAvg1mAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}

async function main(): Promise<void> {
  const all = buildInputs();
  // --filter: comma-separated input names; each selects the input of exactly that name, else every
  // input whose name contains it. Inputs run in the order given.
  const inputs: BenchInput[] = [];
  for (const f of FILTER === undefined ? [undefined] : FILTER.split(',')) {
    const exact = all.filter((i) => i.name === f);
    for (const i of exact.length > 0 ? exact : all.filter((x) => f === undefined || x.name.includes(f))) if (!inputs.includes(i)) inputs.push(i);
  }
  const peers = await loadPeers();
  const list = impls(peers);
  const m = machine();
  if (QUICK) console.log('--quick: a smoke run (every path decodes and verifies); too short for the numbers to mean anything.');
  console.log(`decode benchmark: ${SAMPLES} samples x ${SAMPLE_MS} ms per implementation and input (median), ${WARMUP_MS} ms warm-up${QUICK ? ' [--quick]' : ''}`);
  console.log(`machine: ${m['cpu']!}, nproc ${m['nproc']!}, ${m['memoryGiB']!} GiB, node ${m['node']!} (${m['platform']!})`);
  for (const miss of peers.missing) console.log(`peer not loaded: ${miss} (run npm install in bench/)`);
  const t0 = performance.now();
  const rows: Row[] = [];
  for (const input of inputs) {
    rows.push(...(await benchInput(input, list)));
    if (!QUICK) process.stdout.write(`  done ${input.name}\n`);
  }
  console.log('\nInputs:');
  for (const i of inputs) console.log(`  ${i.name.padEnd(14)} ${String(i.buf.length).padStart(7)} B, ${String(i.records).padStart(5)} records: ${i.description}`);
  console.log('\nMB/s = input bytes as received (compressed bytes for lz4/zstd) per second, 1 MB = 10^6 B.');
  console.log('"vs ours" = time relative to ours with CRC off (2.00 = takes twice as long). Peers never check CRCs.');
  console.log('"crc32c alone" = CRC-32C over the bytes ours verifies, nothing else (MB/s is its speed; ns/record its share per record).\n');
  console.log(table(rows));
  const rs = ratios(rows, inputs);
  console.log('\nRatios (speedup = peer time / our time, CRC off on our side):');
  console.log(ratioText(rs));
  m['loadAvg1mAtEnd'] = Math.round(loadavg()[0]! * 100) / 100;
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s; 1-minute load average ${m['loadAvg1mAtStart']!} at start, ${m['loadAvg1mAtEnd']!} at end (nproc ${m['nproc']!}; a load near nproc means other processes shared the CPUs)`);
  // For CI smoke runs: our paths must decode every input, and no peer may disagree with us.
  const broken = rows.filter((r) => r.na !== undefined && (r.kind !== 'peer' || r.na.startsWith('mismatch')));
  for (const r of broken) console.error(`FAILED: ${r.input} / ${r.impl}: ${r.na!}`);
  if (broken.length > 0) process.exitCode = 1;
  if (JSON_FILE !== undefined) {
    const doc = {
      benchmark: 'decode', date: new Date().toISOString(), command: process.argv.slice(1).join(' '), machine: m,
      options: { samples: SAMPLES, sampleMs: SAMPLE_MS, warmupMs: WARMUP_MS, quick: QUICK },
      inputs: inputs.map((i) => ({ name: i.name, description: i.description, bytes: i.buf.length, records: i.records, compression: i.compression })),
      results: rows, ratios: rs,
    };
    writeFileSync(JSON_FILE, `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    console.log(`wrote ${JSON_FILE}`);
  }
}

if (!existsSync(join(benchDir(), 'node_modules')) && !NO_PEERS) console.log('bench/node_modules missing: peers will be skipped (cd bench && npm install)');
await main();
