/**
 * The orchestrator talks to its client processes (ws-worker.ts, direct-worker.ts) over Node's IPC
 * channel: one command, one reply with the same id. The processes live for the whole run, so a
 * measurement point costs no process start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { HistogramJson } from './histogram.js';
import type { TokenSpec, UpgradeSpec } from './upgrade-spec.js';

/** One client's share: a partition and the offsets it cycles through (end is the high watermark). */
export interface Assignment {
  topic: string;
  partition: number;
  start: number;
  end: number;
}

export interface LoopSpec {
  /** Where to connect: a ws:// URL (ws-worker) or host:port of a broker (direct-worker). */
  target: string;
  clients: number;
  /** Client i reads assignments[i % length], starting at a staggered offset inside it. */
  assignments: Assignment[];
  warmupMs: number;
  durationMs: number;
  /** Largest fetch (direct clients; the proxy's comes from its route). */
  maxBytes: number;
  /**
   * 0: closed loop, the next fetch as soon as the reply is in (throughput). Otherwise each client
   * sends one fetch every periodMs (an offered load both paths can carry, for latency).
   */
  periodMs: number;
  /** WebSocket clients: client i offers tokens[i % length] in the subprotocol (none when absent). */
  tokens?: string[];
}

export interface LoopResult {
  clients: number;
  messages: number;
  /** Key plus value bytes delivered. */
  payloadBytes: number;
  /** Reply frames (WebSocket) or Kafka responses received in the window. */
  replies: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Round trip of every request that started and ended inside the window. */
  latency: HistogramJson;
  /** CPU time of the client process over the window (user + system). */
  cpuMs: number;
}

export interface IdleSpec {
  url: string;
  connections: number;
  /** Upgrades in flight at once: more overflows the listen backlog and costs SYN retries. */
  parallel: number;
}

export interface IdleResult {
  opened: number;
  failed: number;
  firstError?: string;
  elapsedMs: number;
}

export interface TailSpec {
  target: string;
  topic: string;
  partition: number;
  /** First offset to wait for (the high watermark before the producer starts). */
  from: number;
  count: number;
  timeoutMs: number;
}

export interface TailResult {
  received: number;
  /** Arrival minus the epoch microseconds the producer wrote into each value. */
  latency: HistogramJson;
}

/** A client that floods the proxy on one connection until told to stop (isolation.ts, flood.ts). */
export interface FloodSpec {
  /** ws:// URL of the route to flood. */
  target: string;
  kind: 'pipelined' | 'fuzz';
  /** Fetch commands (pipelined) or mutated frames (fuzz) written back to back per burst. */
  burst: number;
  /** What the fetches read (pipelined), and what the valid frames mutated by the fuzz name. */
  assignments: Assignment[];
  /** PRNG seed of the fuzzed frames: every run sends the same ones. */
  seed: number;
}

export interface FloodResult {
  kind: FloodSpec['kind'];
  /** Bursts whose every reply arrived. */
  bursts: number;
  /** Frames written to the socket. */
  sent: number;
  replies: number;
  replyBytes: number;
  /** Fetch, list offset and pong replies: commands the proxy carried out. */
  answered: number;
  /** "too many commands in flight": commands refused by --max-in-flight. */
  refused: number;
  /** "wrong command": frames that are not a PubSubReq. */
  undecodable: number;
  /** Every other error reply (a failed fetch, an unknown command), and failures to connect. */
  errors: number;
  /** Replies that are not a PubSubResp the benchmark can walk: a proxy bug, or one of ours. */
  unreadable: number;
  firstError?: string;
  /** Closes the flooder did not ask for, and why ("1013 server overloaded: ..."); it reconnects after each. */
  closes: number;
  closeReasons: string[];
  elapsedMs: number;
  /** CPU time of the flooding process (user + system). */
  cpuMs: number;
}

/** Opens a fan-out worker's sockets (fanout.ts, fanout-clients.ts); they stay open across modes. */
export interface FanoutOpenSpec {
  url: string;
  clients: number;
  /** Source address of every socket of this worker (one per worker: 28,000 ephemeral ports each). */
  localAddress?: string;
  parallel: number;
}

export interface FanoutOpenResult {
  opened: number;
  failed: number;
  firstError?: string;
  elapsedMs: number;
}

/** Puts every open socket of the worker to work: a live subscription, or a long-poll loop per partition. */
export interface FanoutStartSpec {
  mode: 'subscribe' | 'poll';
  topic: string;
  partitions: number;
  /** poll: where each partition's loop starts (the end of the log just before). */
  from: number[];
  /** subscribe: the credit window, granted back as pushes are read (the SDK's creditBytes). */
  creditBytes: number;
  /** How long the subscribes may take to be answered. */
  timeoutMs: number;
  /**
   * subscribe: the first client subscribes alone and receives before the others subscribe, so
   * the partitions' shared reads exist and the rest join them at once (without it, a herd of
   * subscribes that all find no reader each catch up on their own).
   */
  prime: boolean;
}

export interface FanoutStartResult {
  started: number;
  failed: number;
  firstError?: string;
  elapsedMs: number;
}

export interface FanoutLiveResult {
  /** Clients that have received messages since the mode started. */
  live: number;
  clients: number;
  elapsedMs: number;
}

/** What the worker's clients received in one measurement window. */
export interface FanoutWindowResult {
  clients: number;
  /** Messages received (one delivery = one message to one client). */
  deliveries: number;
  /** Pushes, or fetch replies carrying messages. */
  frames: number;
  /** Fetch replies without messages (long polls that timed out). */
  emptyReplies: number;
  /** Bytes of the frames received. */
  bytes: number;
  /** cmd_kafka_fetch sent (poll), cmd_credit sent (subscribe). */
  requests: number;
  credits: number;
  errors: number;
  firstError?: string;
  /** Errors by message, the first few distinct messages. */
  errorKinds: Record<string, number>;
  /** cmd_credit is answered only when refused: the refusals, and the first one's text. */
  creditRefusals: number;
  creditRefusal?: string;
  /** Sockets the proxy closed. */
  closes: number;
  /** Frames that did not start where the client's cursor for the partition stood: past it, or before it. */
  gaps: number;
  duplicates: number;
  elapsedMs: number;
  /** Arrival minus the producer's stamp, every delivery of the window. */
  latency: HistogramJson;
  /** The same, the first delivery of each client in the window only. */
  first: HistogramJson;
  /** CPU time of the worker over the window (user + system). */
  cpuMs: number;
}

export interface FanoutStopResult {
  /** Clients whose unsubscribe or last poll was not answered within the drain time. */
  undrained: number;
  elapsedMs: number;
}

/** Produce loops (produce.ts): each client sends commands of `batch` records and counts what is acknowledged. */
export interface ProduceSpec {
  /** ws:// URL of the produce route (ws-worker), or host:port of a broker (direct-worker). */
  target: string;
  topic: string;
  clients: number;
  /** Records per command; each has a 10-byte key (Kafka's partitioner spreads them) and a `valueBytes` value. */
  batch: number;
  valueBytes: number;
  /** Commands each client keeps in flight (closed loop: the next as soon as one is answered). */
  inFlight: number;
  /** 0: closed loop. Otherwise each client sends one command every periodMs (one in flight), an offered load. */
  periodMs: number;
  warmupMs: number;
  durationMs: number;
}

export type Command =
  | { cmd: 'loop'; id: number; spec: LoopSpec }
  | { cmd: 'produce'; id: number; spec: ProduceSpec }
  | { cmd: 'idle'; id: number; spec: IdleSpec }
  | { cmd: 'close'; id: number }
  | { cmd: 'tail'; id: number; spec: TailSpec }
  | { cmd: 'flood'; id: number; spec: FloodSpec }
  | { cmd: 'flood-stop'; id: number }
  | { cmd: 'fanout-open'; id: number; spec: FanoutOpenSpec }
  | { cmd: 'fanout-start'; id: number; spec: FanoutStartSpec }
  | { cmd: 'fanout-live'; id: number; timeoutMs: number }
  | { cmd: 'fanout-measure'; id: number; durationMs: number }
  | { cmd: 'fanout-stop'; id: number; drainTimeoutMs: number }
  | { cmd: 'fanout-close'; id: number }
  | { cmd: 'tokens'; id: number; spec: TokenSpec }
  | { cmd: 'upgrades'; id: number; spec: UpgradeSpec };

/** A command before the handle numbers it (Omit distributed over the union). */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Sent by a worker, unasked, when its measurement window opens and closes. */
export interface WindowEvent {
  event: 'window-start' | 'window-end';
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Epoch microseconds on this machine; the Java producer writes the same clock into its values. */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** A client process seen from the orchestrator. */
export class WorkerHandle {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;
  readonly name: string;
  /** Called when the worker's measurement window opens and closes (to sample the proxy then). */
  onEvent: ((e: WindowEvent['event']) => void) | undefined;

  private constructor(child: ChildProcess, name: string) {
    this.child = child;
    this.name = name;
    child.on('message', (m: Reply | WindowEvent) => {
      if ('event' in m) {
        this.onEvent?.(m.event);
        return;
      }
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (${signal ?? code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /**
   * Starts `node script args` with an IPC channel. The file-descriptor limit is raised to the hard
   * limit first (through bash's ulimit, which Node cannot do for itself): 10,000 sockets need it.
   */
  static start(name: string, script: string, args: readonly string[] = [], nodeArgs: readonly string[] = []): WorkerHandle {
    const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$@"', 'bash', process.execPath, ...nodeArgs, script, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new WorkerHandle(child, name);
  }

  request<T>(command: WithoutId<Command>): Promise<T> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...command, id });
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.disconnect();
      setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
    });
  }
}

/** The worker side: runs `handle` for every command and replies; exits when the parent goes. */
export function serveCommands(handle: (c: Command) => Promise<unknown>): void {
  process.on('message', (c: Command) => {
    handle(c).then(
      (result) => process.send!({ id: c.id, ok: true, result } satisfies Reply),
      (e: unknown) => process.send!({ id: c.id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies Reply),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * The send schedule of a paced client: one request every `periodMs` at fixed times from its start.
 * Scheduling from the previous send instead lets timer lateness accumulate, and clients whose
 * timers fire in the same late event-loop turn share a send time from then on: over a run, 100
 * evenly spread clients drift into bursts (the load generator's artifact, not the system's).
 */
export class Pacer {
  private nextAt: number;
  private readonly periodMs: number;

  constructor(periodMs: number, firstAt = performance.now()) {
    this.periodMs = periodMs;
    this.nextAt = firstAt;
  }

  /** How long to wait before the next request (0 when due or unpaced). */
  wait(): number {
    if (this.periodMs <= 0) return 0;
    const now = performance.now();
    this.nextAt += this.periodMs;
    // More than a period behind (a reply slower than the period): restart from now, no catch-up burst.
    if (this.nextAt < now - this.periodMs) this.nextAt = now;
    return Math.max(0, this.nextAt - now);
  }
}

/**
 * The records client `i` sends with every command: 10-byte keys (`key-000042`, distinct across the
 * command and the clients, so the partitioner spreads them) and values of `valueBytes` printable
 * bytes. The same records every time: what is measured is carrying them, not making them.
 */
export function produceRecords(i: number, batch: number, valueBytes: number): Array<{ key: Buffer; value: Buffer }> {
  return Array.from({ length: batch }, (_, j) => {
    const n = (i * batch + j) % 1_000_000;
    const value = Buffer.alloc(valueBytes, 0x61 + (n % 26));
    value.write(`c${i}r${j}`, 'latin1');
    return { key: Buffer.from(`key-${String(n).padStart(6, '0')}`, 'latin1'), value };
  });
}

/** Where client i starts inside its assignment: spread out so clients do not read in lockstep. */
export function startOffset(a: Assignment, i: number, clients: number): number {
  const span = a.end - a.start;
  if (span <= 0 || clients <= 1) return a.start;
  // Golden-ratio steps spread any number of clients evenly over the range.
  return a.start + Math.floor(((i * 0.6180339887) % 1) * span);
}
