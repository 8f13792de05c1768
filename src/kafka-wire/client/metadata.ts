import type { MetadataResponse } from '../protocol/apis/metadata.js';
import type { MessageSchema } from '../protocol/codec.js';
import type { Infer } from '../protocol/schema.js';

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionInfo {
  partition: number;
  /** -1 while the partition has no leader. */
  leader: number;
  leaderEpoch: number;
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  /** Kafka's base64 form; all zeros when the broker's Metadata is too old to send it. */
  topicId: string;
  errorCode: number;
  partitions: ReadonlyMap<number, PartitionInfo>;
  fetchedAt: number;
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

type MetadataBody = typeof MetadataResponse extends MessageSchema<infer F> ? Infer<F> : never;

/** Brokers and topics from the latest Metadata responses. */
export class MetadataCache {
  readonly brokers = new Map<number, BrokerAddress>();
  readonly topics = new Map<string, TopicInfo>();

  /** Merges a response: brokers are replaced wholesale, topics one by one. */
  update(body: MetadataBody, now: number): void {
    if (body.brokers.length > 0) {
      this.brokers.clear();
      for (const b of body.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    }
    for (const t of body.topics) {
      if (t.name === null) continue;
      const partitions = new Map<number, PartitionInfo>();
      for (const p of t.partitions) {
        partitions.set(p.partitionIndex, { partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, errorCode: p.errorCode });
      }
      this.topics.set(t.name, { name: t.name, topicId: t.topicId, errorCode: t.errorCode, partitions, fetchedAt: now });
    }
  }

  invalidate(topic: string): void {
    const t = this.topics.get(topic);
    if (t !== undefined) this.topics.set(topic, { ...t, fetchedAt: -Infinity });
  }
}
