import type { MetadataResponse } from '../protocol/apis/metadata.js';
import { ErrorCode } from '../protocol/error-codes.js';
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

/**
 * Brokers and topics from the latest Metadata responses. Topic names come from callers (in the
 * proxy, from any WebSocket client), so the topic map is bounded: it keeps only topics Kafka
 * described without an error, at most `maxTopics` of them, and drops the least recently used
 * first. A topic that failed (unknown, not authorized, ...) is asked about again next time
 * anyway, so keeping its entry would only hold memory.
 */
export class MetadataCache {
  readonly brokers = new Map<number, BrokerAddress>();
  /** In order of last use, least recent first (a Map iterates in insertion order). */
  private readonly topics = new Map<string, TopicInfo>();
  private readonly maxTopics: number;

  constructor(maxTopics: number) {
    this.maxTopics = maxTopics;
  }

  get size(): number {
    return this.topics.size;
  }

  /** The topic's entry, which becomes the most recently used. */
  use(topic: string): TopicInfo | undefined {
    const t = this.topics.get(topic);
    if (t !== undefined) {
      this.topics.delete(topic);
      this.topics.set(topic, t);
    }
    return t;
  }

  /** The topic's entry, leaving the order of use alone. */
  peek(topic: string): TopicInfo | undefined {
    return this.topics.get(topic);
  }

  /** Merges a response: brokers are replaced wholesale; topics one by one, a topic with an error removed. */
  update(body: MetadataBody, now: number): void {
    if (body.brokers.length > 0) {
      this.brokers.clear();
      for (const b of body.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    }
    for (const t of body.topics) {
      if (t.name === null) continue;
      this.topics.delete(t.name);
      if (t.errorCode !== ErrorCode.NONE) continue;
      const partitions = new Map<number, PartitionInfo>();
      for (const p of t.partitions) {
        partitions.set(p.partitionIndex, { partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, errorCode: p.errorCode });
      }
      this.topics.set(t.name, { name: t.name, topicId: t.topicId, errorCode: t.errorCode, partitions, fetchedAt: now });
    }
    for (const oldest of this.topics.keys()) {
      if (this.topics.size <= this.maxTopics) break;
      this.topics.delete(oldest);
    }
  }

  /** Makes the topic's entry stale, so its next use asks Kafka again. */
  invalidate(topic: string): void {
    const t = this.topics.get(topic);
    if (t !== undefined) this.topics.set(topic, { ...t, fetchedAt: -Infinity });
  }
}
