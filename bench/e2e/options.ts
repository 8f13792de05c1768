/**
 * Command line of the end-to-end benchmark (bench/README.md "End-to-end"), and the sizes of a full
 * and a smoke run. Every size has a flag so a quick experiment needs no code change.
 */
import { parseArgs } from 'node:util';

export type Phase = 'throughput' | 'latency' | 'footprint' | 'isolation' | 'fanout' | 'upgrades' | 'authz' | 'produce';
export const PHASES: readonly Phase[] = ['throughput', 'latency', 'footprint', 'isolation', 'fanout', 'upgrades', 'authz', 'produce'];
/** A run without --only: issue 7's phases, isolation, fan-out and produce. The identity phases (issue 18) run when named. */
export const DEFAULT_PHASES: readonly Phase[] = ['throughput', 'latency', 'footprint', 'isolation', 'fanout', 'produce'];
/** The phases whose results go to BENCHMARKS.md's "Client identity" section. */
export const IDENTITY_PHASES: readonly Phase[] = ['upgrades', 'authz'];
export type Impl = 'proxy' | 'ours' | 'kafkajs' | 'platformatic';
export const IMPLS: readonly Impl[] = ['proxy', 'ours', 'kafkajs', 'platformatic'];

export interface RunOptions {
  smoke: boolean;
  phases: Phase[];
  clients: number[];
  impls: Impl[];
  /** Substrings selecting throughput topics (all when empty). */
  topics: string[];
  warmupMs: number;
  durationMs: number;
  /** Kafka fetch max_bytes of the throughput route and of the direct clients (the route default). */
  maxBytes: number;
  /** Connections per broker of the proxy and of our direct client alike (the proxy's default, 4). */
  kafkaConnections: number;
  latency: { clients: number[]; heavyPeriodMs: number; rounds: number; durationMs: number; maxBytes: number; tailCount: number; tailIntervalMs: number };
  footprint: { connections: number; workers: number; settleMs: number };
  isolation: IsolationOptions;
  fanout: FanoutOptions;
  identity: IdentityOptions;
  produce: ProduceOptions;
  /** Pause between two measurement points. */
  pauseMs: number;
  out: string;
  /** Rewrite the results section of BENCHMARKS.md (full runs only, unless --markdown). */
  markdown: boolean;
  /** Extra node flags for the proxy process, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof. */
  proxyNodeArgs: string[];
  /** The same for the client processes (WebSocket and direct), to profile both sides of a ratio alike. */
  clientNodeArgs: string[];
  /** Only redraw the charts and BENCHMARKS.md from this result file (no measurement). */
  rerender: string | undefined;
  /** Checkout whose dist/src/server/cli.js is the proxy under test (default: this one), e.g. an older build to compare. */
  proxyRoot: string | undefined;
  /** The proxy's --workers (default 1: one process, as the results before the flag were measured). */
  proxyWorkers: number;
}

/** The isolation phase (isolation.ts): one paced client while another floods. */
export interface IsolationOptions {
  /** Each round measures the victim once per condition (quiet, pipelined, fuzz), in a rotating order. */
  rounds: number;
  warmupMs: number;
  durationMs: number;
  /** The victim sends one fetch every periodMs. */
  periodMs: number;
  /** How long a flood runs before the victim connects. */
  leadMs: number;
  /** Fetch commands per pipelined burst (issue 16: 20,000). */
  pipelinedBurst: number;
  /** Frames per fuzz burst (issue 16: 200,000). */
  fuzzBurst: number;
  seed: number;
}

/** The produce phase (produce.ts): acknowledged records through the proxy against producing directly. */
export interface ProduceOptions {
  /** Client counts: WebSockets through the proxy, send loops sharing one producer directly. */
  clients: number[];
  /** Implementations measured (the throughput phase's names: proxy, ours, kafkajs, platformatic). */
  impls: Impl[];
  /** Records per command (one cmd_produce, or one send call of a direct producer). */
  batch: number;
  /** Commands each client keeps in flight in the closed loops. */
  inFlight: number;
  valueBytes: number;
  /** The paced point: records/s offered in all (issue 19: half of 250,000), by `paceClients` clients. */
  paceRecordsPerSec: number;
  paceClients: number;
  warmupMs: number;
  durationMs: number;
}

/** The fan-out phase (fanout.ts): live subscribers against the polling path, on the same sockets. */
export interface FanoutOptions {
  /** Subscriber counts of the matrix, on each fan-out topic. */
  clients: number[];
  /** Records/s of the steady points below `bigClients` subscribers... */
  rate: number;
  /** ...and from there on (issue 17: 10 records/s to 10,000 sockets is 100,000 deliveries/s, one record per frame). */
  bigClients: number;
  bigRate: number;
  /** Subscribers of the herd point (all at once, no shared read yet; at `rate`); 0 leaves it out. */
  herdClients: number;
  /** The coalesced point: subscribers, records/s, and records per producer burst (one batch, so many per frame). */
  burst: { clients: number; rate: number; records: number };
  /** The paths measured (both unless profiling one). */
  modes: Array<'subscribe' | 'poll'>;
  /** Each point measures both paths `rounds` times, alternating which goes first. */
  rounds: number;
  warmupMs: number;
  durationMs: number;
  /** The subscribers' credit window, granted back half at a time (the SDK's default). */
  creditBytes: number;
  /** Silence before the first-record probe (issue 17: 60 s); 0 skips it. */
  silenceMs: number;
  silenceClients: number;
  /** Idle subscribed sockets for the footprint (issue 17: 50,000), capped by the open-file limit. */
  idleSockets: number;
  /** Sockets per client process; each process has a source address of its own when there are several. */
  socketsPerWorker: number;
}

/** The identity phases (upgrades.ts, authz.ts). */
export interface IdentityOptions {
  /** Rounds per phase; each measures both conditions (with and without auth), in a rotating order. */
  rounds: number;
  /** Client processes opening WebSockets in the upgrade phase, and loops in each. */
  upgradeWorkers: number;
  upgradeLanes: number;
  upgradeWarmupMs: number;
  upgradeMs: number;
  /** Source addresses 127.0.0.1 .. 127.0.0.N the upgrade clients connect from, in turn. */
  sourceAddresses: number;
  /** WebSocket clients of the authorization phase (each its own token). */
  authzClients: number;
}

const USAGE = `usage: node dist/bench/e2e/run.js [--smoke] [--only throughput,latency,footprint,isolation,fanout,upgrades,authz]
  [--clients 1,10,100,1000] [--impls proxy,ours,kafkajs,platformatic] [--topics 100b-none,1k-lz4]
  [--duration-ms N] [--warmup-ms N] [--connections N] [--kafka-connections N] [--latency-rounds N]
  [--isolation-rounds N] [--isolation-ms N] [--fanout-clients 1,100,1000,10000] [--fanout-rounds N] [--fanout-ms N]
  [--fanout-modes subscribe,poll] [--herd-clients N] [--silence-ms N] [--idle-sockets N] [--identity-rounds N] [--upgrade-ms N]
  [--upgrade-workers N] [--upgrade-lanes N] [--source-addresses N] [--authz-clients N]
  [--produce-clients 1,10,100] [--produce-batch N] [--produce-in-flight N] [--produce-pace N] [--out FILE] [--markdown|--no-markdown]
  [--proxy-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"] [--client-node-args="..."] [--proxy-root DIR] [--proxy-workers N]
  or: --rerender bench/results/e2e-latest.json (charts and BENCHMARKS.md from a result file)`;

function list(s: string | undefined): string[] | undefined {
  return s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function int(s: string | undefined, name: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a non-negative integer, got ${s}\n${USAGE}`);
  return n;
}

function oneOf<T extends string>(values: string[] | undefined, allowed: readonly T[], name: string): T[] | undefined {
  if (values === undefined) return undefined;
  for (const v of values) if (!allowed.includes(v as T)) throw new Error(`${name}: unknown ${v} (one of ${allowed.join(', ')})\n${USAGE}`);
  return values as T[];
}

/**
 * Where the result goes. An isolation-only run has a file of its own: it is often run alone, and
 * must not replace the full run's e2e-latest.json (whose charts BENCHMARKS.md shows).
 */
function defaultOut(smoke: boolean, phases: readonly Phase[]): string {
  if (smoke) return 'bench/results/e2e-smoke.json';
  if (phases.every((p) => IDENTITY_PHASES.includes(p))) return 'bench/results/e2e-identity-latest.json';
  if (phases.length === 1 && phases[0] === 'isolation') return 'bench/results/e2e-isolation-latest.json';
  if (phases.length === 1 && phases[0] === 'produce') return 'bench/results/e2e-produce-latest.json';
  return phases.length === 1 && phases[0] === 'fanout' ? 'bench/results/e2e-fanout-latest.json' : 'bench/results/e2e-latest.json';
}

export function parseOptions(argv: string[]): RunOptions {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean' }, only: { type: 'string' }, clients: { type: 'string' }, impls: { type: 'string' },
      topics: { type: 'string' }, 'duration-ms': { type: 'string' }, 'warmup-ms': { type: 'string' },
      connections: { type: 'string' }, 'kafka-connections': { type: 'string' }, 'latency-rounds': { type: 'string' },
      'isolation-rounds': { type: 'string' }, 'isolation-ms': { type: 'string' }, 'fanout-clients': { type: 'string' }, 'fanout-rounds': { type: 'string' }, 'fanout-modes': { type: 'string' }, 'herd-clients': { type: 'string' },
      'fanout-ms': { type: 'string' }, 'silence-ms': { type: 'string' }, 'idle-sockets': { type: 'string' }, 'proxy-root': { type: 'string' }, 'proxy-workers': { type: 'string' },
      'identity-rounds': { type: 'string' }, 'upgrade-ms': { type: 'string' }, 'upgrade-workers': { type: 'string' }, 'upgrade-lanes': { type: 'string' }, 'source-addresses': { type: 'string' }, 'authz-clients': { type: 'string' }, out: { type: 'string' }, markdown: { type: 'boolean' }, 'no-markdown': { type: 'boolean' },
      'proxy-node-args': { type: 'string' }, 'client-node-args': { type: 'string' }, rerender: { type: 'string' }, help: { type: 'boolean' },
      'produce-clients': { type: 'string' }, 'produce-batch': { type: 'string' }, 'produce-in-flight': { type: 'string' }, 'produce-pace': { type: 'string' },
    },
    strict: true,
  });
  if (v.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const smoke = v.smoke === true;
  const clients = list(v.clients)?.map((c) => int(c, '--clients')!) ?? (smoke ? [1, 10] : [1, 10, 100, 1000]);
  const connections = int(v.connections, '--connections') ?? (smoke ? 200 : 10_000);
  const phases = oneOf(list(v.only), PHASES, '--only') ?? [...DEFAULT_PHASES];
  const impls = oneOf(list(v.impls), IMPLS, '--impls') ?? [...IMPLS];
  return {
    smoke,
    phases,
    clients,
    impls,
    topics: list(v.topics) ?? [],
    warmupMs: int(v['warmup-ms'], '--warmup-ms') ?? (smoke ? 200 : 2000),
    durationMs: int(v['duration-ms'], '--duration-ms') ?? (smoke ? 500 : 5000),
    maxBytes: 1024 * 1024,
    kafkaConnections: int(v['kafka-connections'], '--kafka-connections') ?? 4,
    latency: {
      // Light: one client, one fetch at a time. Heavy: 100 clients each sending a fetch every 20 ms
      // (5,000 fetches/s), a load both paths carry, so the difference is the proxy's, not queueing.
      clients: smoke ? [1, 10] : [1, 100],
      heavyPeriodMs: 20,
      // Per load: the paths alternate in `rounds` windows of `durationMs` each (latency.ts).
      rounds: int(v['latency-rounds'], '--latency-rounds') ?? (smoke ? 2 : 6),
      durationMs: smoke ? 300 : 2000,
      maxBytes: 16 * 1024,
      tailCount: smoke ? 40 : 2000,
      tailIntervalMs: smoke ? 10 : 5,
    },
    footprint: { connections, workers: Math.max(1, Math.ceil(connections / 2500)), settleMs: smoke ? 500 : 2000 },
    isolation: {
      rounds: int(v['isolation-rounds'], '--isolation-rounds') ?? (smoke ? 1 : 3),
      warmupMs: smoke ? 200 : 1000,
      durationMs: int(v['isolation-ms'], '--isolation-ms') ?? (smoke ? 600 : 10_000),
      // 50 fetches/s, one at a time: a well-behaved consumer.
      periodMs: 20,
      leadMs: smoke ? 200 : 1000,
      // The floods of issue 16; the smoke run only needs the code path, not the pressure.
      pipelinedBurst: smoke ? 2000 : 20_000,
      fuzzBurst: smoke ? 20_000 : 200_000,
      seed: 16,
    },
    fanout: {
      clients: list(v['fanout-clients'])?.map((c) => int(c, '--fanout-clients')!) ?? (smoke ? [10] : [1, 100, 1000, 10_000]),
      rate: smoke ? 50 : 200,
      bigClients: 10_000,
      bigRate: 10,
      burst: smoke ? { clients: 10, rate: 500, records: 25 } : { clients: 1000, rate: 1000, records: 50 },
      herdClients: int(v['herd-clients'], '--herd-clients') ?? (smoke ? 0 : 1000),
      modes: oneOf(list(v['fanout-modes']), ['subscribe', 'poll'] as const, '--fanout-modes') ?? ['subscribe', 'poll'],
      rounds: int(v['fanout-rounds'], '--fanout-rounds') ?? (smoke ? 1 : 2),
      warmupMs: smoke ? 800 : 2000,
      durationMs: int(v['fanout-ms'], '--fanout-ms') ?? (smoke ? 600 : 5000),
      creditBytes: 1024 * 1024,
      // The smoke run only needs the probe's code path: a second of silence.
      silenceMs: int(v['silence-ms'], '--silence-ms') ?? (smoke ? 1000 : 60_000),
      silenceClients: smoke ? 10 : 1000,
      idleSockets: int(v['idle-sockets'], '--idle-sockets') ?? (smoke ? 200 : 50_000),
      socketsPerWorker: 2500,
    },
    identity: {
      rounds: int(v['identity-rounds'], '--identity-rounds') ?? (smoke ? 1 : 3),
      upgradeWorkers: int(v['upgrade-workers'], '--upgrade-workers') ?? 2,
      upgradeLanes: int(v['upgrade-lanes'], '--upgrade-lanes') ?? 16,
      upgradeWarmupMs: smoke ? 200 : 1000,
      upgradeMs: int(v['upgrade-ms'], '--upgrade-ms') ?? (smoke ? 500 : 4000),
      sourceAddresses: Math.max(1, int(v['source-addresses'], '--source-addresses') ?? 4),
      authzClients: int(v['authz-clients'], '--authz-clients') ?? (smoke ? 10 : 100),
    },
    produce: {
      clients: list(v['produce-clients'])?.map((c) => int(c, '--produce-clients')!) ?? (smoke ? [1, 10] : [1, 10, 100]),
      impls,
      // 100 records of 100 B a command: a browser batching what it sends (issue 19's record size).
      batch: Math.max(1, int(v['produce-batch'], '--produce-batch') ?? 100),
      // Within the proxy's --max-running (4): every command a client keeps in flight runs at once.
      inFlight: Math.max(1, int(v['produce-in-flight'], '--produce-in-flight') ?? 2),
      valueBytes: 100,
      paceRecordsPerSec: int(v['produce-pace'], '--produce-pace') ?? (smoke ? 5_000 : 125_000),
      paceClients: smoke ? 10 : 100,
      warmupMs: smoke ? 200 : 2000,
      durationMs: smoke ? 500 : 5000,
    },
    pauseMs: smoke ? 50 : 500,
    out: v.out ?? defaultOut(smoke, phases),
    markdown: v['no-markdown'] === true ? false : v.markdown === true || !smoke,
    proxyNodeArgs: v['proxy-node-args']?.split(' ').filter((x) => x !== '') ?? [],
    clientNodeArgs: v['client-node-args']?.split(' ').filter((x) => x !== '') ?? [],
    rerender: v.rerender,
    proxyRoot: v['proxy-root'],
    proxyWorkers: Math.max(1, int(v['proxy-workers'], '--proxy-workers') ?? 1),
  };
}
