/**
 * The inputs of the codec benchmarks (codecs.ts, codecs-ab.ts): the committed codec fixtures with
 * their plain bytes, records sections of v2 batches, and batches recorded from real brokers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { crc32c } from '../src/kafka-wire/primitives/crc.js';
import { CODEC, compress, decompress } from '../src/kafka-wire/records/codecs/index.js';
import { benchDir, plainBatch, SHAPE_1000X100, V2_HEADER_SIZE, ZSTD_FIXTURE } from './inputs.js';

export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';
/** cli: reference tools (test/fixtures/codecs); kafka: the Java client's codec streams; batch: records sections of v2 batches; broker: batches from recorded Fetch replies. */
export type Group = 'cli' | 'kafka' | 'batch' | 'broker';

export interface Vector {
  readonly name: string;
  readonly codec: CodecName;
  readonly group: Group;
  readonly input: Buffer;
  readonly expected: Buffer;
}

const root = join(benchDir(), '..');
const fixtures = join(root, 'test', 'fixtures');

export function codecFixtures(): Vector[] {
  const dir = join(fixtures, 'codecs');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    vectors: Array<{ file: string; codec: CodecName; expect?: string[] }>;
  };
  const out: Vector[] = [];
  const seen = new Set<string>();
  for (const m of manifest.vectors) {
    if (m.expect === undefined || seen.has(m.file)) continue;
    seen.add(m.file);
    const expected = Buffer.concat(m.expect.map((n) => readFileSync(join(dir, 'inputs', n))));
    // Under 16 KiB the call overhead dominates; the batch and broker groups cover small payloads.
    if (expected.length < 16 * 1024) continue;
    out.push({ name: m.file, codec: m.codec, group: m.file.startsWith('kafka/') ? 'kafka' : 'cli', input: readFileSync(join(dir, m.file)), expected });
  }
  return out;
}

/** The records section (after the 61-byte header) of the v2 batches in `buf`, found by their CRC. */
function batchPayloads(buf: Buffer): Array<{ codec: number; payload: Buffer }> {
  const out: Array<{ codec: number; payload: Buffer }> = [];
  for (let p = 0; p + V2_HEADER_SIZE <= buf.length; p++) {
    if (buf[p + 16] !== 2) continue;
    const end = p + 12 + buf.readInt32BE(p + 8);
    if (end > buf.length || end < p + V2_HEADER_SIZE) continue;
    if (crc32c(buf, p + 21, end) !== buf.readUInt32BE(p + 17)) continue;
    out.push({ codec: buf[p + 22]! & 7, payload: buf.subarray(p + V2_HEADER_SIZE, end) });
    p = end - 1;
  }
  return out;
}

export const NAMES: readonly CodecName[] = ['gzip', 'snappy', 'lz4', 'zstd'];

export function batchVectors(): Vector[] {
  const out: Vector[] = [];
  const records = plainBatch(SHAPE_1000X100).subarray(V2_HEADER_SIZE);
  for (const codec of NAMES) {
    // zstd: the committed fixture made by the zstd CLI (our encoder is not what Kafka writes).
    const input = codec === 'zstd'
      ? readFileSync(join(benchDir(), ZSTD_FIXTURE)).subarray(V2_HEADER_SIZE)
      : compress(CODEC[codec], records);
    out.push({ name: `batch/1000x100.${codec}`, codec, group: 'batch', input, expected: records });
  }
  // A 2000-byte batch of JSON lines, our encoders (gzip: node:zlib): per-call costs dominate.
  const small = readFileSync(join(fixtures, 'codecs', 'inputs', 'json.jsonl')).subarray(0, 2000);
  for (const codec of NAMES) out.push({ name: `batch/json-2000.${codec}`, codec, group: 'batch', input: compress(CODEC[codec], small), expected: small });
  // Batches that Java producers and kcat sent through real brokers (test/fixtures/kafka): small ones.
  const seen = new Set<string>();
  for (const path of ['4.4.0/java-4.4.0/lz4/0016-Fetch-v18.resp.bin', '4.4.0/java-4.4.0/zstd/0016-Fetch-v18.resp.bin',
    '4.4.0/java-4.4.0/snappy/0016-Fetch-v18.resp.bin', '3.9.2/java-3.9.2/gzip/0016-Fetch-v17.resp.bin']) {
    let buf: Buffer;
    try {
      buf = readFileSync(join(fixtures, 'kafka', path));
    } catch {
      continue;
    }
    for (const b of batchPayloads(buf)) {
      const codec = NAMES[b.codec - 1];
      if (codec === undefined || seen.has(codec)) continue;
      seen.add(codec);
      // No plain copy is recorded beside these; the batch CRC vouches for the input and our
      // decoder (checked against the reference tools in the codec tests) gives the expected bytes.
      out.push({ name: `broker/${path.split('/').slice(0, 2).join('/')}.${codec}`, codec, group: 'broker', input: b.payload, expected: decompress(b.codec, b.payload) });
    }
  }
  return out;
}

/** Every vector, fixtures first. */
export function allVectors(): Vector[] {
  return [...codecFixtures(), ...batchVectors()];
}
