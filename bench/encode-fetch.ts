/**
 * Fetch reply encoding micro-benchmark: the proxy's hot path from decoded Kafka records to the
 * WebSocket frame (src/pubsub/protocol/response.ts `encodeFetchReply`), against protobufjs encoding
 * the same PubSubResp in the same process. Reports ns per message and bytes allocated per message
 * (V8 heap and ArrayBuffer memory separately), so a copy or a per-record object added to the path
 * shows up as a number.
 *
 *   node dist/bench/encode-fetch.js [--json FILE] [--time-ms 300] [--samples 7] [--quick]
 *
 * Rows, per input (bench/inputs.ts):
 *   ours encode            encodeFetchReply over batches read once beforehand (readBatches: CRC checked,
 *                          decompressed, records left as bytes); walking the records is part of encoding
 *   ours decode+encode     readBatches (CRC-32C checked, as the proxy's client does) + encodeFetchReply:
 *                          the CPU work the proxy does per reply besides I/O
 *   protobufjs encode      PubSubResp.encode(prebuilt message).finish(): protobufjs's best case
 *   protobufjs build+encode  building the message objects from the records (key/value getters,
 *                          offset and timestamp as numbers), then encoding: what a proxy built on
 *                          protobufjs would do
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import protobuf from 'protobufjs';
import { readBatches, readRecords, type KafkaRecord } from '../src/kafka-wire/index.js';
import { encodeFetchReply } from '../src/pubsub/protocol/fetch-reply.js';
import { benchDir, buildInputs, type BenchInput } from './inputs.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const QUICK = process.argv.includes('--quick');
const SAMPLE_MS = Number(arg('--time-ms') ?? (QUICK ? 20 : 300));
const SAMPLES = Number(arg('--samples') ?? (QUICK ? 3 : 7));
const JSON_FILE = arg('--json');
const INPUTS = ['1000x100', '1000x100+2h', '100x1KiB', '1000x10', '1000x100-lz4'];
const FRAME_LIMIT = 1 << 24; // no cut: every record of the input goes into the reply

const root = protobuf.loadSync(join(benchDir(), '..', 'proto', 'pubsub.proto'));
const PubSubResp = root.lookupType('PubSubResp');

let sink: unknown = null;

type Run = () => number; // returns the reply's byte length

interface Row {
  input: string;
  impl: string;
  nsPerMessage: number;
  spreadPct: number;
  heapBytesPerMessage: number;
  arrayBufferBytesPerMessage: number;
  frameBytesPerMessage: number;
}

/** Plain objects as protobufjs takes them; int64 as numbers (the inputs' values are safe integers). */
function messages(records: readonly KafkaRecord[]): Array<Record<string, unknown>> {
  return records.map((r) => ({
    offset: Number(r.offset),
    timestamp: Number(r.timestamp),
    key: r.key,
    value: r.value,
    headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
  }));
}

function runs(input: BenchInput): Array<[string, Run]> {
  const records = readRecords(input.buf).records;
  const read = readBatches(input.buf);
  const hw = records[records.length - 1]!.offset + 1n;
  const prebuilt = PubSubResp.fromObject({ sequence: 1, kafkaFetchResp: { messages: messages(records), highWatermark: Number(hw) } });
  return [
    ['ours encode', () => {
      const f = encodeFetchReply(1n, { batches: read.batches, highWatermark: hw, logStartOffset: 0n }, FRAME_LIMIT).frame;
      sink = f;
      return f.length;
    }],
    ['ours decode+encode', () => {
      const { batches } = readBatches(input.buf);
      const f = encodeFetchReply(1n, { batches, highWatermark: hw, logStartOffset: 0n }, FRAME_LIMIT).frame;
      sink = f;
      return f.length;
    }],
    ['protobufjs encode', () => {
      const f = PubSubResp.encode(prebuilt).finish();
      sink = f;
      return f.length;
    }],
    ['protobufjs build+encode', () => {
      const f = PubSubResp.encode({ sequence: 1, kafkaFetchResp: { messages: messages(records), highWatermark: Number(hw) } }).finish();
      sink = f;
      return f.length;
    }],
  ];
}

/** Median ns per call over SAMPLES samples of at least SAMPLE_MS each, and the spread. */
function time(run: Run): { ns: number; spread: number } {
  const end = performance.now() + SAMPLE_MS;
  while (performance.now() < end) run(); // warm-up
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    let n = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < SAMPLE_MS) {
      for (let i = 0; i < 10; i++) run();
      n += 10;
      t1 = performance.now();
    }
    samples.push(((t1 - t0) * 1e6) / n);
  }
  samples.sort((a, b) => a - b);
  const mid = samples[Math.floor(samples.length / 2)]!;
  return { ns: mid, spread: (samples[samples.length - 1]! - samples[0]!) / mid };
}

/**
 * Bytes allocated per call: heap and ArrayBuffer memory grown over a stretch of calls with no
 * collection in between. Results are kept alive in an array so nothing is freed early; if heap use
 * ever drops, a GC ran and the stretch is retried shorter.
 */
function allocation(run: Run): { heap: number; arrayBuffers: number } {
  for (let calls = 64; calls >= 2; calls >>= 1) {
    const keep: unknown[] = [];
    gc();
    gc();
    const m0 = process.memoryUsage();
    let last = m0.heapUsed;
    let collected = false;
    for (let i = 0; i < calls; i++) {
      run();
      keep.push(sink);
      const h = process.memoryUsage().heapUsed;
      if (h < last) collected = true;
      last = h;
    }
    const m1 = process.memoryUsage();
    if (collected) continue;
    // memoryUsage() itself allocates a little; measured the same way with an empty run below.
    return { heap: (m1.heapUsed - m0.heapUsed) / calls, arrayBuffers: (m1.arrayBuffers - m0.arrayBuffers) / calls };
  }
  return { heap: NaN, arrayBuffers: NaN };
}

function main(): void {
  const inputs = buildInputs().filter((i) => INPUTS.includes(i.name));
  const baseline = allocation(() => 0);
  const rows: Row[] = [];
  for (const input of inputs) {
    for (const [impl, run] of runs(input)) {
      const bytes = run();
      const n = input.records;
      const t = time(run);
      const a = allocation(run);
      rows.push({
        input: input.name, impl, nsPerMessage: t.ns / n, spreadPct: t.spread * 100,
        heapBytesPerMessage: (a.heap - baseline.heap) / n, arrayBufferBytesPerMessage: (a.arrayBuffers - baseline.arrayBuffers) / n,
        frameBytesPerMessage: bytes / n,
      });
    }
  }
  const f = (x: number, d = 1): string => x.toFixed(d).padStart(9);
  console.log(`Fetch reply encoding, Node ${process.version}. Per message: time, bytes allocated (V8 heap, ArrayBuffers), reply bytes.`);
  console.log(`${'input'.padEnd(13)}${'implementation'.padEnd(26)}${'ns/msg'.padStart(9)}${'±%'.padStart(6)}${'heap B'.padStart(9)}${'AB B'.padStart(9)}${'frame B'.padStart(9)}${'vs ours'.padStart(9)}`);
  for (const r of rows) {
    const ours = rows.find((x) => x.input === r.input && x.impl === 'ours encode')!;
    console.log(`${r.input.padEnd(13)}${r.impl.padEnd(26)}${f(r.nsPerMessage)}${r.spreadPct.toFixed(0).padStart(6)}${f(r.heapBytesPerMessage)}${f(r.arrayBufferBytesPerMessage)}${f(r.frameBytesPerMessage)}${f(r.nsPerMessage / ours.nsPerMessage, 2)}`);
  }
  console.log('"vs ours": time relative to "ours encode". "decode+encode" includes readBatches with CRC-32C checks, as the proxy runs it.');
  if (JSON_FILE !== undefined) writeFileSync(JSON_FILE, `${JSON.stringify({ node: process.version, sampleMs: SAMPLE_MS, samples: SAMPLES, rows }, null, 2)}\n`);
  if (sink === null) console.log('');
}

main();
