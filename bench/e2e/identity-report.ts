/**
 * The identity phases in a run's report: their targets (issue 18) and the generated part of
 * BENCHMARKS.md's "Client identity" section (between the e2e-identity markers).
 */
import type { AuthzResult } from './authz.js';
import type { Percentiles } from './histogram.js';
import type { UpgradesResult } from './upgrades.js';

export const UPGRADE_TARGET = 'authenticated upgrades per second with RS256 ≥ 3,000';
export const AUTHZ_TARGET = 'throughput cost of per-command authorization ≤ 2 % on the fetch benchmark';
export const IDENTITY_TARGETS: readonly string[] = [UPGRADE_TARGET, AUTHZ_TARGET];

interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
const pct = (ratio: number, digits = 1): string => `${ratio >= 1 ? '+' : ''}${fmt((ratio - 1) * 100, digits)} %`;

export function identityTargets(u: UpgradesResult | undefined, a: AuthzResult | undefined): Target[] {
  const out: Target[] = [];
  const auth = u?.conditions.find((c) => c.condition === 'auth');
  if (u !== undefined && auth !== undefined) {
    const rounds = auth.roundUpgradesPerSec;
    out.push({
      target: UPGRADE_TARGET,
      measured: `${fmt(auth.upgradesPerSec)}/s (rounds ${fmt(Math.min(...rounds))} to ${fmt(Math.max(...rounds))}), ${fmt(u.ratio.median * 100)} % of the same without auth`,
      met: auth.errors === 0 && auth.upgrades > 0 ? auth.upgradesPerSec >= 3000 : null,
    });
  }
  if (a !== undefined && a.topics.length > 0) {
    // Judged on the proxy's CPU per message: on a shared machine messages per second move by tens
    // of percent from one window to the next whatever the route, while CPU per message holds.
    const worst = Math.max(...a.topics.map((t) => t.cpuRatio));
    out.push({
      target: AUTHZ_TARGET,
      measured: `proxy CPU per message ${a.topics.map((t) => `${t.topic} ${pct(t.cpuRatio)}`).join(', ')}; messages/s ${a.topics.map((t) => `${pct(t.ratio.median, 0)}`).join(', ')} (medians of ${a.rounds} rounds)`,
      met: a.topics.some((t) => t.authz.errors > 0 || t.open.errors > 0) ? null : worst <= 1.02,
    });
  }
  return out;
}

function upgradesTable(u: UpgradesResult): string[] {
  const q = (p: Percentiles): string => `${fmt(p.p50Ms, 2)} / ${fmt(p.p99Ms, 2)}`;
  const lines = [
    `${u.workers} client processes × ${u.lanes} loops, each: open a WebSocket, one \`cmd_ping\`, close with the handshake, again; ` +
      `from ${u.sourceAddresses.length} source addresses (${u.sourceAddresses[0]}-${u.sourceAddresses.at(-1)}), the proxy's per-address socket cap at ${u.maxSocketsPerAddress}. ` +
      `\`/bench-auth\` verifies an RS256 token (RSA-2048, issuer and audience checked) offered in the subprotocol, a different one per upgrade ` +
      `(${fmt(u.tokensSigned)} signed in ${fmt(u.signSeconds, 1)} s before the rounds); \`/bench-open\` is the same route without \`auth\`. ` +
      `${u.rounds} rounds of ${fmt(u.windowMs / 1000, 1)} s per route after ${fmt(u.warmupMs / 1000, 1)} s of warm-up, the order alternating. ` +
      'Upgrade latency: from creating the WebSocket to its `open` event; cycle: until the close handshake is done.', '',
    '| route | upgrades/s (median) | per round | upgrade p50 / p99 ms | cycle p50 / p99 ms | proxy CPU (cores) | proxy CPU per upgrade | proxy loop delay p99 ms | client CPU (cores) | errors | refused sockets / tokens |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of u.conditions) {
    lines.push(`| \`${c.route}\`${c.condition === 'auth' ? ' (RS256)' : ''} | ${fmt(c.upgradesPerSec)} | ${c.roundUpgradesPerSec.map((x) => fmt(x)).join(', ')} | ${q(c.upgradeLatency)} | ${q(c.cycleLatency)} | ` +
      `${fmt(c.proxyCores, 2)} | ${fmt(c.proxyCpuUsPerUpgrade)} µs | ${fmt(c.proxyEventLoopP99Ms, 1)} | ${fmt(c.clientCores, 2)} | ${fmt(c.errors)}${c.firstError !== undefined ? ` (${c.firstError})` : ''} | ${fmt(c.rejectedSockets)} / ${fmt(c.authFailures)} |`);
  }
  lines.push('', `With auth over without, per round: median ${fmt(u.ratio.median * 100)} %, ${fmt(u.ratio.min * 100)} to ${fmt(u.ratio.max * 100)} %.` +
    `${u.conditions.some((c) => c.reused > 0) ? ` ${fmt(u.conditions.reduce((t, c) => t + c.reused, 0))} times the signed tokens ran out and were offered again.` : ''}`, '');
  return lines;
}

function authzTable(a: AuthzResult): string[] {
  const lines = [
    `The throughput phase's fetch loops, ${a.clients} WebSocket clients, against \`/bench\` and against \`/bench-authz\`: the same route plus ` +
      `\`auth\` (RS256, each client its own token) and ${a.rules.length} consume rules (\`${a.rules.join('`, `')}\`); the fetched topic is allowed by the last one. ` +
      `${a.rounds} rounds per topic of ${fmt(a.windowMs / 1000, 1)} s per route after ${fmt(a.warmupMs / 1000, 1)} s of warm-up, the order alternating.`, '',
    '| topic | proxy CPU s / M msg, without → with | CPU change (median) | CPU change per round | `/bench` msg/s | `/bench-authz` msg/s | msg/s change (median) | msg/s change per round | fetch p99 ms, without → with | errors |',
    '|---|---:|---:|---|---:|---:|---:|---|---:|---:|',
  ];
  for (const t of a.topics) {
    const rounds = t.authz.roundMessagesPerSec.map((x, i) => pct(x / t.open.roundMessagesPerSec[i]!, 0)).join(', ');
    const cpuRounds = t.authz.roundCpuSecPerMillion.map((x, i) => pct(x / t.open.roundCpuSecPerMillion[i]!)).join(', ');
    lines.push(`| ${t.topic} | ${fmt(t.open.cpuSecPerMillion, 3)} → ${fmt(t.authz.cpuSecPerMillion, 3)} | ${pct(t.cpuRatio)} | ${cpuRounds} | ` +
      `${fmt(t.open.messagesPerSec)} | ${fmt(t.authz.messagesPerSec)} | ${pct(t.ratio.median, 0)} | ${rounds} | ` +
      `${fmt(t.open.fetchP99Ms, 1)} → ${fmt(t.authz.fetchP99Ms, 1)} | ${fmt(t.open.errors + t.authz.errors)}${t.authz.firstError !== undefined ? ` (${t.authz.firstError})` : ''} |`);
  }
  lines.push('');
  return lines;
}

/** The generated part of "Client identity": targets and tables, after the run line. */
export function identityMarkdown(runLine: string[], targets: Target[], u: UpgradesResult | undefined, a: AuthzResult | undefined): string {
  const lines = [...runLine];
  const mine = targets.filter((t) => IDENTITY_TARGETS.includes(t.target));
  if (mine.length > 0) {
    lines.push('| target | measured | |', '|---|---|---|');
    for (const t of mine) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? 'n/a' : t.met ? 'met' : '**missed**'} |`);
    lines.push('');
  }
  if (u !== undefined) lines.push('#### Authenticated upgrades', '', ...upgradesTable(u));
  if (a !== undefined) lines.push('#### Per-command authorization', '', ...authzTable(a));
  return lines.join('\n');
}
