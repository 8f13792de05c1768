/**
 * A/B of two builds of our codecs: the same vectors decoded by build A and build B in one
 * process, alternating A B B A round after round, so both see the same machine load. Prints per
 * codec the median of the per-round speed ratios B/A and their range. This is how each step of
 * BENCHMARKS.md, "Codec decoding", was measured on a shared machine where absolute speeds move a lot.
 *
 *   cp -r dist /tmp/before     # build A
 *   (change, rebuild)          # build B = ./dist
 *   node dist/bench/codecs-ab.js --a /tmp/before --b dist [--filter lz4] [--rounds 9] [--time-ms 60] [--crc]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';

import { allVectors, type Vector } from './codec-vectors.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const A = arg('--a');
const B = arg('--b') ?? 'dist';
const ROUNDS = Number(arg('--rounds') ?? '9');
const SAMPLE_MS = Number(arg('--time-ms') ?? '60');
const FILTER = arg('--filter')?.split(',');
const CRC = process.argv.includes('--crc');
/**
 * By default outputs go to one reused region (the `alloc` option, as the proxy's pooled arenas
 * do), so the figures are the decoder's own; fresh memory costs page faults that vary with the
 * machine's state. --fresh gives every call a new Buffer instead.
 */
const FRESH = process.argv.includes('--fresh');

type Decompress = (codec: number, input: Uint8Array, opts?: { alloc?: (n: number) => Buffer }) => Uint8Array;
type Crc = (b: Uint8Array, start?: number, end?: number) => number;

async function load(dir: string): Promise<{ decompress: Decompress; crc32c: Crc }> {
  const codecs = await import(pathToFileURL(resolve(dir, 'src/kafka-wire/records/codecs/index.js')).href) as { decompress: Decompress };
  const crc = await import(pathToFileURL(resolve(dir, 'src/kafka-wire/primitives/crc.js')).href) as { crc32c: Crc };
  return { decompress: codecs.decompress, crc32c: crc.crc32c };
}

let sink = 0;

/**
 * Output MB per CPU-second of `fn` run back to back for `ms` of wall time. CPU time, not wall
 * time: on a shared machine the wall clock also counts the time other processes had the core.
 */
function rate(fn: () => number, ms: number): number {
  let bytes = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  do {
    bytes += fn();
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

const CODEC_ID = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

async function main(): Promise<void> {
  if (A === undefined) throw new Error('--a DIR (a dist/ of the "before" build) is required');
  const a = await load(A);
  const b = await load(B);
  const vectors = allVectors().filter((v) => FILTER === undefined || FILTER.some((f) => v.name.includes(f) || v.codec === f || v.group === f));
  console.log(`A/B: A=${A} B=${B}, ${ROUNDS} rounds of ABBA x ${SAMPLE_MS} ms, load ${loadavg()[0]!.toFixed(2)}`);
  const perCodec = new Map<string, { bytes: number; secA: number; secB: number; ratios: number[] }>();
  const jobs: Array<{ name: string; group: string; bytes: number; fa: () => number; fb: () => number }> = [];
  for (const v of vectors) {
    const id = CODEC_ID[v.codec];
    const input = v.input;
    for (const [name, impl] of [['A', a], ['B', b]] as const) {
      const out = impl.decompress(id, input);
      if (!Buffer.from(out.buffer, out.byteOffset, out.length).equals(v.expected)) throw new Error(`${name} decodes ${v.name} wrongly`);
    }
    const region = Buffer.allocUnsafe(v.expected.length * 2 + 1024 * 1024);
    const opts = FRESH ? undefined : { alloc: (n: number): Buffer => region.subarray(0, n) };
    jobs.push({ name: v.name, group: v.codec, bytes: v.expected.length, fa: () => a.decompress(id, input, opts).length, fb: () => b.decompress(id, input, opts).length });
  }
  if (CRC) {
    const vec: Vector | undefined = allVectors().find((v) => v.name === 'batch/1000x100.lz4');
    for (const size of [1024, 16384, 120000]) {
      const buf = vec!.expected.subarray(0, size);
      if (a.crc32c(buf) !== b.crc32c(buf)) throw new Error('CRC builds disagree');
      const fa = (): number => {
        sink ^= a.crc32c(buf);
        return size;
      };
      const fb = (): number => {
        sink ^= b.crc32c(buf);
        return size;
      };
      jobs.push({ name: `crc32c ${size} B`, group: 'crc32c', bytes: size, fa, fb });
    }
  }
  for (const j of jobs) {
    rate(j.fa, SAMPLE_MS);
    rate(j.fb, SAMPLE_MS);
    const ra: number[] = [];
    const rb: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        ra.push(rate(j.fa, SAMPLE_MS));
        rb.push(rate(j.fb, SAMPLE_MS));
      } else {
        rb.push(rate(j.fb, SAMPLE_MS));
        ra.push(rate(j.fa, SAMPLE_MS));
      }
    }
    const ratios = ra.map((x, i) => rb[i]! / x);
    const ma = median(ra);
    const mb = median(rb);
    console.log(`${j.name.padEnd(40)} A ${ma.toFixed(0).padStart(6)} B ${mb.toFixed(0).padStart(6)} MB/s  B/A ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`);
    const agg = perCodec.get(j.group) ?? { bytes: 0, secA: 0, secB: 0, ratios: [] };
    agg.bytes += j.bytes;
    agg.secA += j.bytes / ma;
    agg.secB += j.bytes / mb;
    agg.ratios.push(median(ratios));
    perCodec.set(j.group, agg);
  }
  console.log('');
  for (const [codec, g] of perCodec) {
    const geo = Math.exp(g.ratios.reduce((n, x) => n + Math.log(x), 0) / g.ratios.length);
    console.log(`${codec.padEnd(8)} A ${(g.bytes / g.secA).toFixed(0).padStart(6)} B ${(g.bytes / g.secB).toFixed(0).padStart(6)} MB/s (aggregate)  B/A geomean ${geo.toFixed(2)} over ${g.ratios.length} vectors`);
  }
  console.log(`load ${loadavg()[0]!.toFixed(2)} at end (checksum ${sink & 1})`);
}

await main();
