/**
 * Isolation (issue 16): what one hostile client does to a well-behaved one. The victim is one
 * WebSocket client in its own process sending a small fetch every 20 ms, one at a time, as
 * latency.ts paces its clients; its round trips are measured in three conditions: quiet, while
 * another process floods one connection with pipelined fetches of 1 MiB replies, and while it
 * floods one with fuzzed frames (flood.ts). Target: the victim's p99 under a flood at most 2 × its
 * quiet p99.
 */
import { ROUTES, type Bench } from './context.js';
import { Histogram, percentiles, type Percentiles } from './histogram.js';
import type { FloodResult, FloodSpec, LoopResult, LoopSpec, WorkerHandle } from './ipc.js';
import type { TopicSpec } from './seed.js';
import { assignments, measure, type ProxySample } from './throughput.js';
import { sleep } from './window.js';

export type Condition = 'quiet' | 'pipelined' | 'fuzz';
export const CONDITIONS: readonly Condition[] = ['quiet', 'pipelined', 'fuzz'];

/** What the proxy did during the victim's windows of one condition. */
export interface ProxyUnderFlood {
  /** CPU seconds over the windows divided by their length: 1 is one core. */
  cores: number;
  /** The highest event-loop delay p99 of the windows. */
  eventLoopP99Ms: number;
  /** The highest resident memory seen (sampled every 250 ms while the flood ran). */
  rssMaxBytes: number;
  /** kwp_errors_total increments over the condition's floods, by code. */
  errors: Record<string, number>;
}

export interface IsolationCondition {
  condition: Condition;
  /** The victim's round trips, all rounds merged. */
  victim: Percentiles;
  /** The same corrected for coordinated omission (Histogram.withExpectedInterval). */
  victimCorrected: Percentiles;
  /** The victim's p99 in each round: how far one window can be trusted. */
  roundP99Ms: number[];
  /** Victim replies per second, against the 1000 / periodMs it offers. */
  victimRepliesPerSec: number;
  victimErrors: number;
  victimFirstError?: string;
  /** The flooder's totals over all rounds (no flood when quiet). */
  flood?: FloodResult;
  proxy: ProxyUnderFlood;
}

export interface IsolationResult {
  /** The victim's topic, route and fetch size. */
  victimTopic: string;
  victimRoute: string;
  victimMaxBytes: number;
  periodMs: number;
  floodTopic: string;
  floodRoute: string;
  pipelinedBurst: number;
  fuzzBurst: number;
  seed: number;
  rounds: number;
  windowMs: number;
  /** The proxy's resident memory before the first flood (it does not shrink back after one). */
  rssBeforeBytes: number;
  conditions: IsolationCondition[];
  /** Victim p99 under each flood divided by its quiet p99. */
  p99Ratio: { pipelined: number; fuzz: number };
}

const RSS_EVERY_MS = 250;
/** How long a finished condition may take to give back its connections before the next starts. */
const SETTLE_TIMEOUT_MS = 10_000;

interface Totals {
  h: Histogram;
  roundP99Ms: number[];
  replies: number;
  windowMs: number;
  errors: number;
  firstError?: string;
  flood?: FloodResult;
  cpuSec: number;
  loopP99Ms: number;
  rssMax: number;
  proxyErrors: Record<string, number>;
}

/** The largest-value uncompressed topic: its fetches fill a 1 MiB reply (smoke: whatever 1 KiB topic there is). */
export function floodTopic(all: readonly TopicSpec[]): TopicSpec {
  const big = all.filter((t) => t.valueSize === Math.max(...all.map((x) => x.valueSize)));
  return big.find((t) => t.codec === 'none') ?? big[0]!;
}

function errorCounts(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m) {
    const code = /^kwp_errors_total\{code="([^"]+)"\}$/.exec(k)?.[1];
    if (code !== undefined) out[code] = v;
  }
  return out;
}

/** Samples the proxy's RSS until stopped; returns the highest. */
export function rssSampler(b: Bench): { stop(): number } {
  let max = b.proxy.rssBytes();
  const t = setInterval(() => {
    const r = b.proxy.rssBytes();
    if (r > max) max = r;
  }, RSS_EVERY_MS);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(max, b.proxy.rssBytes());
    },
  };
}

/** Waits until the proxy has let go of every connection of the last condition. */
async function settle(b: Bench): Promise<void> {
  const until = performance.now() + SETTLE_TIMEOUT_MS;
  while (performance.now() < until && (await b.proxy.connections()) > 0) await sleep(50);
}

function addFlood(a: FloodResult | undefined, f: FloodResult): FloodResult {
  if (a === undefined) return { ...f, closeReasons: [...f.closeReasons] };
  const firstError = a.firstError ?? f.firstError;
  return {
    kind: f.kind, bursts: a.bursts + f.bursts, sent: a.sent + f.sent, replies: a.replies + f.replies, replyBytes: a.replyBytes + f.replyBytes,
    answered: a.answered + f.answered, refused: a.refused + f.refused, undecodable: a.undecodable + f.undecodable, errors: a.errors + f.errors, unreadable: a.unreadable + f.unreadable,
    ...(firstError !== undefined ? { firstError } : {}),
    closes: a.closes + f.closes, closeReasons: [...a.closeReasons, ...f.closeReasons].slice(0, 5),
    elapsedMs: a.elapsedMs + f.elapsedMs, cpuMs: a.cpuMs + f.cpuMs,
  };
}

/**
 * The conditions alternate within every round and their order rotates from round to round, so
 * the machine's other work (a broker's GC, another process) falls on all three alike, as
 * latency.ts alternates its two paths.
 */
export async function runIsolation(b: Bench, flooder: WorkerHandle, victimTopic: TopicSpec, flooded: TopicSpec): Promise<IsolationResult> {
  const o = b.opts.isolation;
  const totals = new Map<Condition, Totals>(CONDITIONS.map((c) => [c, {
    h: new Histogram(), roundP99Ms: [], replies: 0, windowMs: 0, errors: 0, cpuSec: 0, loopP99Ms: 0, rssMax: 0, proxyErrors: {},
  }]));
  const victimSpec: LoopSpec = {
    target: b.proxy.ws(ROUTES.small), clients: 1, assignments: assignments(victimTopic),
    warmupMs: o.warmupMs, durationMs: o.durationMs, maxBytes: b.opts.latency.maxBytes, periodMs: o.periodMs,
  };
  const floodSpec = (kind: FloodSpec['kind']): FloodSpec => ({
    target: b.proxy.ws(ROUTES.bulk), kind, burst: kind === 'pipelined' ? o.pipelinedBurst : o.fuzzBurst, assignments: assignments(flooded), seed: o.seed,
  });
  const rssBeforeBytes = b.proxy.rssBytes();
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < CONDITIONS.length; i++) {
      const c = CONDITIONS[(i + round) % CONDITIONS.length]!;
      const t = totals.get(c)!;
      const errors0 = errorCounts(await b.proxy.metrics());
      const rss = rssSampler(b);
      let flood: Promise<FloodResult> | undefined;
      if (c !== 'quiet') {
        flood = flooder.request<FloodResult>({ cmd: 'flood', spec: floodSpec(c) });
        // Not a rejection left unhandled while the victim runs: it is awaited below.
        flood.catch(() => undefined);
        await sleep(o.leadMs);
      }
      let x: { r: LoopResult; proxy?: ProxySample };
      try {
        x = await measure(b, b.ws, victimSpec, true);
      } finally {
        if (flood !== undefined) await flooder.request({ cmd: 'flood-stop' });
      }
      const f = flood === undefined ? undefined : await flood;
      t.rssMax = Math.max(t.rssMax, rss.stop());
      await settle(b);
      const errors1 = errorCounts(await b.proxy.metrics());
      for (const [code, n] of Object.entries(errors1)) {
        const d = n - (errors0[code] ?? 0);
        if (d > 0) t.proxyErrors[code] = (t.proxyErrors[code] ?? 0) + d;
      }
      const h = Histogram.from(x.r.latency);
      t.h.merge(x.r.latency);
      t.roundP99Ms.push(percentiles(h).p99Ms);
      t.replies += x.r.replies;
      t.windowMs += x.r.elapsedMs;
      t.errors += x.r.errors;
      if (x.r.firstError !== undefined) t.firstError ??= x.r.firstError;
      if (f !== undefined) t.flood = addFlood(t.flood, f);
      t.cpuSec += x.proxy?.cpuSec ?? NaN;
      t.loopP99Ms = Math.max(t.loopP99Ms, x.proxy?.eventLoopP99Ms ?? NaN);
      b.log(`isolation round ${round + 1}/${o.rounds} ${c}: victim p50/p99/max ${percentiles(h).p50Ms}/${percentiles(h).p99Ms}/${percentiles(h).maxMs} ms, ` +
        `${x.r.replies} replies${x.r.errors > 0 ? `, ${x.r.errors} errors (${x.r.firstError ?? ''})` : ''}` +
        `${f !== undefined ? `; flooder sent ${f.sent}, ${f.answered} answered, ${f.refused} refused, ${f.undecodable} undecodable, ${f.errors} errors, ${f.closes} closes ${f.closeReasons.join('; ')}` : ''}` +
        `; proxy ${((x.proxy?.cpuSec ?? NaN) / (x.r.elapsedMs / 1000)).toFixed(2)} cores, RSS ${(t.rssMax / 2 ** 20).toFixed(0)} MiB`);
      await sleep(b.opts.pauseMs);
    }
  }
  const conditions = CONDITIONS.map((c): IsolationCondition => {
    const t = totals.get(c)!;
    return {
      condition: c,
      victim: percentiles(t.h),
      victimCorrected: percentiles(Histogram.withExpectedInterval(t.h.toJSON(), o.periodMs * 1000)),
      roundP99Ms: t.roundP99Ms,
      victimRepliesPerSec: t.replies / (t.windowMs / 1000),
      victimErrors: t.errors,
      ...(t.firstError !== undefined ? { victimFirstError: t.firstError } : {}),
      ...(t.flood !== undefined ? { flood: t.flood } : {}),
      proxy: { cores: t.cpuSec / (t.windowMs / 1000), eventLoopP99Ms: t.loopP99Ms, rssMaxBytes: t.rssMax, errors: t.proxyErrors },
    };
  });
  const quiet = conditions[0]!.victim.p99Ms;
  const ratio = (c: Condition): number => conditions.find((x) => x.condition === c)!.victim.p99Ms / quiet;
  const result: IsolationResult = {
    victimTopic: victimTopic.name, victimRoute: ROUTES.small, victimMaxBytes: b.opts.latency.maxBytes, periodMs: o.periodMs,
    floodTopic: flooded.name, floodRoute: ROUTES.bulk, pipelinedBurst: o.pipelinedBurst, fuzzBurst: o.fuzzBurst, seed: o.seed,
    rounds: o.rounds, windowMs: o.durationMs, rssBeforeBytes, conditions, p99Ratio: { pipelined: ratio('pipelined'), fuzz: ratio('fuzz') },
  };
  b.log(`isolation: victim p99 quiet ${quiet} ms, pipelined ${result.p99Ratio.pipelined.toFixed(2)} ×, fuzz ${result.p99Ratio.fuzz.toFixed(2)} ×`);
  return result;
}
