/**
 * Fan-out (issue 17): live subscribers against today's polling path, with the same clients on the
 * same sockets in the same run. Kafka's Java producer (ProduceRate.java) writes 100-byte records
 * stamped with its wall clock to a 1-partition and a 12-partition topic; N sockets in client
 * processes (fanout-clients.ts) either subscribe to every partition or long-poll each one with
 * cmd_kafka_fetch; the two paths alternate in rounds while the producer keeps its rate. Per path:
 * deliveries/s, produce-to-client latency, the proxy's CPU, Fetch requests/s per partition (its
 * /metrics), RSS. Then the first record after a long silence, and the memory of idle subscribed
 * sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaClient } from '../../src/kafka-wire/index.js';
import { socketBudget } from '../../src/server/socket-limits.js';
import { ROUTES, type Bench } from './context.js';
import { memory } from './footprint.js';
import { Histogram, percentiles, type Percentiles } from './histogram.js';
import type { FanoutLiveResult, FanoutOpenResult, FanoutStartResult, FanoutStartSpec, FanoutStopResult, FanoutWindowResult } from './ipc.js';
import { WorkerHandle } from './ipc.js';
import { rssSampler } from './isolation.js';
import { ProxyServer } from './proxy-server.js';
import { sleep } from './window.js';

export interface FanoutTopic {
  name: string;
  partitions: number;
}

/** The fan-out topics; the Java producer appends to them on every run. */
export const FANOUT_TOPICS: readonly FanoutTopic[] = [
  { name: 'bench-fanout-1p', partitions: 1 },
  { name: 'bench-fanout-12p', partitions: 12 },
];
/** Where the producer writes one record before its first measured one (ProduceRate.java). */
export const WARMUP_TOPIC: FanoutTopic = { name: 'bench-fanout-warmup', partitions: 1 };

const VALUE_SIZE = 100;
const OPEN_PARALLEL = 100;
const START_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 15_000;
/** How long every client may take to receive its first messages before the warm-up starts anyway. */
const LIVE_TIMEOUT_MS = 60_000;
const PRODUCER_READY_TIMEOUT_MS = 90_000;
/** Records the silence probe's producer sends, one a second: the first is the one measured. */
const PROBE_RECORDS = 3;
const PROBE_WINDOW_MS = 15_000;
/** Sockets opened, subscribed and closed before the footprint's "before" sample. */
const WARM_UP_SOCKETS = 100;
const SETTLE_TIMEOUT_MS = 60_000;

export type FanoutMode = 'subscribe' | 'poll';
export const FANOUT_MODES: readonly FanoutMode[] = ['subscribe', 'poll'];

/** One path at one point, over all its windows. */
export interface FanoutModeResult {
  mode: FanoutMode;
  windows: number;
  windowMs: number;
  deliveries: number;
  deliveriesPerSec: number;
  framesPerSec: number;
  /** Messages per frame: 1 when each record goes alone, more when coalesced. */
  deliveriesPerFrame: number;
  /** Poll: fetches sent and replies without messages, per second. */
  requestsPerSec: number;
  emptyRepliesPerSec: number;
  /** Arrival minus the producer's stamp. */
  latency: Percentiles;
  /** Proxy CPU seconds over the windows divided by their length: 1 is one core. */
  proxyCores: number;
  proxyCpuSecPerMillion: number;
  /** Each window's proxy cores: how far one window can be trusted. */
  roundCores: number[];
  /** Kafka Fetch requests/s that carried a partition, averaged over the topic's partitions. */
  fetchesPerSecPerPartition: number;
  eventLoopP99Ms: number;
  /** The proxy's highest resident memory during the windows. */
  proxyRssMaxBytes: number;
  /** The client processes' CPU, in cores. */
  clientCores: number;
  /** How long the start took (subscribes answered), the longest window. */
  startMs: number;
  /**
   * From the start answered until every client had received messages (a subscriber joined the
   * stream), the longest window; and the clients that had not within the time allowed.
   */
  liveMs: number;
  notLive: number;
  errors: number;
  firstError?: string;
  /** Errors by message, the first few distinct messages. */
  errorKinds: Record<string, number>;
  /** Subscribe: error replies to cmd_credit (answered only when refused) and the first one's text. */
  creditsSent: number;
  creditRefusals: number;
  creditRefusal?: string;
  closes: number;
  /** Frames that skipped offsets, or repeated them, against the client's cursor (must be 0). */
  gaps: number;
  duplicates: number;
  /** Clients whose unsubscribe or last poll was not answered within the drain time. */
  undrained: number;
}

export interface FanoutPoint {
  topic: string;
  partitions: number;
  clients: number;
  /** Records/s the producer was asked for, and per producer burst. */
  rate: number;
  burst: number;
  /**
   * What it is for: 'matrix', 'fetch reference' (the 1-subscriber side of the Fetch-rate target),
   * 'coalesced', or 'herd': every subscriber subscribes at once with no shared read running yet
   * (as after a proxy restart), where the others prime it with one subscriber first.
   */
  role: 'matrix' | 'fetch reference' | 'coalesced' | 'herd';
  /** Records/s the producer wrote during the point (from the log's end offsets). */
  producedPerSec: number;
  /** rate × clients: every record to every client. */
  offeredDeliveriesPerSec: number;
  clientProcesses: number;
  /** Source addresses the sockets came from. */
  localAddresses: string[];
  openSeconds: number;
  subscribe?: FanoutModeResult;
  poll?: FanoutModeResult;
  /** Why the point has no measurement. */
  error?: string;
}

export interface SilenceProbe {
  topic: string;
  clients: number;
  silenceMs: number;
  /** Latency of the first record after the silence, one sample per subscriber. */
  first?: Percentiles;
  received: number;
  error?: string;
}

export interface IdleSubscribed {
  /** Sockets asked for (issue 17: 50,000) and opened. */
  asked: number;
  sockets: number;
  /** Why fewer than asked, when so. */
  limitedBy?: string;
  opened: number;
  subscribed: number;
  failed: number;
  firstError?: string;
  /** What the proxy counted: connections and subscriptions. */
  proxyConnections: number;
  proxySubscriptions: number;
  clientProcesses: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  rssPerSocketBytes: number;
  heapPerSocketBytes: number;
}

export interface FanoutResult {
  route: string;
  valueSize: number;
  creditBytes: number;
  warmupMs: number;
  windowMs: number;
  rounds: number;
  points: FanoutPoint[];
  silence?: SilenceProbe;
  idle?: IdleSubscribed;
}

interface PointSpec {
  topic: FanoutTopic;
  clients: number;
  rate: number;
  burst: number;
  role: FanoutPoint['role'];
}

/** The points of a run: the matrix, then the Fetch-rate reference and the coalesced point on one partition. */
export function fanoutPoints(b: Bench): PointSpec[] {
  const o = b.opts.fanout;
  const [one, twelve] = FANOUT_TOPICS as [FanoutTopic, FanoutTopic];
  const rateFor = (clients: number): number => (clients >= o.bigClients ? o.bigRate : o.rate);
  // First, while no shared read runs on the proxy: the herd (a single round, so none runs then either).
  const out: PointSpec[] = o.herdClients > 0 ? [{ topic: one, clients: o.herdClients, rate: o.rate, burst: 1, role: 'herd' }] : [];
  for (const topic of [one, twelve]) for (const clients of o.clients) out.push({ topic, clients, rate: rateFor(clients), burst: 1, role: 'matrix' });
  // The Fetch-rate target compares 1 and 10,000 subscribers at the same rate.
  if (o.clients.some((c) => c >= o.bigClients) && !(o.clients.includes(1) && rateFor(1) === o.bigRate)) {
    out.push({ topic: one, clients: 1, rate: o.bigRate, burst: 1, role: 'fetch reference' });
  }
  out.push({ topic: one, clients: o.burst.clients, rate: o.burst.rate, burst: o.burst.records, role: 'coalesced' });
  return out;
}

/** How a point's sockets are spread: processes of at most socketsPerWorker, each its own source address when there are several. */
function layout(clients: number, perWorker: number): Array<{ clients: number; localAddress?: string }> {
  const n = Math.max(1, Math.ceil(clients / perWorker));
  return Array.from({ length: n }, (_, w) => ({
    clients: Math.floor(clients / n) + (w < clients % n ? 1 : 0),
    ...(n > 1 ? { localAddress: `127.0.0.${2 + w}` } : {}),
  }));
}

/** The Java producer (scripts/kafka/produce-rate.sh) until stop(); started() resolves on its "ready". */
class Producer {
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; out: string; err: string }>;
  readonly ready: Promise<void>;

  constructor(b: Bench, topic: FanoutTopic, count: number, rate: number, burst: number) {
    const args = [join(b.root, 'scripts/kafka/produce-rate.sh'), b.line, topic.name, String(topic.partitions), String(count), String(rate), String(burst), String(VALUE_SIZE), WARMUP_TOPIC.name];
    this.child = spawn('bash', args, { cwd: b.root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    this.ready = new Promise<void>((resolve, reject) => {
      this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        if (/^ready$/m.test(out)) resolve();
      });
      this.child.once('exit', (code) => reject(new Error(`produce-rate.sh exited ${String(code)} before it was ready: ${err.trim()}`)));
      setTimeout(() => reject(new Error(`produce-rate.sh not ready within ${PRODUCER_READY_TIMEOUT_MS} ms: ${err.trim()}`)), PRODUCER_READY_TIMEOUT_MS).unref();
    });
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve({ code, out, err })));
  }

  /** Closes its standard input (it stops, flushes and exits) and waits; the line it printed last. */
  stop(): Promise<string> {
    this.child.stdin!.end();
    return this.done();
  }

  /** Waits for it to exit (after its count, or stop()); the line it printed last. */
  async done(timeoutMs = 30_000): Promise<string> {
    const kill = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(kill);
    if (r.code !== 0) throw new Error(`produce-rate.sh exited ${String(r.code)}: ${r.err.trim()}`);
    return r.out.trim().split('\n').pop() ?? '';
  }
}

async function endOffsets(client: KafkaClient, topic: FanoutTopic): Promise<number[]> {
  const all = await Promise.all(Array.from({ length: topic.partitions }, (_, p) => client.listOffsets(topic.name, p, -1n)));
  return all.map((o) => Number(o.offset));
}

/** Fetch requests that carried the topic's partitions so far: the shared tail reads, and the polling path's fetches. */
function fetchCounts(m: Map<string, number>, topic: FanoutTopic): { tail: number; poll: number } {
  let tail = 0;
  for (let p = 0; p < topic.partitions; p++) tail += m.get(`kwp_tail_fetch_requests_total{topic="${topic.name}",partition="${p}"}`) ?? 0;
  // Every cmd_kafka_fetch of the route is one Fetch naming one partition; only fan-out traffic runs now.
  return { tail, poll: m.get('kwp_kafka_request_duration_seconds_count{operation="fetch"}') ?? 0 };
}

interface ModeTotals {
  windows: number;
  windowMs: number;
  deliveries: number;
  frames: number;
  requests: number;
  empty: number;
  latency: Histogram;
  cpuSec: number;
  roundCores: number[];
  fetches: number;
  loopP99Ms: number;
  rssMax: number;
  clientCpuMs: number;
  startMs: number;
  liveMs: number;
  notLive: number;
  errors: number;
  firstError?: string;
  errorKinds: Record<string, number>;
  credits: number;
  creditRefusals: number;
  creditRefusal?: string;
  closes: number;
  gaps: number;
  duplicates: number;
  undrained: number;
}

function newTotals(): ModeTotals {
  return {
    windows: 0, windowMs: 0, deliveries: 0, frames: 0, requests: 0, empty: 0, latency: new Histogram(), cpuSec: 0, roundCores: [], fetches: 0,
    loopP99Ms: 0, rssMax: 0, clientCpuMs: 0, startMs: 0, liveMs: 0, notLive: 0, errors: 0, errorKinds: {}, credits: 0, creditRefusals: 0, closes: 0, gaps: 0, duplicates: 0, undrained: 0,
  };
}

function modeResult(mode: FanoutMode, t: ModeTotals, partitions: number): FanoutModeResult {
  const sec = t.windowMs / 1000;
  return {
    mode, windows: t.windows, windowMs: t.windowMs, deliveries: t.deliveries,
    deliveriesPerSec: t.deliveries / sec, framesPerSec: t.frames / sec, deliveriesPerFrame: t.frames === 0 ? NaN : t.deliveries / t.frames,
    requestsPerSec: t.requests / sec, emptyRepliesPerSec: t.empty / sec,
    latency: percentiles(t.latency), proxyCores: t.cpuSec / sec, proxyCpuSecPerMillion: t.deliveries === 0 ? NaN : (t.cpuSec / t.deliveries) * 1e6,
    roundCores: t.roundCores, fetchesPerSecPerPartition: t.fetches / partitions / sec, eventLoopP99Ms: t.loopP99Ms, proxyRssMaxBytes: t.rssMax,
    clientCores: t.clientCpuMs / 1000 / sec, startMs: t.startMs, liveMs: t.liveMs, notLive: t.notLive, errors: t.errors, ...(t.firstError !== undefined ? { firstError: t.firstError } : {}), errorKinds: t.errorKinds,
    creditsSent: t.credits, creditRefusals: t.creditRefusals, ...(t.creditRefusal !== undefined ? { creditRefusal: t.creditRefusal } : {}),
    closes: t.closes, gaps: t.gaps, duplicates: t.duplicates, undrained: t.undrained,
  };
}

/** Sends one command to every worker of a point and collects the replies. */
function all<T>(workers: readonly WorkerHandle[], command: Parameters<WorkerHandle['request']>[0] | ((w: number) => Parameters<WorkerHandle['request']>[0])): Promise<T[]> {
  return Promise.all(workers.map((w, i) => w.request<T>(typeof command === 'function' ? command(i) : command)));
}

/**
 * One window of one path on the open sockets: start (subscribe, or the first polls from the end
 * of the log), warm up, measure with the proxy sampled at the window's edges, stop (unsubscribe,
 * or let the outstanding polls come back).
 */
/** Returns the clients whose last poll or unsubscribe was not answered (their sockets are then of no more use). */
async function window(b: Bench, workers: readonly WorkerHandle[], kafka: KafkaClient, topic: FanoutTopic, mode: FanoutMode, t: ModeTotals, herd: boolean): Promise<number> {
  const o = b.opts.fanout;
  const from = mode === 'poll' ? await endOffsets(kafka, topic) : [];
  const spec = (prime: boolean): FanoutStartSpec => ({ mode, topic: topic.name, partitions: topic.partitions, from, creditBytes: o.creditBytes, timeoutMs: START_TIMEOUT_MS, prime });
  const s0 = performance.now();
  // Primed: the first worker's first client subscribes and receives before anyone else subscribes.
  const first = herd || mode === 'poll' ? [] : [await workers[0]!.request<FanoutStartResult>({ cmd: 'fanout-start', spec: spec(true) })];
  const started = [...first, ...await all<FanoutStartResult>(workers.slice(first.length), { cmd: 'fanout-start', spec: spec(false) })];
  t.startMs = Math.max(t.startMs, performance.now() - s0);
  const failed = started.reduce((n, s) => n + s.failed, 0);
  if (failed > 0) {
    t.errors += failed;
    t.firstError ??= `${failed} ${mode} starts failed: ${started.find((s) => s.firstError !== undefined)?.firstError ?? ''}`;
  }
  // Measured from when every client receives: a herd of subscribes takes a while to join.
  const lives = await all<FanoutLiveResult>(workers, { cmd: 'fanout-live', timeoutMs: LIVE_TIMEOUT_MS });
  t.liveMs = Math.max(t.liveMs, ...lives.map((x) => x.elapsedMs));
  t.notLive += lives.reduce((n, x) => n + x.clients - x.live, 0);
  await sleep(o.warmupMs);
  const m0 = fetchCounts(await b.proxy.metrics(), topic);
  const rss = rssSampler(b);
  const cpu0 = b.proxy.cpuSeconds();
  const t0 = performance.now();
  const measured = all<FanoutWindowResult>(workers, { cmd: 'fanout-measure', durationMs: o.durationMs });
  await sleep(o.durationMs);
  const cpu1 = b.proxy.cpuSeconds();
  const elapsed = performance.now() - t0;
  const m = await b.proxy.metrics();
  const m1 = fetchCounts(m, topic);
  const rssMax = rss.stop();
  const rs = await measured;
  const stops = await all<FanoutStopResult>(workers, { cmd: 'fanout-stop', drainTimeoutMs: DRAIN_TIMEOUT_MS });
  // The clients' windows and the proxy's are the same length, started within an IPC hop.
  const cpuSec = cpu1 - cpu0;
  t.windows++;
  t.windowMs += elapsed;
  t.cpuSec += cpuSec;
  t.roundCores.push(cpuSec / (elapsed / 1000));
  t.fetches += mode === 'subscribe' ? m1.tail - m0.tail : m1.poll - m0.poll;
  t.loopP99Ms = Math.max(t.loopP99Ms, (m.get('nodejs_eventloop_delay_seconds{quantile="0.99"}') ?? NaN) * 1000);
  t.rssMax = Math.max(t.rssMax, rssMax);
  for (const r of rs) {
    t.deliveries += r.deliveries;
    t.frames += r.frames;
    t.requests += r.requests;
    t.empty += r.emptyReplies;
    t.latency.merge(r.latency);
    t.clientCpuMs += r.cpuMs;
    t.errors += r.errors;
    t.closes += r.closes;
    t.gaps += r.gaps;
    t.credits += r.credits;
    t.creditRefusals += r.creditRefusals;
    if (r.creditRefusal !== undefined) t.creditRefusal ??= r.creditRefusal;
    for (const [k, n] of Object.entries(r.errorKinds)) t.errorKinds[k] = (t.errorKinds[k] ?? 0) + n;
    t.duplicates += r.duplicates;
    if (r.firstError !== undefined) t.firstError ??= r.firstError;
  }
  const undrained = stops.reduce((n, s) => n + s.undrained, 0);
  t.undrained += undrained;
  return undrained;
}

async function runPoint(b: Bench, pool: readonly WorkerHandle[], kafka: KafkaClient, spec: PointSpec): Promise<FanoutPoint> {
  const o = b.opts.fanout;
  const lanes = layout(spec.clients, o.socketsPerWorker);
  const workers = pool.slice(0, lanes.length);
  const point: FanoutPoint = {
    topic: spec.topic.name, partitions: spec.topic.partitions, clients: spec.clients, rate: spec.rate, burst: spec.burst, role: spec.role,
    producedPerSec: NaN, offeredDeliveriesPerSec: spec.rate * spec.clients, clientProcesses: lanes.length,
    localAddresses: lanes.map((l) => l.localAddress ?? '127.0.0.1'), openSeconds: NaN,
  };
  const label = `fanout ${spec.topic.name} x${spec.clients} at ${spec.rate} records/s${spec.burst > 1 ? ` in bursts of ${spec.burst}` : ''}`;
  const url = b.proxy.ws(ROUTES.tail);
  const openAll = async (): Promise<void> => {
    await settle(b);
    const t0 = performance.now();
    const opened = await all<FanoutOpenResult>(workers, (w) => ({ cmd: 'fanout-open', spec: { url, clients: lanes[w]!.clients, parallel: OPEN_PARALLEL, ...(lanes[w]!.localAddress !== undefined ? { localAddress: lanes[w]!.localAddress } : {}) } }));
    point.openSeconds = Math.max(Number.isNaN(point.openSeconds) ? 0 : point.openSeconds, (performance.now() - t0) / 1000);
    const failed = opened.reduce((n, r) => n + r.failed, 0);
    if (failed > 0) throw new Error(`${failed} of ${spec.clients} sockets failed to open: ${opened.find((r) => r.firstError !== undefined)?.firstError ?? ''}`);
  };
  let producer: Producer | undefined;
  try {
    await openAll();
    producer = new Producer(b, spec.topic, 2_000_000_000, spec.rate, spec.burst);
    await producer.ready;
    const before = await endOffsets(kafka, spec.topic);
    const p0 = performance.now();
    const totals = new Map<FanoutMode, ModeTotals>(FANOUT_MODES.map((m) => [m, newTotals()]));
    for (let round = 0; round < (spec.role === 'herd' ? 1 : o.rounds); round++) {
      // Alternating which path goes first puts both under the same drift of the machine's other work.
      const modes = FANOUT_MODES.filter((m) => o.modes.includes(m));
      const order = round % 2 === 0 ? modes : [...modes].reverse();
      for (const mode of order) {
        const undrained = await window(b, workers, kafka, spec.topic, mode, totals.get(mode)!, spec.role === 'herd');
        // Polls still queued in the proxy would hold the next path's commands behind them on the
        // same sockets: new sockets, once the proxy has let go of the old ones.
        if (undrained > 0) {
          await all(workers, { cmd: 'fanout-close' });
          await openAll();
        }
        await sleep(b.opts.pauseMs);
      }
    }
    const after = await endOffsets(kafka, spec.topic);
    point.producedPerSec = (after.reduce((s, x) => s + x, 0) - before.reduce((s, x) => s + x, 0)) / ((performance.now() - p0) / 1000);
    if (o.modes.includes('subscribe')) point.subscribe = modeResult('subscribe', totals.get('subscribe')!, spec.topic.partitions);
    if (o.modes.includes('poll')) point.poll = modeResult('poll', totals.get('poll')!, spec.topic.partitions);
    const s = point.subscribe ?? modeResult('subscribe', totals.get('subscribe')!, spec.topic.partitions);
    const q = point.poll ?? modeResult('poll', totals.get('poll')!, spec.topic.partitions);
    b.log(`${label}: subscribe ${Math.round(s.deliveriesPerSec).toLocaleString('en-US')} deliveries/s (${s.deliveriesPerFrame.toFixed(1)}/frame), ` +
      `p50/p99/p999 ${s.latency.p50Ms}/${s.latency.p99Ms}/${s.latency.p999Ms} ms, proxy ${s.proxyCores.toFixed(2)} cores, ${s.proxyCpuSecPerMillion.toFixed(2)} s/M, ` +
      `${s.fetchesPerSecPerPartition.toFixed(1)} fetches/s/partition${s.errors > 0 ? `, ${s.errors} errors ${JSON.stringify(s.errorKinds)}` : ''}` +
      `, live after ${(s.liveMs / 1000).toFixed(1)} s${s.notLive > 0 ? ` (${s.notLive} not)` : ''}` +
      `${s.creditRefusals > 0 ? `, ${s.creditRefusals} of ${s.creditsSent} credits refused (${s.creditRefusal ?? ''})` : ''}; ` +
      `poll ${Math.round(q.deliveriesPerSec).toLocaleString('en-US')} deliveries/s, p50/p99 ${q.latency.p50Ms}/${q.latency.p99Ms} ms, proxy ${q.proxyCores.toFixed(2)} cores, ` +
      `${q.proxyCpuSecPerMillion.toFixed(2)} s/M, ${q.fetchesPerSecPerPartition.toFixed(1)} fetches/s/partition${q.errors > 0 ? `, ${q.errors} errors ${JSON.stringify(q.errorKinds)}` : ''}` +
      `${s.undrained + q.undrained > 0 ? `; undrained ${s.undrained}/${q.undrained}` : ''}`);
  } catch (e) {
    point.error = (e as Error).message;
    b.log(`${label} failed: ${point.error}`);
  } finally {
    if (producer !== undefined) {
      const last = await producer.stop().catch((e: unknown) => `producer: ${(e as Error).message}`);
      if (!last.startsWith('sent ')) point.error ??= last;
    }
    await all(workers, { cmd: 'fanout-close' });
  }
  return point;
}

/**
 * The first record after `silenceMs` with no record at all: N subscribers wait at the end of the
 * partition, then the producer sends a few records a second apart; each subscriber's first one
 * is the sample.
 */
async function runSilence(b: Bench, pool: readonly WorkerHandle[]): Promise<SilenceProbe> {
  const o = b.opts.fanout;
  const topic = FANOUT_TOPICS[0]!;
  const lanes = layout(o.silenceClients, o.socketsPerWorker);
  const workers = pool.slice(0, lanes.length);
  const r: SilenceProbe = { topic: topic.name, clients: o.silenceClients, silenceMs: o.silenceMs, received: 0 };
  const url = b.proxy.ws(ROUTES.tail);
  await settle(b);
  try {
    const opened = await all<FanoutOpenResult>(workers, (w) => ({ cmd: 'fanout-open', spec: { url, clients: lanes[w]!.clients, parallel: OPEN_PARALLEL, ...(lanes[w]!.localAddress !== undefined ? { localAddress: lanes[w]!.localAddress } : {}) } }));
    if (opened.some((x) => x.failed > 0)) throw new Error(`sockets failed to open: ${opened.find((x) => x.firstError !== undefined)?.firstError ?? ''}`);
    const started = await all<FanoutStartResult>(workers, { cmd: 'fanout-start', spec: { mode: 'subscribe', topic: topic.name, partitions: topic.partitions, from: [], creditBytes: o.creditBytes, timeoutMs: START_TIMEOUT_MS, prime: false } });
    if (started.some((x) => x.failed > 0)) throw new Error(`subscribes failed: ${started.find((x) => x.firstError !== undefined)?.firstError ?? ''}`);
    b.log(`fanout silence: ${o.silenceClients} subscribers wait ${o.silenceMs / 1000} s with no record`);
    await sleep(o.silenceMs);
    const measured = all<FanoutWindowResult>(workers, { cmd: 'fanout-measure', durationMs: PROBE_WINDOW_MS });
    const producer = new Producer(b, topic, PROBE_RECORDS, 1, 1);
    const last = await producer.done(PROBE_WINDOW_MS).catch((e: unknown) => `producer: ${(e as Error).message}`);
    const rs = await measured;
    await all(workers, { cmd: 'fanout-stop', drainTimeoutMs: DRAIN_TIMEOUT_MS });
    if (!last.startsWith('sent ')) throw new Error(last);
    const first = new Histogram();
    for (const x of rs) first.merge(x.first);
    r.received = first.count;
    r.first = percentiles(first);
    const errors = rs.find((x) => x.firstError !== undefined)?.firstError;
    if (r.received < o.silenceClients || errors !== undefined) r.error = `${r.received} of ${o.silenceClients} subscribers got the first record${errors !== undefined ? `; ${errors}` : ''}`;
    b.log(`fanout silence: first record after ${o.silenceMs / 1000} s at ${r.received} subscribers, p50/p99/p999/max ${r.first.p50Ms}/${r.first.p99Ms}/${r.first.p999Ms}/${r.first.maxMs} ms`);
  } catch (e) {
    r.error = (e as Error).message;
    b.log(`fanout silence failed: ${r.error}`);
  } finally {
    await all(workers, { cmd: 'fanout-close' });
  }
  return r;
}

/**
 * Waits until the proxy has let go of the last point's sockets (it refuses new ones over its cap
 * while thousands of closes are still being handled).
 */
async function settle(b: Bench): Promise<void> {
  const until = performance.now() + SETTLE_TIMEOUT_MS;
  while (performance.now() < until && (await b.proxy.connections()) > 0) await sleep(100);
}

/** The hard open-file limit of this process (the proxy inherits it and cannot raise it further). */
function hardFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Memory per idle subscribed socket: a fresh proxy, a warm-up wave opened, subscribed and closed,
 * then N sockets from several processes (a source address each), every one subscribed to the
 * 1-partition topic at its end with nothing produced; RSS and heap from /metrics before and after.
 * N is what was asked for, or the most the open-file limit lets the proxy hold.
 */
async function runIdle(b: Bench, wsScript: string): Promise<IdleSubscribed> {
  const o = b.opts.fanout;
  const limit = hardFileLimit();
  // The proxy's automatic socket cap under that limit (socket-limits.ts), less room for scrapes.
  const room = limit === undefined ? Infinity : Math.floor((socketBudget(limit) - 200) / 1000) * 1000;
  const sockets = Math.min(o.idleSockets, room);
  const limitedBy = sockets < o.idleSockets
    ? `the open-file limit: hard limit ${limit ?? '?'} (not raisable here), of which the proxy keeps ${socketBudget(limit ?? 0)} for client sockets`
    : undefined;
  const topic = FANOUT_TOPICS[0]!;
  const lanes = layout(sockets, o.socketsPerWorker);
  const proxy = await ProxyServer.start({ root: b.proxyRoot, maxConnections: sockets + 100, kafkaConnections: b.opts.kafkaConnections });
  const workers = lanes.map((_, i) => WorkerHandle.start(`fanout-idle-${i}`, wsScript));
  const subscribeAll = (ws: readonly WorkerHandle[]): Promise<FanoutStartResult[]> => all<FanoutStartResult>(ws, {
    cmd: 'fanout-start', spec: { mode: 'subscribe', topic: topic.name, partitions: topic.partitions, from: [], creditBytes: o.creditBytes, timeoutMs: START_TIMEOUT_MS, prime: false },
  });
  try {
    await proxy.route('tail', ROUTES.tail, b.bootstrap, { fetch: { max_wait_ms: 500, min_bytes: 1 } });
    const url = proxy.ws(ROUTES.tail);
    await workers[0]!.request({ cmd: 'fanout-open', spec: { url, clients: Math.min(WARM_UP_SOCKETS, sockets), parallel: 50 } });
    await subscribeAll([workers[0]!]);
    await workers[0]!.request({ cmd: 'fanout-close' });
    await sleep(b.opts.footprint.settleMs);
    const before = await memory(proxy);
    const opened = await all<FanoutOpenResult>(workers, (w) => ({ cmd: 'fanout-open', spec: { url, clients: lanes[w]!.clients, parallel: 50, ...(lanes[w]!.localAddress !== undefined ? { localAddress: lanes[w]!.localAddress } : {}) } }));
    const started = await subscribeAll(workers);
    await sleep(b.opts.footprint.settleMs);
    const after = await memory(proxy);
    const m = await proxy.metrics();
    const proxySubscriptions = [...m].filter(([k]) => k.startsWith('kwp_subscriptions{')).reduce((s, [, v]) => s + v, 0);
    const n = opened.reduce((s, x) => s + x.opened, 0);
    const firstError = opened.find((x) => x.firstError !== undefined)?.firstError ?? started.find((x) => x.firstError !== undefined)?.firstError;
    const r: IdleSubscribed = {
      asked: o.idleSockets, sockets, ...(limitedBy !== undefined ? { limitedBy } : {}), opened: n, subscribed: started.reduce((s, x) => s + x.started, 0),
      failed: opened.reduce((s, x) => s + x.failed, 0) + started.reduce((s, x) => s + x.failed, 0), ...(firstError !== undefined ? { firstError } : {}),
      proxyConnections: await proxy.connections(), proxySubscriptions, clientProcesses: lanes.length,
      rssBeforeBytes: before.rss, rssAfterBytes: after.rss, heapBeforeBytes: before.heap, heapAfterBytes: after.heap,
      rssPerSocketBytes: (after.rss - before.rss) / Math.max(1, n), heapPerSocketBytes: (after.heap - before.heap) / Math.max(1, n),
    };
    b.log(`fanout idle: ${r.subscribed}/${sockets} subscribed sockets${limitedBy !== undefined ? ` (${o.idleSockets} asked; ${limitedBy})` : ''}: ` +
      `${(r.rssPerSocketBytes / 1024).toFixed(2)} KiB RSS and ${(r.heapPerSocketBytes / 1024).toFixed(2)} KiB heap per socket`);
    await all(workers, { cmd: 'fanout-close' });
    return r;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await proxy.stop();
  }
}

export async function runFanout(b: Bench, wsScript: string): Promise<FanoutResult> {
  const o = b.opts.fanout;
  const points = fanoutPoints(b);
  const poolSize = Math.max(...points.map((p) => layout(p.clients, o.socketsPerWorker).length), layout(o.silenceClients, o.socketsPerWorker).length);
  const pool = Array.from({ length: poolSize }, (_, i) => WorkerHandle.start(`fanout-${i}`, wsScript, [], b.opts.clientNodeArgs));
  const kafka = new KafkaClient({ brokers: [b.bootstrap], clientId: 'kwp-bench-fanout' });
  const result: FanoutResult = {
    route: ROUTES.tail, valueSize: VALUE_SIZE, creditBytes: o.creditBytes, warmupMs: o.warmupMs, windowMs: o.durationMs, rounds: o.rounds, points: [],
  };
  try {
    for (const spec of points) {
      result.points.push(await runPoint(b, pool, kafka, spec));
      await sleep(b.opts.pauseMs);
    }
    if (o.silenceMs > 0) result.silence = await runSilence(b, pool);
  } finally {
    kafka.close();
    await Promise.all(pool.map((w) => w.stop()));
  }
  if (o.idleSockets > 0) result.idle = await runIdle(b, wsScript);
  return result;
}
