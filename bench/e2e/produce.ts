/**
 * Produce (issue 19): records acknowledged per second through the proxy, from K WebSockets each
 * keeping N commands in flight, against producing directly from Node with K send loops sharing
 * one producer: ours (the proxy's own Producer), KafkaJS and @platformatic/kafka. Then an offered
 * load (issue 19: half of 250,000 records/s) through the proxy and directly with ours, for the
 * acknowledgement latency a client sees when the system is not saturated. For proxy points the
 * proxy's CPU time and event-loop delay are sampled at the client's window edges, as throughput.ts does.
 */
import { ROUTES, type Bench } from './context.js';
import type { DirectName } from './direct-clients.js';
import { Histogram, percentiles, type Percentiles } from './histogram.js';
import type { LoopResult, ProduceSpec } from './ipc.js';
import type { Impl } from './options.js';
import { measure, type ProxySample } from './throughput.js';
import { sleep } from './window.js';

export interface ProduceTopic {
  name: string;
  partitions: number;
  /** Topic configs: it grows on every run, so its size is capped. */
  configs: Record<string, string>;
}

/** The topic every produce point writes to (4 partitions, as the throughput topics). */
export function produceTopic(smoke: boolean): ProduceTopic {
  return {
    name: smoke ? 'bench-smoke-produce' : 'bench-produce',
    partitions: smoke ? 2 : 4,
    // A full run writes a few GB; keep about 256 MiB per partition, in 64 MiB segments.
    configs: { 'retention.bytes': String(256 * 1024 * 1024), 'segment.bytes': String(64 * 1024 * 1024) },
  };
}

export interface ProducePoint {
  impl: Impl;
  clients: number;
  /** 0: closed loops; else one command per client every periodMs. */
  periodMs: number;
  /** Records/s offered by a paced point (clients × batch / period). */
  offeredPerSec?: number;
  /** Records acknowledged per second. */
  recordsPerSec: number;
  /** Key + value bytes acknowledged per second, 1 MB = 10^6 B. */
  mbPerSec: number;
  records: number;
  /** Commands (or send calls) answered. */
  commands: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** From sending a command to its acknowledgement, as the client saw it. */
  latency: Percentiles;
  /** CPU of the client process per million records (the WebSocket clients for `proxy`). */
  clientCpuSecPerMillion: number;
  proxy?: ProxySample;
}

export interface ProduceResult {
  topic: string;
  partitions: number;
  route: string;
  batch: number;
  inFlight: number;
  valueBytes: number;
  keyBytes: number;
  points: ProducePoint[];
  /** The offered load, through the proxy and with ours directly. */
  paced: ProducePoint[];
}

function point(impl: Impl, spec: ProduceSpec, r: LoopResult, proxy: ProxySample | undefined): ProducePoint {
  const sec = r.elapsedMs / 1000;
  return {
    impl, clients: spec.clients, periodMs: spec.periodMs,
    ...(spec.periodMs > 0 ? { offeredPerSec: (spec.clients * spec.batch * 1000) / spec.periodMs } : {}),
    recordsPerSec: r.messages / sec,
    mbPerSec: r.payloadBytes / sec / 1e6,
    records: r.messages,
    commands: r.replies,
    errors: r.errors,
    ...(r.firstError !== undefined ? { firstError: r.firstError } : {}),
    elapsedMs: r.elapsedMs,
    latency: percentiles(Histogram.from(r.latency)),
    clientCpuSecPerMillion: r.messages === 0 ? NaN : (r.cpuMs / 1000 / r.messages) * 1e6,
    ...(proxy !== undefined ? { proxy } : {}),
  };
}

async function one(b: Bench, impl: Impl, spec: Omit<ProduceSpec, 'target'>): Promise<ProducePoint> {
  const full: ProduceSpec = { ...spec, target: impl === 'proxy' ? b.proxy.ws(ROUTES.produce) : b.bootstrap };
  const worker = impl === 'proxy' ? b.ws : b.direct.get(impl as DirectName)!;
  const { r, proxy } = await measureProduce(b, impl, full, worker);
  const p = point(impl, full, r, proxy);
  b.log(`produce ${impl} x${spec.clients}${spec.periodMs > 0 ? ` paced (${Math.round(p.offeredPerSec ?? 0).toLocaleString('en-US')} records/s offered)` : ''}: ` +
    `${Math.round(p.recordsPerSec).toLocaleString('en-US')} records/s, ${p.mbPerSec.toFixed(1)} MB/s, ack p50 ${p.latency.p50Ms} ms p99 ${p.latency.p99Ms} ms` +
    `${p.proxy !== undefined ? `, proxy ${p.proxy.cpuSecPerMillion.toFixed(2)} CPU s / M records` : ''}${p.errors > 0 ? `, ${p.errors} errors (${p.firstError ?? ''})` : ''}`);
  return p;
}

/** measure() of throughput.ts takes a fetch LoopSpec; the window protocol is the same, the command differs. */
function measureProduce(b: Bench, impl: Impl, spec: ProduceSpec, worker: Bench['ws']): Promise<{ r: LoopResult; proxy?: ProxySample }> {
  return measure(b, worker, spec, impl === 'proxy', 'produce');
}

export async function runProduce(b: Bench): Promise<ProduceResult> {
  const o = b.opts.produce;
  const topic = produceTopic(b.opts.smoke);
  const base = { topic: topic.name, batch: o.batch, valueBytes: o.valueBytes, inFlight: o.inFlight, warmupMs: o.warmupMs, durationMs: o.durationMs };
  const points: ProducePoint[] = [];
  let round = 0;
  for (const clients of o.clients) {
    // The first implementation of a point rotates, as in the throughput phase.
    const impls = o.impls.map((_, i, a) => a[(i + round) % a.length]!);
    round++;
    for (const impl of impls) {
      points.push(await one(b, impl, { ...base, clients, periodMs: 0 }));
      await sleep(b.opts.pauseMs);
    }
  }
  // The offered load: each of paceClients clients sends one command every periodMs.
  const periodMs = Math.max(1, Math.round((o.paceClients * o.batch * 1000) / o.paceRecordsPerSec));
  const paced: ProducePoint[] = [];
  for (const impl of (['proxy', 'ours'] as const).filter((i) => o.impls.includes(i))) {
    paced.push(await one(b, impl, { ...base, clients: o.paceClients, periodMs, inFlight: 1 }));
    await sleep(b.opts.pauseMs);
  }
  return {
    topic: topic.name, partitions: topic.partitions, route: ROUTES.produce, batch: o.batch, inFlight: o.inFlight, valueBytes: o.valueBytes, keyBytes: 10, points, paced,
  };
}
