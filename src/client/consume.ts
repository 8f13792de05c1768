import { ConnectionError, isTransientServerError, RequestTimeoutError, ServerError } from './errors.js';
import { GroupCommitter, type GroupHost } from './group.js';
import type { FetchResult, Message } from './message.js';

export interface ConsumeStatus {
  /** 'reconnecting' after a dropped connection, 'retrying' after a transient server error or a timeout. */
  state: 'connected' | 'reconnecting' | 'retrying';
  /** Consecutive failed attempts so far (1 on the first failure); absent for 'connected'. */
  attempt?: number;
  error?: Error;
}

export interface FetchInfo {
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Where the next fetch starts. */
  nextOffset: bigint;
  /** Messages this fetch delivers. */
  count: number;
}

export interface ConsumeOptions {
  /** Where to start (default 'latest': only new messages). A Date past the last record means 'latest'. */
  from?: 'earliest' | 'latest' | Date | bigint;
  /** Aborting ends the iteration normally, also while waiting for a fetch or a backoff. */
  signal?: AbortSignal;
  /** Wait after a fetch that brought nothing (default 250 ms), doubling up to `maxIdleDelayMs` (default 2000), reset by data. */
  idleDelayMs?: number;
  maxIdleDelayMs?: number;
  /** After every successful fetch, before its messages are yielded. */
  onFetch?: (info: FetchInfo) => void;
  /** On each change of state: 'connected' after the first success and after every recovery, then per failed attempt. */
  onStatus?: (status: ConsumeStatus) => void;
  /**
   * A consumer group whose offset the proxy keeps in Kafka (the route must allow it): the loop
   * starts from its committed offset (`from` only when there is none) and commits as it goes,
   * every `commitIntervalMs` (default 5000) and when the loop ends.
   */
  group?: string;
  commitIntervalMs?: number;
}

export interface ReconnectPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** What consume needs of the client. */
export interface OffsetSource extends GroupHost {
  listOffset(topic: string, partition: number, at: 'earliest' | 'latest' | Date | bigint): Promise<bigint>;
  fetch(topic: string, partition: number, offset: bigint): Promise<FetchResult>;
}

const ABORTED: unique symbol = Symbol('aborted');

/**
 * The loop behind `PubSubClient.consume`: resolve the start once, then fetch from the next
 * undelivered offset forever. Because the position only moves when a message is yielded, a
 * failure at any point resumes exactly after the last message the caller received.
 */
export async function* consumePartition(src: OffsetSource, topic: string, partition: number, options: ConsumeOptions, policy: ReconnectPolicy): AsyncGenerator<Message, void, undefined> {
  const { signal } = options;
  const idleMin = options.idleDelayMs ?? 250;
  const idleMax = Math.max(idleMin, options.maxIdleDelayMs ?? 2000);
  let idle = idleMin;
  const from = options.from ?? 'latest';
  let next: bigint | undefined = typeof from === 'bigint' ? from : undefined;
  let failures = 0;
  let state: ConsumeStatus['state'] | undefined;
  const committer = options.group === undefined ? undefined : new GroupCommitter(src, options.group, topic, options.commitIntervalMs);
  let groupStarted = committer === undefined;
  const position = () => new Map([[partition, next!]]);

  try {
    while (!isAborted(signal)) {
      let result: FetchResult;
      try {
        if (!groupStarted) {
          const c = await abortable(committer!.start([partition]), signal);
          if (c === ABORTED) return;
          const o = c.get(partition);
          if (o !== undefined && o >= 0n) next = o;
          groupStarted = true;
        }
        if (next === undefined) {
          const start = await abortable(startOffset(src, topic, partition, from), signal);
          if (start === ABORTED) return;
          next = start;
        }
        const r = await abortable(src.fetch(topic, partition, next), signal);
        if (r === ABORTED) return;
        result = r;
      } catch (e) {
        if (isAborted(signal)) return;
        const retry = retryState(e);
        if (retry === undefined || failures >= policy.maxAttempts) throw e;
        failures++;
        state = retry;
        options.onStatus?.({ state, attempt: failures, error: e as Error });
        const delay = Math.min(policy.initialDelayMs * 2 ** (failures - 1), policy.maxDelayMs);
        if (!(await sleep(delay, signal))) return;
        continue;
      }
      failures = 0;
      if (state !== 'connected') {
        state = 'connected';
        options.onStatus?.({ state });
      }

      // APISIX answers with the whole batch holding `next`, earlier records included: skip those,
      // so nothing is delivered twice.
      const start = next;
      const fresh = result.messages.filter((m) => m.offset >= start);
      const last = fresh[fresh.length - 1];
      const after = last !== undefined ? last.offset + 1n : next;
      options.onFetch?.({ highWatermark: result.highWatermark, logStartOffset: result.logStartOffset, nextOffset: after, count: fresh.length });
      for (const m of fresh) {
        next = m.offset + 1n;
        yield m;
        committer?.tick(position);
        if (isAborted(signal)) return;
      }
      if (fresh.length > 0) {
        idle = idleMin;
      } else {
        if (!(await sleep(idle, signal))) return;
        idle = Math.min(idle * 2, idleMax);
      }
    }
  } finally {
    if (committer !== undefined) {
      committer.stop();
      // The last position, so the next start redelivers nothing; the loop ends either way.
      if (next !== undefined) await committer.commit(position()).catch(() => {});
    }
  }
}

async function startOffset(src: OffsetSource, topic: string, partition: number, from: 'earliest' | 'latest' | Date | bigint): Promise<bigint> {
  if (typeof from === 'bigint') return from;
  const o = await src.listOffset(topic, partition, from);
  // -1 for a timestamp: no record at or after it yet, so start where the next one will be written.
  return from instanceof Date && o < 0n ? src.listOffset(topic, partition, 'latest') : o;
}

function retryState(e: unknown): 'reconnecting' | 'retrying' | undefined {
  if (e instanceof ConnectionError) return 'reconnecting';
  if (e instanceof RequestTimeoutError) return 'retrying';
  if (e instanceof ServerError && isTransientServerError(e)) return 'retrying';
  return undefined;
}

// A function, so TypeScript does not narrow `aborted` to false across awaits.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** `p`, or ABORTED as soon as `signal` aborts (p's outcome is then dropped, never unhandled). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (signal === undefined) return p;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (isAborted(signal)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
