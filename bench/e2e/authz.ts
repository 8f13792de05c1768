/**
 * The throughput cost of per-command authorization (issue 18: ≤ 2 % on the fetch benchmark). The
 * throughput phase's fetch loops (ws-worker.ts) run against `/bench` (no identity) and against
 * `/bench-authz`: the same route plus `auth` (RS256) and ten topic rules, every client with its
 * own token and the fetched topic allowed by the last rule, so every fetch walks them all. The
 * two alternate in every round, so load from elsewhere falls on both.
 */
import { ROUTES, type Bench } from './context.js';
import { Histogram, percentiles } from './histogram.js';
import type { LoopSpec } from './ipc.js';
import type { TopicSpec } from './seed.js';
import { assignments, measure } from './throughput.js';
import { AUTHZ_RULES, authzClaims, rs256, rs256Auth, rsaKey } from './tokens.js';
import { IDENTITY_ROUTES } from './upgrades.js';
import { sleep } from './window.js';

export type AuthzCondition = 'open' | 'authz';

export interface AuthzSide {
  route: string;
  /** Median over the rounds, and each round's. */
  messagesPerSec: number;
  roundMessagesPerSec: number[];
  /** Proxy CPU seconds per million messages, median over the rounds, and each round's. */
  cpuSecPerMillion: number;
  roundCpuSecPerMillion: number[];
  fetchP99Ms: number;
  errors: number;
  firstError?: string;
}

export interface AuthzTopic {
  topic: string;
  open: AuthzSide;
  authz: AuthzSide;
  /** authz ÷ open messages/s per round: median, lowest, highest. */
  ratio: { median: number; min: number; max: number };
  /** authz ÷ open proxy CPU per message, median of the rounds. */
  cpuRatio: number;
}

export interface AuthzResult {
  rules: readonly string[];
  clients: number;
  rounds: number;
  warmupMs: number;
  windowMs: number;
  topics: AuthzTopic[];
}

const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)] ?? NaN;

interface Sample { messagesPerSec: number; cpuSecPerMillion: number; p99Ms: number; errors: number; firstError?: string | undefined }

function side(route: string, s: Sample[]): AuthzSide {
  const firstError = s.find((x) => x.firstError !== undefined)?.firstError;
  return {
    route,
    messagesPerSec: median(s.map((x) => x.messagesPerSec)),
    roundMessagesPerSec: s.map((x) => x.messagesPerSec),
    cpuSecPerMillion: median(s.map((x) => x.cpuSecPerMillion)),
    roundCpuSecPerMillion: s.map((x) => x.cpuSecPerMillion),
    fetchP99Ms: median(s.map((x) => x.p99Ms)),
    errors: s.reduce((t, x) => t + x.errors, 0),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

export async function runAuthz(b: Bench, topics: readonly TopicSpec[]): Promise<AuthzResult> {
  const o = b.opts.identity;
  const key = rsaKey();
  const kid = 'bench-authz';
  await b.proxy.route(IDENTITY_ROUTES.authz, ROUTES.authz, b.bootstrap, { auth: rs256Auth(key, kid), authorize: { consume: AUTHZ_RULES } });
  const tokens = Array.from({ length: o.authzClients }, (_, i) => rs256(key.privateKey, kid, authzClaims(i)));
  const out: AuthzTopic[] = [];
  for (const t of topics) {
    const samples: Record<AuthzCondition, Sample[]> = { open: [], authz: [] };
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const order: AuthzCondition[] = r % 2 === 0 ? ['authz', 'open'] : ['open', 'authz'];
      for (const c of order) {
        const spec: LoopSpec = {
          target: b.proxy.ws(c === 'authz' ? ROUTES.authz : ROUTES.bulk), clients: o.authzClients, assignments: assignments(t),
          warmupMs: b.opts.warmupMs, durationMs: b.opts.durationMs, maxBytes: b.opts.maxBytes, periodMs: 0,
          ...(c === 'authz' ? { tokens } : {}),
        };
        const { r: res, proxy } = await measure(b, b.ws, spec, true);
        const s: Sample = {
          messagesPerSec: res.messages / (res.elapsedMs / 1000), cpuSecPerMillion: proxy?.cpuSecPerMillion ?? NaN,
          p99Ms: percentiles(Histogram.from(res.latency)).p99Ms, errors: res.errors, firstError: res.firstError,
        };
        samples[c].push(s);
        b.log(`authz ${t.name} round ${r + 1} ${c}: ${Math.round(s.messagesPerSec).toLocaleString('en-US')} msg/s, proxy ${s.cpuSecPerMillion.toFixed(2)} CPU s / M msg` +
          `${s.errors > 0 ? `, ${s.errors} errors (${s.firstError ?? ''})` : ''}`);
        await sleep(b.opts.pauseMs);
      }
      const [a, n] = [samples.authz[r]!, samples.open[r]!];
      ratios.push(a.messagesPerSec / n.messagesPerSec);
      cpuRatios.push(a.cpuSecPerMillion / n.cpuSecPerMillion);
    }
    out.push({
      topic: t.name, open: side(ROUTES.bulk, samples.open), authz: side(ROUTES.authz, samples.authz),
      ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }, cpuRatio: median(cpuRatios),
    });
  }
  return { rules: AUTHZ_RULES, clients: o.authzClients, rounds: o.rounds, warmupMs: b.opts.warmupMs, windowMs: b.opts.durationMs, topics: out };
}
