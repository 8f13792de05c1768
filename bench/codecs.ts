/**
 * Codec micro-benchmark: our decoders (src/kafka-wire/records/codecs) against the best npm
 * decoders for each codec, pure JavaScript, WebAssembly and native, on the same bytes in one
 * process; and our CRC-32C against npm's. Peers are dev dependencies of bench/ only
 * (bench/package.json; the native ones are optional, so a machine without a compiler still runs
 * the rest). Method and results: bench/README.md, "Codecs", and BENCHMARKS.md, "Codec decoding".
 *
 *   npx tsc -p tsconfig.json && node dist/bench/codecs.js [options]
 *
 *   --filter A,B     vectors whose name contains one of the strings (e.g. lz4, kafka/, batch)
 *   --only X,Y       implementations whose name contains one of the strings (e.g. ours)
 *   --samples N      interleaved samples per implementation and vector (default 5)
 *   --time-ms N      length of one sample (default 100); --warmup-ms N (default 150)
 *   --json FILE      also write every sample and the summary as JSON
 *   --quick          smoke run: every implementation decodes every vector once and is checked
 *
 * Speed is MB of decompressed output per CPU-second of the process (1 MB = 10^6 B): CPU time
 * rather than wall time, since on a shared machine the wall clock also counts other processes' turns
 * on the core (a decoder that starts threads would look faster than it is; none of these does).
 * Before any timing each decoder's
 * output is compared byte for byte with the expected plain bytes; one that differs or throws is
 * reported and not timed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

import { crc32c } from '../src/kafka-wire/primitives/crc.js';
import { CODEC, decompress } from '../src/kafka-wire/records/codecs/index.js';
import { allVectors, NAMES, type CodecName, type Group, type Vector } from './codec-vectors.js';
import { benchDir, plainBatch, SHAPE_1000X100 } from './inputs.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const QUICK = process.argv.includes('--quick');
const SAMPLES = Number(arg('--samples') ?? (QUICK ? 1 : 5));
const SAMPLE_MS = Number(arg('--time-ms') ?? (QUICK ? 2 : 100));
const WARMUP_MS = Number(arg('--warmup-ms') ?? (QUICK ? 2 : 150));
const FILTER = arg('--filter')?.split(',');
const ONLY = arg('--only')?.split(',');
const JSON_FILE = arg('--json');

type Kind = 'ours' | 'pooled' | 'js' | 'wasm' | 'native';

type Decode = () => Uint8Array | Promise<Uint8Array>;

interface Impl {
  readonly name: string;
  readonly codec: CodecName;
  readonly kind: Kind;
  /** A decoder for the vector, or why this implementation cannot take it. */
  make(v: Vector): Decode | string;
}

// ---------------------------------------------------------------------------------------------
// Implementations. Peers are loaded from bench/node_modules; a missing one is listed, not fatal.

const require = createRequire(join(benchDir(), 'package.json'));
const missing: string[] = [];
const versions = new Map<string, string>();

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(benchDir(), 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function load<T>(pkg: string, get: () => T): T | undefined {
  try {
    const v = get();
    versions.set(pkg, version(pkg));
    return v;
  } catch (e) {
    missing.push(`${pkg}: ${(e as Error).message.split('\n')[0]!}`);
    return undefined;
  }
}

async function loadAsync<T>(pkg: string, get: () => Promise<T>): Promise<T | undefined> {
  try {
    const v = await get();
    versions.set(pkg, version(pkg));
    return v;
  } catch (e) {
    missing.push(`${pkg}: ${(e as Error).message.split('\n')[0]!}`);
    return undefined;
  }
}

const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/**
 * For peers that only read raw snappy blocks: walks snappy-java's xerial stream (as
 * @platformatic/kafka does around its wasm decoder) and joins the decoded chunks.
 */
function xerial(raw: (b: Buffer) => Uint8Array): (input: Buffer) => Uint8Array {
  return (input) => {
    if (!input.subarray(0, 8).equals(XERIAL)) return raw(input);
    const parts: Uint8Array[] = [];
    let p = 0;
    while (p < input.length) {
      if (input.subarray(p, p + 8).equals(XERIAL)) {
        p += 16;
        continue;
      }
      const n = input.readInt32BE(p);
      parts.push(raw(input.subarray(p + 4, p + 4 + n)));
      p += 4 + n;
    }
    return Buffer.concat(parts);
  };
}

type SyncFn = (b: Buffer) => Uint8Array;
type AsyncFn = (b: Buffer) => Promise<Uint8Array>;

async function impls(): Promise<Impl[]> {
  const list: Impl[] = [];
  const add = (name: string, codec: CodecName, kind: Kind, make: (v: Vector) => Decode | string): void => {
    list.push({ name, codec, kind, make });
  };
  const sync = (fn: SyncFn) => (v: Vector): Decode => () => fn(v.input);
  for (const codec of NAMES) add('ours', codec, 'ours', (v) => () => decompress(CODEC[codec], v.input));
  // Ours as the proxy runs it: outputs in reused memory (its BufferArena), no fresh pages per call.
  for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
    add('ours pooled', codec, 'pooled', (v) => {
      const region = Buffer.allocUnsafe(v.expected.length * 2 + 1024 * 1024);
      const opts = { alloc: (n: number): Buffer => region.subarray(0, n) };
      return () => decompress(CODEC[codec], v.input, opts);
    });
  }

  // gzip
  add('node:zlib gunzipSync', 'gzip', 'native', sync((b) => gunzipSync(b)));
  const fflate = load('fflate', () => require('fflate') as { gunzipSync: SyncFn });
  if (fflate !== undefined) add(`fflate ${versions.get('fflate')!}`, 'gzip', 'js', sync((b) => fflate.gunzipSync(b)));
  const pako = load('pako', () => require('pako') as { ungzip: SyncFn });
  if (pako !== undefined) add(`pako ${versions.get('pako')!}`, 'gzip', 'js', sync((b) => pako.ungzip(b)));

  // snappy
  const snappyjs = load('snappyjs', () => require('snappyjs') as { uncompress: SyncFn });
  if (snappyjs !== undefined) add(`snappyjs ${versions.get('snappyjs')!}`, 'snappy', 'js', sync(xerial((b) => snappyjs.uncompress(b))));
  const kts = load('kafka-ts', () => require('kafka-ts/dist/codecs/index') as { findCodec(id: number): { decompress: AsyncFn } });
  if (kts !== undefined) {
    add(`kafka-ts ${versions.get('kafka-ts')!}`, 'snappy', 'js', (v) => () => kts.findCodec(2).decompress(v.input));
    add(`kafka-ts ${versions.get('kafka-ts')!}`, 'lz4', 'js', (v) => () => kts.findCodec(3).decompress(v.input));
  }
  const plt = await loadAsync('@platformatic/kafka', async () => {
    const m = await import(pathToFileURL(join(benchDir(), 'node_modules', '@platformatic/kafka/dist/protocol/compression.js')).href) as {
      compressionsAlgorithms: Record<CodecName, { decompressSync: SyncFn }>;
    };
    return m.compressionsAlgorithms;
  });
  if (plt !== undefined) {
    // Its lz4 and snappy are @platformatic/wasm-utils (Rust compiled to WebAssembly).
    const name = `@platformatic/kafka ${versions.get('@platformatic/kafka')!}`;
    add(name, 'snappy', 'wasm', sync((b) => plt.snappy.decompressSync(b)));
    add(name, 'lz4', 'wasm', sync((b) => plt.lz4.decompressSync(b)));
  }
  const snappyNative = load('snappy', () => require('snappy') as { uncompressSync: SyncFn });
  if (snappyNative !== undefined) add(`snappy (napi) ${versions.get('snappy')!}`, 'snappy', 'native', sync(xerial((b) => snappyNative.uncompressSync(b))));

  // lz4
  const lz4js = load('lz4js', () => require('lz4js') as { decompress: SyncFn });
  if (lz4js !== undefined) add(`lz4js ${versions.get('lz4js')!}`, 'lz4', 'js', sync((b) => lz4js.decompress(b)));
  const lz4napi = load('lz4-napi', () => require('lz4-napi') as { decompressFrameSync: SyncFn });
  if (lz4napi !== undefined) add(`lz4-napi ${versions.get('lz4-napi')!}`, 'lz4', 'native', sync((b) => lz4napi.decompressFrameSync(b)));

  // zstd
  const fzstd = load('fzstd', () => require('fzstd') as { decompress: SyncFn });
  if (fzstd !== undefined) add(`fzstd ${versions.get('fzstd')!}`, 'zstd', 'js', sync((b) => fzstd.decompress(b)));
  const zstddec = await loadAsync('zstddec', async () => {
    const m = await import(pathToFileURL(join(benchDir(), 'node_modules', 'zstddec', 'dist', 'zstddec.mjs')).href) as {
      ZSTDDecoder: new () => { init(): Promise<void>; decode(b: Uint8Array, size?: number): Uint8Array };
    };
    const d = new m.ZSTDDecoder();
    await d.init();
    return d;
  });
  // zstddec needs the output size for frames without Frame_Content_Size; it is given the true one.
  if (zstddec !== undefined) add(`zstddec ${versions.get('zstddec')!}`, 'zstd', 'wasm', (v) => () => zstddec.decode(v.input, v.expected.length));
  const bokuweb = await loadAsync('@bokuweb/zstd-wasm', async () => {
    const m = require('@bokuweb/zstd-wasm') as { init(): Promise<void>; decompress(b: Uint8Array, o?: { defaultHeapSize?: number }): Uint8Array };
    await m.init();
    return m;
  });
  if (bokuweb !== undefined) {
    add(`@bokuweb/zstd-wasm ${versions.get('@bokuweb/zstd-wasm')!}`, 'zstd', 'wasm', (v) => () => bokuweb.decompress(v.input, { defaultHeapSize: v.expected.length + 1024 }));
  }
  const zstdNapi = load('zstd-napi', () => require('zstd-napi') as { decompress: SyncFn });
  if (zstdNapi !== undefined) add(`zstd-napi ${versions.get('zstd-napi')!}`, 'zstd', 'native', sync((b) => zstdNapi.decompress(b)));

  return list.filter((i) => ONLY === undefined || i.kind === 'ours' || ONLY.some((o) => i.name.includes(o)));
}

// ---------------------------------------------------------------------------------------------
// Measurement

function isPromise(v: unknown): v is Promise<Uint8Array> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

let sink = 0;

/**
 * Runs `fn` back to back for at least `ms` of wall time; returns output MB per CPU-second of this
 * process. CPU time, because on a shared machine the wall clock also counts the time other
 * processes had the core.
 */
async function rate(fn: Decode, isAsync: boolean, ms: number): Promise<number> {
  let bytes = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  do {
    const r = isAsync ? await fn() : (fn() as Uint8Array);
    bytes += r.length;
  } while (performance.now() - start < ms);
  const cpu = process.cpuUsage(cpu0);
  sink ^= bytes;
  return bytes / (cpu.user + cpu.system);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  vector: string;
  codec: CodecName;
  group: Group;
  impl: string;
  kind: Kind;
  outBytes: number;
  inBytes: number;
  na?: string;
  mbps?: number;
  spreadPct?: number;
  samples?: number[];
}

async function benchVector(v: Vector, list: readonly Impl[]): Promise<Row[]> {
  const rows: Row[] = [];
  const live: Array<{ fn: Decode; isAsync: boolean; row: Row }> = [];
  for (const impl of list) {
    if (impl.codec !== v.codec) continue;
    const row: Row = { vector: v.name, codec: v.codec, group: v.group, impl: impl.name, kind: impl.kind, outBytes: v.expected.length, inBytes: v.input.length };
    rows.push(row);
    const fn = impl.make(v);
    if (typeof fn === 'string') {
      row.na = fn;
      continue;
    }
    try {
      const first = fn();
      const isAsync = isPromise(first);
      const out = isAsync ? await first : first;
      if (!Buffer.from(out.buffer, out.byteOffset, out.byteLength).equals(v.expected)) {
        row.na = `wrong output (${out.length} bytes, expected ${v.expected.length})`;
        continue;
      }
      live.push({ fn, isAsync, row });
    } catch (e) {
      row.na = `error: ${(e as Error).message.split('\n')[0]!.slice(0, 80)}`;
    }
  }
  for (const l of live) await rate(l.fn, l.isAsync, WARMUP_MS);
  const samples = live.map(() => [] as number[]);
  for (let s = 0; s < SAMPLES; s++) {
    // Interleaved, rotating the starting implementation each round.
    for (let k = 0; k < live.length; k++) {
      const idx = (k + s) % live.length;
      samples[idx]!.push(await rate(live[idx]!.fn, live[idx]!.isAsync, SAMPLE_MS));
    }
  }
  live.forEach((l, idx) => {
    const xs = samples[idx]!;
    l.row.mbps = median(xs);
    l.row.spreadPct = ((Math.max(...xs) - Math.min(...xs)) / l.row.mbps) * 100;
    l.row.samples = xs.map((x) => Math.round(x));
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// CRC-32C: ours against npm's, over record-batch-sized inputs.

interface CrcRow { impl: string; kind: Kind; size: number; mbps?: number; spreadPct?: number; na?: string }

async function benchCrc(): Promise<CrcRow[]> {
  const sizes = [1024, 16 * 1024, 120 * 1024];
  const impls: Array<{ impl: string; kind: Kind; fn: (b: Buffer) => number }> = [{ impl: 'ours', kind: 'ours', fn: (b) => crc32c(b) }];
  const nodeRs = load('@node-rs/crc32', () => require('@node-rs/crc32') as { crc32c(b: Buffer): number });
  if (nodeRs !== undefined) impls.push({ impl: `@node-rs/crc32 ${versions.get('@node-rs/crc32')!}`, kind: 'native', fn: (b) => nodeRs.crc32c(b) });
  const crcJs = load('crc-32', () => require('crc-32/crc32c') as { buf(b: Buffer): number });
  if (crcJs !== undefined) impls.push({ impl: `crc-32 ${versions.get('crc-32')!} (crc32c)`, kind: 'js', fn: (b) => crcJs.buf(b) >>> 0 });
  const wasmUtils = await loadAsync('@platformatic/wasm-utils', async () => {
    const m = await import(pathToFileURL(join(benchDir(), 'node_modules', '@platformatic/wasm-utils/dist/index.js')).href) as { crc32c(b: Buffer): number };
    return m;
  });
  if (wasmUtils !== undefined) impls.push({ impl: `@platformatic/wasm-utils ${versions.get('@platformatic/wasm-utils')!}`, kind: 'wasm', fn: (b) => wasmUtils.crc32c(b) >>> 0 });
  const rows: CrcRow[] = [];
  for (const size of sizes) {
    const buf = plainBatch(SHAPE_1000X100).subarray(0, size);
    const want = crc32c(buf);
    const live: Array<{ fn: Decode; row: CrcRow }> = [];
    for (const i of impls) {
      const row: CrcRow = { impl: i.impl, kind: i.kind, size };
      rows.push(row);
      let got: number;
      try {
        got = i.fn(buf);
      } catch (e) {
        row.na = `error: ${(e as Error).message}`;
        continue;
      }
      if (got !== want) {
        row.na = `wrong CRC ${got.toString(16)}, expected ${want.toString(16)}`;
        continue;
      }
      const fn = i.fn;
      live.push({ row, fn: () => { sink ^= fn(buf); return buf; } });
    }
    for (const l of live) await rate(l.fn, false, WARMUP_MS);
    const samples = live.map(() => [] as number[]);
    for (let s = 0; s < SAMPLES; s++) {
      for (let k = 0; k < live.length; k++) {
        const idx = (k + s) % live.length;
        samples[idx]!.push(await rate(live[idx]!.fn, false, SAMPLE_MS));
      }
    }
    live.forEach((l, idx) => {
      const xs = samples[idx]!;
      l.row.mbps = median(xs);
      l.row.spreadPct = ((Math.max(...xs) - Math.min(...xs)) / l.row.mbps) * 100;
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Report

/** Targets of issue 21, MB/s of output over the cli and kafka groups. gzip is judged against node:zlib. */
const TARGET_MBPS: Partial<Record<CodecName, number>> = { lz4: 1500, snappy: 1500, zstd: 600 };

interface Summary { codec: CodecName; group: string; impl: string; kind: Kind; vectors: number; of: number; mbps: number; ratio?: number; minRatio?: number }

/**
 * Per codec and group: each implementation's aggregate speed (total output / total time over the
 * vectors it decoded) and ours / it as the geometric mean (and minimum) of the per-vector ratios.
 */
function summarize(rows: readonly Row[]): Summary[] {
  const out: Summary[] = [];
  const groups: Array<[string, (g: Group) => boolean]> = [['cli+kafka', (g) => g === 'cli' || g === 'kafka'], ['kafka', (g) => g === 'kafka'], ['batch', (g) => g === 'batch'], ['broker', (g) => g === 'broker']];
  for (const codec of NAMES) {
    for (const [gname, inGroup] of groups) {
      const rs = rows.filter((r) => r.codec === codec && inGroup(r.group));
      const vectors = [...new Set(rs.map((r) => r.vector))];
      if (vectors.length === 0) continue;
      const ours = new Map(rs.filter((r) => r.kind === 'ours' && r.mbps !== undefined).map((r) => [r.vector, r.mbps!]));
      for (const impl of [...new Set(rs.map((r) => r.impl))]) {
        const mine = rs.filter((r) => r.impl === impl && r.mbps !== undefined);
        if (mine.length === 0) {
          out.push({ codec, group: gname, impl, kind: rs.find((r) => r.impl === impl)!.kind, vectors: 0, of: vectors.length, mbps: 0 });
          continue;
        }
        const bytes = mine.reduce((n, r) => n + r.outBytes, 0);
        const secs = mine.reduce((n, r) => n + r.outBytes / r.mbps!, 0);
        const ratios = mine.filter((r) => ours.has(r.vector)).map((r) => ours.get(r.vector)! / r.mbps!);
        const s: Summary = { codec, group: gname, impl, kind: mine[0]!.kind, vectors: mine.length, of: vectors.length, mbps: bytes / secs };
        if (mine[0]!.kind !== 'ours' && ratios.length > 0) {
          s.ratio = Math.exp(ratios.reduce((n, x) => n + Math.log(x), 0) / ratios.length);
          s.minRatio = Math.min(...ratios);
        }
        out.push(s);
      }
    }
  }
  return out;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  const all = allVectors();
  const vectors = all.filter((v) => FILTER === undefined || FILTER.some((f) => v.name.includes(f) || v.codec === f || v.group === f));
  const list = await impls();
  console.log(`codec decoding: ${SAMPLES} interleaved samples x ${SAMPLE_MS} ms per implementation and vector (median), ${WARMUP_MS} ms warm-up${QUICK ? ' [--quick: numbers meaningless]' : ''}`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'}, nproc ${availableParallelism()}, load ${load0.toFixed(2)}`);
  for (const m of missing) console.log(`peer not loaded: ${m}`);
  const rows: Row[] = [];
  for (const v of vectors) rows.push(...(await benchVector(v, list)));
  console.log('\nMB/s = MB of output per CPU-second (10^6 B); "ours/x" = our speed over theirs on the same vector.\n');
  console.log(`${pad('vector', 44)} ${pad('implementation', 30)} ${pad('kind', 6)} ${pad('out B', 7, true)} ${pad('MB/s', 6, true)} ${pad('±%', 4, true)} ${pad('ours/x', 7, true)}`);
  for (const v of vectors) {
    const rs = rows.filter((r) => r.vector === v.name);
    const ours = rs.find((r) => r.kind === 'ours')?.mbps;
    for (const r of rs) {
      const head = `${pad(r.vector, 44)} ${pad(r.impl, 30)} ${pad(r.kind, 6)} ${pad(String(r.outBytes), 7, true)}`;
      if (r.mbps === undefined) console.log(`${head} ${r.na ?? ''}`);
      else console.log(`${head} ${pad(r.mbps.toFixed(0), 6, true)} ${pad(r.spreadPct!.toFixed(0), 4, true)} ${pad(ours === undefined || r.kind === 'ours' ? '' : (ours / r.mbps).toFixed(2), 7, true)}`);
    }
  }
  const summary = summarize(rows);
  console.log('\nSummary: aggregate MB/s over the vectors decoded; ours/x = geometric mean (min) of per-vector ratios.\n');
  for (const s of summary) {
    const cover = `${s.vectors}/${s.of}`;
    const ratio = s.ratio === undefined ? '' : `ours/x ${s.ratio.toFixed(2)} (min ${s.minRatio!.toFixed(2)})`;
    const target = (s.kind === 'ours' || s.kind === 'pooled') && s.group === 'cli+kafka' && TARGET_MBPS[s.codec] !== undefined
      ? `target >= ${TARGET_MBPS[s.codec]!}: ${QUICK ? 'not judged' : s.mbps >= TARGET_MBPS[s.codec]! ? 'MET' : 'MISSED'}` : '';
    console.log(`${pad(s.codec, 7)} ${pad(s.group, 10)} ${pad(s.impl, 30)} ${pad(s.kind, 6)} ${pad(cover, 6)} ${pad(s.vectors === 0 ? 'n/a' : s.mbps.toFixed(0), 6, true)} MB/s  ${[ratio, target].filter((x) => x !== '').join('  ')}`);
  }
  const crc = await benchCrc();
  console.log('\nCRC-32C, MB/s of input:');
  for (const r of crc) console.log(`  ${pad(String(r.size), 7, true)} B  ${pad(r.impl, 34)} ${pad(r.kind, 6)} ${r.mbps === undefined ? r.na ?? '' : `${pad(r.mbps.toFixed(0), 6, true)} MB/s ±${r.spreadPct!.toFixed(0)}%`}`);
  const load1 = loadavg()[0]!;
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s; 1-minute load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end (nproc ${availableParallelism()})`);
  // Our decoders must decode every vector; a peer may fail (unsupported features), never ours.
  const broken = rows.filter((r) => (r.kind === 'ours' || r.kind === 'pooled') && r.na !== undefined);
  for (const r of broken) console.error(`FAILED: ${r.vector}: ${r.na!}`);
  if (broken.length > 0) process.exitCode = 1;
  if (JSON_FILE !== undefined) {
    const doc = {
      benchmark: 'codecs', date: new Date().toISOString(), command: process.argv.slice(1).join(' '),
      machine: { node: process.version, cpu: cpus()[0]?.model, nproc: availableParallelism(), loadAvg1mAtStart: load0, loadAvg1mAtEnd: load1 },
      options: { samples: SAMPLES, sampleMs: SAMPLE_MS, warmupMs: WARMUP_MS }, peers: Object.fromEntries(versions), missing,
      rows, summary, crc, sink,
    };
    writeFileSync(JSON_FILE, `${JSON.stringify(doc, null, 1)}\n`);
    console.log(`wrote ${JSON_FILE}`);
  }
}

await main();
