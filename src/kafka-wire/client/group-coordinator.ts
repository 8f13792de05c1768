import { KafkaProtocolError, KafkaWireError } from '../errors.js';
import { FIND_COORDINATOR_BATCHED_SINCE } from '../protocol/apis/find-coordinator.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { kafkaErrorOf } from '../protocol/frame.js';
import { FindCoordinatorApi } from '../protocol/versions.js';
import { KafkaConnectionError, type Connection } from '../transport/index.js';
import type { KafkaClient } from './client.js';
import { RetriesExhaustedError } from './errors.js';
import { CoordinatorUnavailableError, quoteGroup } from './group-errors.js';
import type { BrokerAddress } from './metadata.js';
import { isRetriable } from './retriable.js';

/** FindCoordinator's KeyType for a consumer group (1 is a transactional id, 2 a share group). */
const KEY_TYPE_GROUP = 0;

/** Kafka's answers that say the coordinator we used is not (or not yet) the one to ask. */
const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

/** Whether `e` is Kafka saying the group's coordinator moved, is unavailable or is still loading the group. */
export function isCoordinatorError(e: unknown): e is KafkaProtocolError {
  return e instanceof KafkaProtocolError && COORDINATOR_ERRORS.has(e.errorCode);
}

export type GroupRetry = 'rediscover' | 'retry' | 'fail';

/**
 * What a failed group request calls for. 'rediscover': forget the group's coordinator, then try
 * again (Kafka's NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, or the
 * connection to the coordinator failed: it may have moved with its broker). 'retry': another
 * retriable failure (no broker reachable for FindCoordinator, UNSTABLE_OFFSET_COMMIT, a topic
 * Kafka does not know yet). 'fail': nothing a retry can cure. Rediscovering on LOAD_IN_PROGRESS
 * costs one FindCoordinator, which also covers a coordinator that moved while loading.
 */
export function groupRetry(e: unknown): GroupRetry {
  if (!isRetriable(e)) return 'fail';
  if (isCoordinatorError(e) || e instanceof KafkaConnectionError) return 'rediscover';
  return 'retry';
}

/**
 * The error a group operation ends with: a RetriesExhaustedError whose last failure was Kafka
 * naming the coordinator unavailable, moved or loading becomes CoordinatorUnavailableError;
 * anything else stays as it is.
 */
export function afterRetries(groupId: string, e: unknown): unknown {
  if (e instanceof RetriesExhaustedError && isCoordinatorError(e.cause)) return new CoordinatorUnavailableError(groupId, e.attempts, e.cause);
  return e;
}

/**
 * The coordinator broker of each group, found with FindCoordinator (key type group) and kept
 * until a request to it fails in a way groupRetry calls 'rediscover'. Group ids may come from
 * untrusted callers, so at most `maxGroups` are kept, the least recently used dropped first, and
 * concurrent lookups of one group share one request.
 */
export class GroupCoordinators {
  private readonly client: KafkaClient;
  private readonly maxGroups: number;
  /** In order of last use, least recent first (a Map iterates in insertion order). */
  private readonly known = new Map<string, BrokerAddress>();
  private readonly finding = new Map<string, Promise<BrokerAddress>>();
  private lookupCount = 0;

  constructor(client: KafkaClient, maxGroups = 10_000) {
    if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new KafkaWireError('KWIRE_ERR_CONFIG', `maxGroups must be a positive integer, got ${maxGroups}`);
    this.client = client;
    this.maxGroups = maxGroups;
  }

  /** FindCoordinator requests sent, for tests and metrics. */
  get lookups(): number {
    return this.lookupCount;
  }

  /** Groups whose coordinator is known now. */
  get size(): number {
    return this.known.size;
  }

  /**
   * A connection to the group's coordinator, looked up first unless known. No retries here: the
   * caller retries the whole operation (see groupRetry).
   * @throws KafkaProtocolError (FindCoordinator's error), NoBrokerError, KafkaConnectionError
   */
  async connection(groupId: string): Promise<Connection> {
    return this.client.connectionTo(await this.find(groupId));
  }

  /** The group's coordinator, from the cache or FindCoordinator. */
  find(groupId: string): Promise<BrokerAddress> {
    const b = this.known.get(groupId);
    if (b !== undefined) {
      this.known.delete(groupId);
      this.known.set(groupId, b);
      return Promise.resolve(b);
    }
    let p = this.finding.get(groupId);
    if (p === undefined) {
      p = this.lookup(groupId).finally(() => this.finding.delete(groupId));
      this.finding.set(groupId, p);
    }
    return p;
  }

  /** Forgets the group's coordinator: the next request looks it up again. */
  forget(groupId: string): void {
    this.known.delete(groupId);
  }

  private async lookup(groupId: string): Promise<BrokerAddress> {
    const conn = await this.client.anyBroker();
    const version = conn.version(FindCoordinatorApi);
    this.lookupCount++;
    const res = await conn.request(FindCoordinatorApi, { key: groupId, keyType: KEY_TYPE_GROUP, coordinatorKeys: [groupId] }, { version });
    // v4+ answers per key (KIP-699); before, at the top level.
    const c = version >= FIND_COORDINATOR_BATCHED_SINCE ? res.body.coordinators.find((x) => x.key === groupId) : res.body;
    if (c === undefined) throw new KafkaWireError('KWIRE_ERR_UNEXPECTED_RESPONSE', `FindCoordinator v${version} response has no entry for group ${quoteGroup(groupId)}`);
    if (c.errorCode !== ErrorCode.NONE) throw kafkaErrorOf('FindCoordinator', version, c.errorCode, `group ${quoteGroup(groupId)}`, c.errorMessage);
    const found: BrokerAddress = { nodeId: c.nodeId, host: c.host, port: c.port };
    this.known.set(groupId, found);
    for (const oldest of this.known.keys()) {
      if (this.known.size <= this.maxGroups) break;
      this.known.delete(oldest);
    }
    return found;
  }
}
