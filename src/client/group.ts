/**
 * A consumer group's offsets, kept by the proxy in Kafka for `consume` and `subscribe`: where to
 * start (the committed offsets) and commits as the application takes messages. A loop that
 * reconnects resumes from its own position and redelivers nothing; a new client (a reloaded page,
 * on any replica) starts from the group's commits, redelivering at most one commit interval's
 * worth when the old one could not commit on its way out.
 */

/** What the group offsets need of the client. */
export interface GroupHost {
  commitOffsets(group: string, topic: string, offsets: ReadonlyMap<number, bigint>): Promise<void>;
  /** Committed offsets of `partitions` (empty: every partition of the topic); -1n where none. */
  fetchCommitted(group: string, topic: string, partitions: readonly number[]): Promise<Map<number, bigint>>;
}

export const DEFAULT_COMMIT_INTERVAL_MS = 5000;

/** Commits a position at most every `intervalMs`, and only what changed since the last commit. */
export class GroupCommitter {
  private readonly host: GroupHost;
  readonly group: string;
  private readonly topic: string;
  private readonly intervalMs: number;
  private readonly committed = new Map<number, bigint>();
  private last = 0;
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** The last commit's failure, until one succeeds (commits in the background never throw). */
  error: Error | undefined;

  constructor(host: GroupHost, group: string, topic: string, intervalMs = DEFAULT_COMMIT_INTERVAL_MS) {
    if (group === '') throw new RangeError('group must not be empty');
    this.host = host;
    this.group = group;
    this.topic = topic;
    this.intervalMs = intervalMs;
    this.last = Date.now();
  }

  /** The committed offsets to start from, by partition (every one asked for, or of the topic): -1n where none. */
  async start(partitions: readonly number[]): Promise<Map<number, bigint>> {
    const got = await this.host.fetchCommitted(this.group, this.topic, partitions);
    for (const [p, o] of got) if (o >= 0n) this.committed.set(p, o);
    return got;
  }

  /**
   * The position moved: it is committed in the background once the interval since the last
   * commit has passed (at once if it has), also when no further message comes to move it again.
   */
  tick(position: () => ReadonlyMap<number, bigint>): void {
    if (this.timer !== undefined || this.running !== undefined || this.stopped) return;
    const wait = Math.max(0, this.intervalMs - (Date.now() - this.last));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.commit(position()).catch(() => {}).finally(() => {
        this.running = undefined;
      });
    }, wait);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** No more background commits (a last `commit` may still be made). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Commits `position` now (what changed), after any commit already running. @throws its failure */
  async commit(position: ReadonlyMap<number, bigint>): Promise<void> {
    if (this.running !== undefined) await this.running;
    const changed = new Map<number, bigint>();
    for (const [p, o] of position) if (this.committed.get(p) !== o) changed.set(p, o);
    this.last = Date.now();
    if (changed.size === 0) return;
    try {
      await this.host.commitOffsets(this.group, this.topic, changed);
      for (const [p, o] of changed) this.committed.set(p, o);
      this.error = undefined;
    } catch (e) {
      this.error = e as Error;
      throw e;
    }
  }
}
