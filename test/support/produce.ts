import { Connection, encodeRecordBatch, ProduceApi } from '../../src/kafka-wire/index.js';
import type { BrokerInfo } from '../harness/kafka.js';

export interface TestRecord {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Array<{ key: string; value: Buffer | null }>;
}

/**
 * Writes records to one partition with our own batch encoder (acks=all) and returns the base
 * offset Kafka gave them. For tests that need records written while they watch; what the records
 * must match is checked by the test against what it wrote, not against this code.
 */
export function produce(info: BrokerInfo, topic: string, partition: number, records: readonly TestRecord[]): Promise<bigint> {
  return produceAt(info.host, info.ports.plaintext, topic, partition, records);
}

/**
 * As produce(), to the broker at host:port (which must lead the partition, e.g. node 2 of the
 * two-broker harness).
 * @throws Error naming Kafka's error code when the broker refuses (6: NOT_LEADER_OR_FOLLOWER).
 */
export async function produceAt(host: string, port: number, topic: string, partition: number, records: readonly TestRecord[]): Promise<bigint> {
  const conn = await Connection.connect({ host, port });
  try {
    const res = await conn.request(ProduceApi, {
      acks: -1, timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch({ records: records.map((r) => ({ key: r.key ?? null, value: r.value, headers: r.headers ?? [] })) }) }] }],
    }, { version: Math.min(conn.version(ProduceApi), 12) });
    const p = res.body.responses[0]!.partitionResponses[0]!;
    if (p.errorCode !== 0) throw new Error(`produce to ${topic}-${partition} failed with error ${p.errorCode}`);
    return p.baseOffset;
  } finally {
    conn.close();
  }
}
