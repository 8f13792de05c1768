import { ClientClosedError, type LiveSubscription, type Message, type PubSubClient } from '../../src/client/index.js';
import type { Written } from './paced-producer.js';

/** What one hop from a life to the next did. */
export interface Hop {
  /** Records the next life got that this one had taken already. */
  redelivered: number;
  /** Records the producer wrote in the window around this life's crash: the most it may redeliver. */
  bound: number;
  /** The next life started, in every partition, at this life's last acknowledged commit or at one still in flight. */
  startedAtACommit: boolean;
  detail: string;
}

/**
 * One life of a consumer that keeps no cursor of its own (a page without storage): it subscribes
 * with a consumer group, so it starts where the group's commits say, and it can crash: its client
 * closes without the commit that leaving the loop would make, and it takes nothing more. It
 * records what it started from (the SDK's fetchCommitted) and every commit the SDK sent.
 */
export class GroupConsumer {
  readonly got: Message[] = [];
  /** The replica its connection is on; -1 between connections. */
  replica = -1;
  crashedAt: number | undefined;
  /** The group's committed offsets this life started from (-1n: none, so the topic's start). */
  started = new Map<number, bigint>();
  /** Commits sent, in order, and whether the proxy acknowledged each. */
  readonly commits: Array<{ offsets: Map<number, bigint>; acked: boolean }> = [];
  error: Error | undefined;
  private client!: PubSubClient;
  private sub!: LiveSubscription;
  private loop!: Promise<void>;

  static async start(open: (onReplica: (r: number) => void) => Promise<PubSubClient>, topic: string, group: string, commitIntervalMs: number): Promise<GroupConsumer> {
    const c = new GroupConsumer();
    const client = await open((r) => (c.replica = r));
    const fetchCommitted = client.fetchCommitted.bind(client);
    client.fetchCommitted = async (...args) => {
      c.started = await fetchCommitted(...args);
      return c.started;
    };
    const commitOffsets = client.commitOffsets.bind(client);
    client.commitOffsets = async (g, t, offsets) => {
      // A closed client sends nothing: such a commit is not one that could have landed.
      const entry = { offsets: new Map(offsets instanceof Map ? offsets : Object.entries(offsets).map(([p, o]) => [Number(p), BigInt(o)])), acked: false };
      if (c.crashedAt === undefined) c.commits.push(entry);
      await commitOffsets(g, t, offsets);
      entry.acked = true;
    };
    c.client = client;
    c.sub = client.subscribe(topic, { group, from: 'earliest', commitIntervalMs });
    c.loop = (async () => {
      for await (const m of c.sub) {
        if (c.crashedAt !== undefined) return;
        c.got.push(m);
      }
    })().catch((e: unknown) => {
      if (!(e instanceof ClientClosedError)) c.error = e as Error;
    });
    return c;
  }

  /** Dies: takes nothing more and closes its client without committing. */
  async crash(): Promise<void> {
    this.crashedAt = Date.now();
    await this.client.close();
    await this.loop;
  }

  /** Leaves the loop normally, which commits the cursor. */
  async stop(): Promise<void> {
    await this.sub.return();
    await this.loop;
  }

  get cursor(): Map<number, bigint> {
    return this.sub.cursor;
  }

  /** Whether this life has taken every record of `records`. */
  has(records: ReadonlyArray<{ partition: number; offset: bigint }>): boolean {
    const seen = new Set(this.got.map((m) => `${m.partition}@${m.offset}`));
    return records.every((r) => seen.has(`${r.partition}@${r.offset}`));
  }

  /**
   * What the hop from this (crashed) life to `next` did, against the writes acknowledged from
   * `beforeMs` before the crash to `afterMs` after it.
   */
  hop(next: GroupConsumer, written: readonly Written[], beforeMs: number, afterMs: number): Hop {
    const at = this.crashedAt!;
    const startOf = (c: GroupConsumer, p: number) => {
      const o = c.started.get(p) ?? -1n;
      return o < 0n ? 0n : o;
    };
    const redelivered = this.got.filter((m) => m.offset >= startOf(next, m.partition)).length;
    const bound = written.filter((w) => w.at >= at - beforeMs && w.at <= at + afterMs).length;
    const lastAcked = new Map<number, bigint>();
    for (const p of next.started.keys()) lastAcked.set(p, startOf(this, p));
    for (const c of this.commits) if (c.acked) for (const [p, o] of c.offsets) lastAcked.set(p, o);
    const pending = this.commits.filter((c) => !c.acked);
    const startedAtACommit = next.started.size > 0 && [...next.started.keys()].every((p) => startOf(next, p) === lastAcked.get(p) || pending.some((c) => c.offsets.get(p) === startOf(next, p)));
    const fmt = (m: ReadonlyMap<number, bigint>) => [...m].map(([p, o]) => `${p}:${o}`).join(',');
    const detail = `started ${fmt(next.started)}, last acked ${fmt(lastAcked)}, in flight [${pending.map((c) => fmt(c.offsets)).join(' ')}], ${this.commits.length} commits`;
    return { redelivered, bound, startedAtACommit, detail };
  }
}
