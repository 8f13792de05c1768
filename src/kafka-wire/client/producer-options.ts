import { KafkaWireError } from '../errors.js';
import { CODEC } from '../records/codecs/index.js';
import type { BatchSettings } from './accumulator.js';
import type { Acks } from './producer-batch.js';

export type CompressionName = keyof typeof CODEC;

/** Per send: routes differ in each. */
export interface SendOptions {
  /** -1 or 'all' (default): every in-sync replica; 1: the leader; 0: no acknowledgement at all. */
  acks?: Acks | 'all';
  /** none (default), gzip, snappy, lz4, zstd, or the codec id. */
  compression?: CompressionName | number;
  /** How long a batch waits for more records before it is sent (default 1 ms). */
  lingerMs?: number;
  /** A batch is sent once it holds this many bytes (default 64 KiB). */
  batchBytes?: number;
}

export interface ProducerOptions extends SendOptions {
  /** How long the broker may take to replicate for acks=all, and we wait for its answer (default 30 000 ms). */
  requestTimeoutMs?: number;
  /**
   * Upper bound on the time from send() to each record's result (default 120 000 ms, Java's
   * delivery.timeout.ms): retries stop, and waiting records fail with KWIRE_ERR_PRODUCE_TIMEOUT.
   * At least lingerMs + requestTimeoutMs.
   */
  deliveryTimeoutMs?: number;
  /** Largest Produce request (default 1 MiB, Java's max.request.size); a larger record fails with KWIRE_ERR_RECORD_TOO_LARGE. */
  maxRequestBytes?: number;
  /** Records (estimated bytes) held at most, waiting or in flight; send() waits while it is full (default 32 MiB). */
  bufferBytes?: number;
  /** First backoff between attempts of a batch; doubles up to retryBackoffMaxMs (defaults 100 and 1000 ms). */
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /**
   * Idempotence (default true): a producer id from InitProducerId and sequence numbers, so that
   * retries never write a batch twice. false sends without them, one batch per partition at a
   * time, and a retry may then duplicate. acks=0 batches never carry a producer id: Kafka would
   * not answer their sequence errors.
   */
  idempotence?: boolean;
  /** [0, 1) like Math.random, for the sticky partitioner (tests pass a seeded one). */
  random?: () => number;
}

/** The settings one send call batches with. */
export interface Settings extends BatchSettings {
  idempotent: boolean;
}

/** @throws KWIRE_ERR_CONFIG */
export function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new KafkaWireError('KWIRE_ERR_CONFIG', `${name} must be a positive number, got ${n}`);
  return n;
}

export function settingsOf(o: SendOptions, base: Settings): Settings {
  const acks = o.acks === undefined ? base.acks : o.acks === 'all' ? -1 : o.acks;
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new KafkaWireError('KWIRE_ERR_CONFIG', `acks must be -1 ('all'), 0 or 1, got ${String(o.acks)}`);
  let compression = base.compression;
  if (o.compression !== undefined) {
    const c = typeof o.compression === 'number' ? o.compression : (CODEC as Record<string, number>)[o.compression];
    if (c === undefined || !Number.isInteger(c) || c < 0 || c > 4) throw new KafkaWireError('KWIRE_ERR_CONFIG', `compression must be none, gzip, snappy, lz4, zstd or 0-4, got ${String(o.compression)}`);
    compression = c;
  }
  const lingerMs = o.lingerMs ?? base.lingerMs;
  if (!Number.isFinite(lingerMs) || lingerMs < 0) throw new KafkaWireError('KWIRE_ERR_CONFIG', `lingerMs must be a number >= 0, got ${lingerMs}`);
  const batchBytes = o.batchBytes === undefined ? base.batchBytes : positive(o.batchBytes, 'batchBytes');
  return { acks, compression, lingerMs, batchBytes, deliveryTimeoutMs: base.deliveryTimeoutMs, idempotent: base.idempotent };
}
