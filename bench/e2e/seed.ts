/**
 * Topics of known size for the end-to-end benchmark, written with our own Produce encoder
 * (style.md: benchmarks build inputs with our own encoder). Idempotent: a partition whose high
 * watermark already holds the expected count is left alone, and one cut short (an interrupted
 * seed) is topped up from its high watermark, since record i is a pure function of i.
 */
import { CODEC, Connection, encodeRecordBatch, KafkaClient, ProduceApi, type RecordInput } from '../../src/kafka-wire/index.js';
import { BASE_TIMESTAMP, buildRecords } from '../inputs.js';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Records per partition; offsets 0..perPartition-1. */
  perPartition: number;
  valueSize: number;
  codec: 'none' | 'lz4' | 'zstd';
}

/**
 * The throughput topics: 100 B and 1 KiB values, uncompressed, lz4 and zstd (two of them in a
 * smoke run). The zstd batches come from our own encoder (raw literals, predefined tables:
 * src/kafka-wire/records/codecs/zstd-encoder.ts), so reading them exercises the sequence decoder
 * but not Huffman literals as zstd-jni's batches do; BENCHMARKS.md says so next to the figures.
 */
export function throughputTopics(smoke: boolean): TopicSpec[] {
  const prefix = smoke ? 'bench-smoke' : 'bench';
  // Full: about 48 MB per 100 B topic and 84 MB per 1 KiB topic uncompressed; enough that fetches
  // are always full (1 MiB), small enough to stay in the page cache next to everything else.
  const small = smoke ? 2_000 : 100_000;
  const large = smoke ? 500 : 20_000;
  const partitions = smoke ? 2 : 4;
  const all: TopicSpec[] = [
    { name: `${prefix}-100b-none`, partitions, perPartition: small, valueSize: 100, codec: 'none' },
    { name: `${prefix}-100b-lz4`, partitions, perPartition: small, valueSize: 100, codec: 'lz4' },
    { name: `${prefix}-1k-none`, partitions, perPartition: large, valueSize: 1024, codec: 'none' },
    { name: `${prefix}-1k-lz4`, partitions, perPartition: large, valueSize: 1024, codec: 'lz4' },
    { name: `${prefix}-100b-zstd`, partitions, perPartition: small, valueSize: 100, codec: 'zstd' },
    { name: `${prefix}-1k-zstd`, partitions, perPartition: large, valueSize: 1024, codec: 'zstd' },
  ];
  // Smoke: one uncompressed and one lz4 topic are enough to exercise every path in seconds.
  return smoke ? [all[0]!, all[3]!] : all;
}

/** The produce-to-client latency topic: the Java producer appends to it on every run. */
export const TAIL_TOPIC = 'bench-tail';

/**
 * Records per batch: Java's default batch.size (16 KiB) of values, as a producer under steady load
 * sends them.
 */
function batchRecords(valueSize: number): number {
  return Math.max(1, Math.floor(16_384 / valueSize));
}

const POOL = 1024;
const IN_FLIGHT = 8;

export interface SeedResult {
  topic: string;
  produced: number;
  skipped: boolean;
}

/**
 * Brings every partition of `spec` to exactly `perPartition` records. The topic must exist.
 * @throws Error when a partition holds more records than expected or has a log start above 0.
 */
export async function seedTopic(bootstrap: string, spec: TopicSpec): Promise<SeedResult> {
  const client = new KafkaClient({ brokers: [bootstrap], clientId: 'kwp-bench-seed' });
  let produced = 0;
  try {
    const info = await client.topic(spec.name);
    if (info.partitions.size !== spec.partitions) {
      throw new Error(`topic ${spec.name} has ${info.partitions.size} partitions, the benchmark expects ${spec.partitions}: delete it and run again`);
    }
    const pool = buildRecords({ count: POOL, valueSize: spec.valueSize, headers: false, seed: spec.valueSize });
    for (let p = 0; p < spec.partitions; p++) {
      const hw = Number((await client.listOffsets(spec.name, p, -1n)).offset);
      const start = Number((await client.listOffsets(spec.name, p, -2n)).offset);
      if (hw > spec.perPartition || start > 0) {
        throw new Error(`${spec.name}-${p} holds offsets ${start}..${hw}, the benchmark expects 0..${spec.perPartition}: delete the topic and run again`);
      }
      if (hw === spec.perPartition) continue;
      // The harness runs one broker, which leads every partition; a second one would answer
      // NOT_LEADER_OR_FOLLOWER (6), reported below.
      const conn = await Connection.connect(hostPort(bootstrap));
      try {
        produced += await produceRange(conn, spec, p, hw, pool);
      } finally {
        conn.close();
      }
    }
  } finally {
    client.close();
  }
  return { topic: spec.name, produced, skipped: produced === 0 };
}

/** Produces records from..perPartition-1 of one partition, IN_FLIGHT requests pipelined. */
async function produceRange(conn: Connection, spec: TopicSpec, partition: number, from: number, pool: RecordInput[]): Promise<number> {
  const per = batchRecords(spec.valueSize);
  const version = Math.min(conn.version(ProduceApi), 12); // v13 names topics by id only
  const compression = CODEC[spec.codec];
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let n = 0;
  for (let i = from; i < spec.perPartition && failure === undefined; i += per) {
    const records: RecordInput[] = [];
    for (let j = i; j < Math.min(i + per, spec.perPartition); j++) {
      records.push({ key: `key-${String(j).padStart(6, '0')}`, value: pool[j % POOL]!.value ?? null, timestamp: BASE_TIMESTAMP + BigInt(j) });
    }
    const batch = encodeRecordBatch({ records, compression });
    // One connection keeps requests in order, so the log holds records in index order even when a
    // seed is interrupted: the high watermark then says where to resume.
    const req: Promise<void> = conn.request(ProduceApi, { acks: 1, timeoutMs: 30_000, topicData: [{ name: spec.name, partitionData: [{ index: partition, records: batch }] }] }, { version })
      .then((res) => {
        const code = res.body.responses[0]?.partitionResponses[0]?.errorCode;
        if (code !== 0) throw new Error(`produce to ${spec.name}-${partition}: error code ${String(code)}`);
      })
      .catch((e: unknown) => {
        failure ??= e as Error;
      })
      .finally(() => inFlight.delete(req));
    inFlight.add(req);
    n += records.length;
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return n;
}

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}
