/**
 * End-to-end benchmark of kafka-ws-proxy against direct Kafka clients (issue 7). See
 * bench/README.md "End-to-end" for what is measured and how; BENCHMARKS.md for results.
 *
 *   npm run bench -- [--smoke] [--only throughput,latency,footprint,isolation,fanout,upgrades,authz] [--clients 1,10,100,1000] [--out FILE]
 *
 * Starts (or reuses) the harness's Kafka 4.4.0, seeds the benchmark topics, starts the proxy CLI in
 * its own process and the client processes, runs the phases, and writes the JSON result, two SVG
 * charts and (full runs) the results section of BENCHMARKS.md. Exits 1 when a measurement failed
 * (errors, zero throughput), so the smoke run in CI fails loudly.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBroker, ensureTopic, type BrokerLine } from '../../test/harness/kafka.js';
import { runAuthz } from './authz.js';
import { ROUTES, type Bench } from './context.js';
import type { DirectName } from './direct-clients.js';
import { FANOUT_TOPICS, runFanout, WARMUP_TOPIC, type FanoutModeResult } from './fanout.js';
import { runFootprint } from './footprint.js';
import { WorkerHandle } from './ipc.js';
import { floodTopic, runIsolation } from './isolation.js';
import { runLatency } from './latency.js';
import { produceTopic, runProduce } from './produce.js';
import { parseOptions } from './options.js';
import { ProxyServer } from './proxy-server.js';
import { judge, writeReport, type E2eResults } from './report.js';
import { seedTopic, TAIL_TOPIC, throughputTopics, type TopicSpec } from './seed.js';
import { runThroughput } from './throughput.js';
import { runUpgrades } from './upgrades.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const LINE: BrokerLine = '4';

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Charts and BENCHMARKS.md again from a result file, e.g. after a change to chart.ts. */
function rerender(file: string): number {
  const r = JSON.parse(readFileSync(file, 'utf8')) as E2eResults;
  for (const f of writeReport(root, { ...r, options: { ...r.options, out: file, markdown: !r.smoke } })) log(`wrote ${f}`);
  return 0;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.rerender !== undefined) return rerender(opts.rerender);
  const startedAt = new Date().toISOString();
  const load = loadavg();
  log(`starting ${opts.smoke ? 'smoke' : 'full'} run: ${opts.phases.join(', ')}`);
  const info = await ensureBroker(LINE);
  const bootstrap = `${info.host}:${info.ports.plaintext}`;

  const allTopics = throughputTopics(opts.smoke);
  const topics = opts.topics.length === 0 ? allTopics : allTopics.filter((t) => opts.topics.some((s) => t.name.includes(s)));
  const needed = new Set<TopicSpec>(opts.phases.includes('throughput') || opts.phases.includes('authz') ? topics : []);
  if (opts.phases.includes('latency') || opts.phases.includes('isolation')) needed.add(allTopics[0]!);
  if (opts.phases.includes('isolation')) needed.add(floodTopic(allTopics));
  for (const t of needed) {
    await ensureTopic(LINE, t.name, t.partitions);
    const s = await seedTopic(bootstrap, t);
    log(s.skipped ? `topic ${t.name}: already seeded` : `topic ${t.name}: produced ${s.produced.toLocaleString('en-US')} records`);
  }
  if (opts.phases.includes('latency')) await ensureTopic(LINE, TAIL_TOPIC, 1);
  if (opts.phases.includes('fanout')) for (const t of [...FANOUT_TOPICS, WARMUP_TOPIC]) await ensureTopic(LINE, t.name, t.partitions);
  const pt = produceTopic(opts.smoke);
  if (opts.phases.includes('produce')) await ensureTopic(LINE, pt.name, pt.partitions, pt.configs);

  const proxyBuild = build(opts.proxyRoot === undefined ? root : resolve(opts.proxyRoot));
  if (opts.proxyRoot !== undefined) log(`proxy under test: ${proxyBuild.root} at ${proxyBuild.commit}`);
  const proxy = await ProxyServer.start({ root: proxyBuild.root, maxConnections: 20_000, kafkaConnections: opts.kafkaConnections, nodeArgs: opts.proxyNodeArgs, workers: opts.proxyWorkers });
  if (opts.proxyWorkers > 1) log(`proxy with ${opts.proxyWorkers} worker processes`);
  await proxy.route('bulk', ROUTES.bulk, bootstrap);
  await proxy.route('small', ROUTES.small, bootstrap, { fetch: { max_bytes: opts.latency.maxBytes } });
  await proxy.route('tail', ROUTES.tail, bootstrap, { fetch: { max_wait_ms: 500, min_bytes: 1 } });
  if (opts.phases.includes('produce')) await proxy.route('produce', ROUTES.produce, bootstrap, { produce: { topics: [pt.name] } });
  const wsScript = join(here, 'ws-worker.js');
  const directScript = join(here, 'direct-worker.js');
  const ws = WorkerHandle.start('ws-worker', wsScript, [], opts.clientNodeArgs);
  const direct = new Map<DirectName, WorkerHandle>();
  for (const d of ['ours', 'kafkajs', 'platformatic'] as const) {
    const producing = opts.phases.includes('produce') && opts.produce.impls.includes(d);
    if ((opts.phases.includes('throughput') && opts.impls.includes(d)) || (d === 'ours' && opts.phases.includes('latency')) || producing) direct.set(d, WorkerHandle.start(`direct-${d}`, directScript, [d, bootstrap, String(opts.kafkaConnections)], opts.clientNodeArgs));
  }
  const flooder = opts.phases.includes('isolation') ? WorkerHandle.start('flooder', wsScript, [], opts.clientNodeArgs) : undefined;
  const b: Bench = { root, proxyRoot: proxyBuild.root, bootstrap, line: LINE, proxy, ws, direct, opts, log };

  const results: Omit<E2eResults, 'targets' | 'finishedAt'> = {
    schema: 1,
    startedAt,
    command: process.argv.length > 2 ? `npm run bench -- ${process.argv.slice(2).join(' ')}` : 'npm run bench',
    smoke: opts.smoke,
    machine: {
      cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGiB: totalmem() / 2 ** 30,
      node: process.version, os: `${platform()} ${release()}`, kafka: info.version, loadAverageAtStart: load,
    },
    options: opts,
    proxyBuild,
    topics,
  };
  try {
    if (opts.phases.includes('throughput')) results.throughput = await runThroughput(b, topics);
    if (opts.phases.includes('latency')) results.latency = await runLatency(b, allTopics[0]!);
    if (flooder !== undefined) results.isolation = await runIsolation(b, flooder, allTopics[0]!, floodTopic(allTopics));
    if (opts.phases.includes('fanout')) results.fanout = await runFanout(b, wsScript);
    if (opts.phases.includes('authz')) results.authz = await runAuthz(b, topics);
    if (opts.phases.includes('upgrades')) results.upgrades = await runUpgrades(b, opts.clientNodeArgs);
    if (opts.phases.includes('produce')) results.produce = await runProduce(b);
  } finally {
    await Promise.all([ws.stop(), ...(flooder !== undefined ? [flooder.stop()] : []), ...[...direct.values()].map((d) => d.stop())]);
    await proxy.stop();
  }
  if (opts.phases.includes('footprint')) results.footprint = await runFootprint(b, wsScript);

  const done: E2eResults = { ...results, machine: { ...results.machine, loadAverageAtEnd: loadavg() }, finishedAt: new Date().toISOString(), targets: [] };
  done.targets = judge(done);
  for (const f of writeReport(root, done)) log(`wrote ${f}`);
  for (const t of done.targets) log(`target: ${t.target}: ${t.measured} (${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'})`);
  return healthy(done) ? 0 : 1;
}

/** A run is broken (not merely slow) when a measured point saw errors or delivered nothing. */
function healthy(r: E2eResults): boolean {
  const bad = (r.throughput ?? []).filter((p) => p.na === undefined && (p.errors > 0 || p.messages === 0));
  for (const p of bad) log(`BROKEN: throughput ${p.topic} ${p.impl} x${p.clients}: ${p.messages} messages, ${p.errors} errors ${p.firstError ?? ''}`);
  const lat = r.latency;
  const latBad = lat !== undefined && (lat.loads.some((l) => l.errors > 0 || l.proxy.count === 0 || l.direct.count === 0) || lat.produceToClient.error !== undefined);
  if (latBad) log('BROKEN: latency phase had errors or no samples');
  const f = r.footprint;
  const fpBad = f !== undefined && (f.failed > 0 || f.opened !== f.connections);
  if (fpBad) log('BROKEN: footprint: not every connection opened');
  // A flood that sent nothing or got nothing back measured nothing; a victim with errors or no
  // samples is broken whatever its latency.
  const iso = r.isolation?.conditions ?? [];
  const isoBad = iso.filter((c) => c.victim.count === 0 || c.victimErrors > 0 || (c.flood !== undefined && (c.flood.sent === 0 || c.flood.replies === 0 || c.flood.unreadable > 0)));
  for (const c of isoBad) {
    log(`BROKEN: isolation ${c.condition}: ${c.victim.count} victim samples, ${c.victimErrors} errors ${c.victimFirstError ?? ''}; ` +
      `flood sent ${c.flood?.sent ?? '-'}, got ${c.flood?.replies ?? '-'} replies, ${c.flood?.unreadable ?? '-'} unreadable ${c.flood?.firstError ?? ''}`);
  }
  // Fan-out: a point that could not run, a path that delivered nothing or saw errors, a probe
  // where not every subscriber got its record, idle sockets that did not all subscribe.
  const fan = r.fanout;
  const measured = (p: NonNullable<typeof fan>['points'][number]): Array<FanoutModeResult | undefined> => r.options.fanout.modes.map((m) => p[m]);
  const fanBad = (fan?.points ?? []).filter((p) => p.error !== undefined || measured(p).some((m) => m === undefined || m.deliveries === 0 || m.errors > 0 || m.gaps > 0 || m.duplicates > 0));
  for (const p of fanBad) {
    log(`BROKEN: fanout ${p.topic} x${p.clients}: ${p.error ?? measured(p).map((m) => `${m?.mode ?? '?'} ${m?.deliveries ?? 0} deliveries, ${m?.errors ?? '?'} errors, ${m?.gaps ?? '?'} gaps, ${m?.duplicates ?? '?'} repeats ${m?.firstError ?? ''}`).join('; ')}`);
  }
  const produce = [...(r.produce?.points ?? []), ...(r.produce?.paced ?? [])].filter((p) => p.errors > 0 || p.records === 0);
  for (const p of produce) log(`BROKEN: produce ${p.impl} x${p.clients}${p.periodMs > 0 ? ' paced' : ''}: ${p.records} records, ${p.errors} errors ${p.firstError ?? ''}`);
  const silenceBad = fan?.silence?.error !== undefined;
  if (silenceBad) log(`BROKEN: fanout silence probe: ${fan?.silence?.error ?? ''}`);
  const idleBad = fan?.idle !== undefined && (fan.idle.failed > 0 || fan.idle.subscribed !== fan.idle.sockets);
  if (idleBad) log(`BROKEN: fanout idle sockets: ${fan?.idle?.subscribed} of ${fan?.idle?.sockets} subscribed ${fan?.idle?.firstError ?? ''}`);
  const up = (r.upgrades?.conditions ?? []).filter((c) => c.errors > 0 || c.upgrades === 0 || c.rejectedSockets > 0 || c.authFailures > 0);
  for (const c of up) log(`BROKEN: upgrades ${c.route}: ${c.upgrades} upgrades, ${c.errors} errors ${c.firstError ?? ''}, ${c.rejectedSockets} sockets and ${c.authFailures} tokens refused`);
  const authz = (r.authz?.topics ?? []).filter((t) => t.open.errors + t.authz.errors > 0 || t.open.messagesPerSec === 0 || t.authz.messagesPerSec === 0);
  for (const t of authz) log(`BROKEN: authz ${t.topic}: ${t.open.errors + t.authz.errors} errors ${t.authz.firstError ?? t.open.firstError ?? ''}`);
  return bad.length === 0 && !latBad && !fpBad && isoBad.length === 0 && fanBad.length === 0 && !silenceBad && !idleBad && up.length === 0 && authz.length === 0 && produce.length === 0;
}

/**
 * Which proxy build ran: its checkout and commit, marked when src/ has changes not committed (a
 * run against an older build, --proxy-root, says so in its result).
 */
function build(dir: string): { root: string; commit: string } {
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  try {
    return { root: dir, commit: `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') === '' ? '' : ' with src/ changes'}` };
  } catch {
    return { root: dir, commit: 'unknown' };
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  log(`failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
