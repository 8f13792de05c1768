/**
 * Authenticated upgrades per second (issue 18: ≥ 3,000/s with RS256 on the 2-core machine). Client
 * processes (upgrade-worker.ts) run loops of short-lived WebSockets against a route whose `auth`
 * verifies RS256 tokens, each upgrade with its own token in the subprotocol: open, one cmd_ping,
 * close. The same loops against the same route without `auth` are the baseline, in the same run:
 * the two conditions alternate in every round, so load from elsewhere falls on both.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTES, type Bench } from './context.js';
import { Histogram, percentiles, type Percentiles } from './histogram.js';
import { WorkerHandle } from './ipc.js';
import { rs256Auth, rsaKey } from './tokens.js';
import type { TokenResult, UpgradeResult } from './upgrade-spec.js';
import { sleep } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Tokens are signed for this many upgrades per second over every window: more are offered twice. */
const RATE_CAP = 5000;
/** From the command to the workers until their warm-up starts. */
const LEAD_MS = 300;
const KID = 'bench-rs256';

/** Route ids of the identity phases (their paths are in ROUTES). */
export const IDENTITY_ROUTES = { auth: 'identity-auth', open: 'identity-open', authz: 'identity-authz' } as const;

export type UpgradeCondition = 'auth' | 'open';

export interface UpgradeSummary {
  condition: UpgradeCondition;
  route: string;
  /** Median over the rounds, and each round's. */
  upgradesPerSec: number;
  roundUpgradesPerSec: number[];
  upgrades: number;
  errors: number;
  firstError?: string;
  /** Creation of the WebSocket to 'open', every round merged. */
  upgradeLatency: Percentiles;
  /** Upgrade, ping and close handshake. */
  cycleLatency: Percentiles;
  /** Proxy CPU seconds per second of window (1: one core), median over the rounds. */
  proxyCores: number;
  /** Proxy CPU per upgrade, median over the rounds. */
  proxyCpuUsPerUpgrade: number;
  /** The highest proxy event-loop delay p99 of the rounds. */
  proxyEventLoopP99Ms: number;
  /** CPU of all client processes together, in cores. */
  clientCores: number;
  /** Upgrades refused by the proxy's socket caps, and tokens refused, over the rounds. */
  rejectedSockets: number;
  authFailures: number;
  /** Tokens offered a second time (the signed ones ran out). */
  reused: number;
}

export interface UpgradesResult {
  workers: number;
  lanes: number;
  sourceAddresses: string[];
  rounds: number;
  warmupMs: number;
  windowMs: number;
  tokensSigned: number;
  signSeconds: number;
  maxSocketsPerAddress: string;
  conditions: UpgradeSummary[];
  /** Authenticated over open upgrades per second, per round: median, lowest, highest. */
  ratio: { median: number; min: number; max: number };
}

interface RoundSample {
  result: UpgradeResult[];
  proxyCpuSec: number;
  eventLoopP99Ms: number;
  rejectedSockets: number;
  authFailures: number;
}

const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)] ?? NaN;
const sum = (m: Map<string, number>, prefix: string): number => [...m].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

async function sleepUntil(epochMs: number): Promise<void> {
  const left = epochMs - Date.now();
  if (left > 0) await sleep(left);
}

/** Waits until the proxy holds no connection (the closes of the last cycles), at most `ms`. */
async function drained(b: Bench, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await b.proxy.connections()) > 0 && Date.now() < deadline) await sleep(50);
}

async function round(b: Bench, workers: WorkerHandle[], condition: UpgradeCondition, addresses: string[]): Promise<RoundSample> {
  const o = b.opts.identity;
  const startAtMs = Date.now() + LEAD_MS + o.upgradeWarmupMs;
  const endAtMs = startAtMs + o.upgradeMs;
  const before = await b.proxy.metrics();
  const running = Promise.all(workers.map((w) => w.request<UpgradeResult>({
    cmd: 'upgrades',
    spec: { url: b.proxy.ws(condition === 'auth' ? ROUTES.auth : ROUTES.open), withTokens: condition === 'auth', lanes: o.upgradeLanes, startAtMs, endAtMs, localAddresses: addresses },
  })));
  await sleepUntil(startAtMs);
  const cpu0 = b.proxy.cpuSeconds();
  // A scrape resets the proxy's event-loop delay histogram: the one at the end covers the window.
  void b.proxy.metrics().catch(() => undefined);
  await sleepUntil(endAtMs);
  const cpu1 = b.proxy.cpuSeconds();
  const after = await b.proxy.metrics();
  const result = await running;
  await drained(b, 5000);
  const rejected = 'kwp_connections_rejected_total';
  const failures = `kwp_auth_failures_total{route="${IDENTITY_ROUTES.auth}"`;
  return {
    result,
    proxyCpuSec: cpu1 - cpu0,
    eventLoopP99Ms: (after.get('nodejs_eventloop_delay_seconds{quantile="0.99"}') ?? NaN) * 1000,
    rejectedSockets: sum(after, rejected) - sum(before, rejected),
    authFailures: sum(after, failures) - sum(before, failures),
  };
}

function summarize(condition: UpgradeCondition, samples: RoundSample[], windowMs: number): UpgradeSummary {
  const up = new Histogram();
  const cycle = new Histogram();
  const rates: number[] = [];
  const cpuPer: number[] = [];
  const cores: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let reused = 0;
  let clientCpuMs = 0;
  for (const s of samples) {
    const n = s.result.reduce((t, r) => t + r.upgrades, 0);
    rates.push(n / (windowMs / 1000));
    cpuPer.push(n === 0 ? NaN : (s.proxyCpuSec / n) * 1e6);
    cores.push(s.proxyCpuSec / (windowMs / 1000));
    for (const r of s.result) {
      up.merge(r.upgradeLatency);
      cycle.merge(r.cycleLatency);
      errors += r.errors;
      firstError ??= r.firstError;
      reused += r.reused;
      clientCpuMs += r.cpuMs;
    }
  }
  return {
    condition,
    route: condition === 'auth' ? ROUTES.auth : ROUTES.open,
    upgradesPerSec: median(rates),
    roundUpgradesPerSec: rates,
    upgrades: samples.reduce((t, s) => t + s.result.reduce((u, r) => u + r.upgrades, 0), 0),
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    upgradeLatency: percentiles(up),
    cycleLatency: percentiles(cycle),
    proxyCores: median(cores),
    proxyCpuUsPerUpgrade: median(cpuPer),
    proxyEventLoopP99Ms: Math.max(...samples.map((s) => s.eventLoopP99Ms)),
    clientCores: clientCpuMs / 1000 / ((windowMs / 1000) * samples.length),
    rejectedSockets: samples.reduce((t, s) => t + s.rejectedSockets, 0),
    authFailures: samples.reduce((t, s) => t + s.authFailures, 0),
    reused,
  };
}

export async function runUpgrades(b: Bench, clientNodeArgs: readonly string[]): Promise<UpgradesResult> {
  const o = b.opts.identity;
  const key = rsaKey();
  await b.proxy.route(IDENTITY_ROUTES.auth, ROUTES.auth, b.bootstrap, { auth: rs256Auth(key, KID) });
  await b.proxy.route(IDENTITY_ROUTES.open, ROUTES.open, b.bootstrap);
  const addresses = Array.from({ length: o.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`);
  const workers = Array.from({ length: o.upgradeWorkers }, (_, i) => WorkerHandle.start(`upgrade-${i}`, join(here, 'upgrade-worker.js'), [], clientNodeArgs));
  try {
    const perWorker = Math.ceil((RATE_CAP * ((o.upgradeWarmupMs + o.upgradeMs) / 1000) * o.rounds) / o.upgradeWorkers);
    const signStart = performance.now();
    const signed = await Promise.all(workers.map((w, i) => w.request<TokenResult>({
      cmd: 'tokens', spec: { privatePem: key.privatePem, kid: KID, subjectPrefix: `w${i}-user-`, count: perWorker },
    })));
    const signSeconds = (performance.now() - signStart) / 1000;
    const tokensSigned = signed.reduce((t, x) => t + x.signed, 0);
    b.log(`upgrades: ${tokensSigned.toLocaleString('en-US')} RS256 tokens signed in ${signSeconds.toFixed(1)} s`);
    const samples: Record<UpgradeCondition, RoundSample[]> = { auth: [], open: [] };
    const ratios: number[] = [];
    // One round of each, not counted: the fresh proxy compiles its upgrade paths here, which
    // charged the first condition measured with the JIT's work.
    for (const c of ['auth', 'open'] as const) await round(b, workers, c, addresses);
    for (let r = 0; r < o.rounds; r++) {
      const order: UpgradeCondition[] = r % 2 === 0 ? ['auth', 'open'] : ['open', 'auth'];
      const rate: Partial<Record<UpgradeCondition, number>> = {};
      for (const c of order) {
        const s = await round(b, workers, c, addresses);
        samples[c].push(s);
        const n = s.result.reduce((t, x) => t + x.upgrades, 0);
        rate[c] = n / (o.upgradeMs / 1000);
        const errors = s.result.reduce((t, x) => t + x.errors, 0);
        b.log(`upgrades round ${r + 1} ${c}: ${Math.round(rate[c]).toLocaleString('en-US')}/s, proxy ${((s.proxyCpuSec / n) * 1e6).toFixed(0)} µs CPU each` +
          `${errors > 0 ? `, ${errors} errors (${s.result.find((x) => x.firstError !== undefined)?.firstError ?? ''})` : ''}`);
        await sleep(b.opts.pauseMs);
      }
      ratios.push(rate.auth! / rate.open!);
    }
    return {
      workers: o.upgradeWorkers, lanes: o.upgradeLanes, sourceAddresses: addresses, rounds: o.rounds, warmupMs: o.upgradeWarmupMs, windowMs: o.upgradeMs,
      tokensSigned, signSeconds,
      maxSocketsPerAddress: 'off (0, as for every benchmark proxy: bench/e2e/proxy-server.ts)',
      conditions: [summarize('auth', samples.auth, o.upgradeMs), summarize('open', samples.open, o.upgradeMs)],
      ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}
