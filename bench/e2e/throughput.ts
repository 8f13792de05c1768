/**
 * Throughput: K concurrent fetch loops over a topic's partitions, through the proxy (WebSocket
 * clients in ws-worker.ts) and directly (direct-worker.ts: ours, KafkaJS, @platformatic/kafka),
 * for every client count, in one run. For proxy points the proxy's CPU time and event-loop delay
 * are sampled exactly at the client's window edges (the worker signals them).
 */
import * as zlib from 'node:zlib';
import { ROUTES, type Bench } from './context.js';
import type { DirectName } from './direct-clients.js';
import { Histogram, percentiles, type Percentiles } from './histogram.js';
import type { Assignment, LoopResult, LoopSpec, ProduceSpec, WorkerHandle } from './ipc.js';
import type { Impl } from './options.js';
import type { TopicSpec } from './seed.js';
import { sleep } from './window.js';

export interface ProxySample {
  cpuSec: number;
  /** Proxy CPU seconds per million messages delivered. */
  cpuSecPerMillion: number;
  eventLoopP50Ms: number;
  eventLoopP99Ms: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface ThroughputPoint {
  topic: string;
  impl: Impl;
  clients: number;
  messagesPerSec: number;
  /** Key + value bytes per second, 1 MB = 10^6 B. */
  mbPerSec: number;
  messages: number;
  replies: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Round trip of one fetch as the client saw it. */
  latency: Percentiles;
  /** CPU of the client process per million messages (the WebSocket clients for `proxy`). */
  clientCpuSecPerMillion: number;
  proxy?: ProxySample;
  /** Why this point was not measured. */
  na?: string;
}

/** Peers that cannot read a topic at all, and why (as bench/decode.ts reports them). */
function notApplicable(impl: Impl, t: TopicSpec): string | undefined {
  if (impl === 'kafkajs' && t.codec === 'lz4') return 'no built-in LZ4 codec (needs the kafkajs-lz4 plugin)';
  if (impl === 'kafkajs' && t.codec === 'zstd') return 'no built-in ZSTD codec (needs a plugin)';
  // It decompresses with node:zlib's zstd, which Node 20 does not have.
  if (impl === 'platformatic' && t.codec === 'zstd' && !('zstdDecompressSync' in zlib)) return 'zstd needs node:zlib\'s zstd (Node 22.15+)';
  return undefined;
}

export function assignments(t: TopicSpec): Assignment[] {
  return Array.from({ length: t.partitions }, (_, p) => ({ topic: t.name, partition: p, start: 0, end: t.perPartition }));
}

function perMillion(seconds: number, messages: number): number {
  return messages === 0 ? NaN : (seconds / messages) * 1e6;
}

/**
 * Runs one loop on `worker` (fetch loops, or produce loops with `cmd` 'produce'); for the proxy,
 * samples its CPU and metrics at the window edges.
 */
export async function measure(b: Bench, worker: WorkerHandle, spec: LoopSpec | ProduceSpec, sampleProxy: boolean, cmd: 'loop' | 'produce' = 'loop'): Promise<{ r: LoopResult; proxy?: ProxySample }> {
  const run = (): Promise<LoopResult> => (cmd === 'loop' ? worker.request<LoopResult>({ cmd, spec: spec as LoopSpec }) : worker.request<LoopResult>({ cmd, spec: spec as ProduceSpec }));
  if (!sampleProxy) return { r: await run() };
  let cpu0 = NaN;
  let cpu1 = NaN;
  let end: Promise<Map<string, number>> | undefined;
  worker.onEvent = (e) => {
    if (e === 'window-start') {
      cpu0 = b.proxy.cpuSeconds();
      // A scrape resets the proxy's event-loop delay histogram: the one at the end covers the window.
      void b.proxy.metrics().catch(() => undefined);
    } else {
      cpu1 = b.proxy.cpuSeconds();
      end = b.proxy.metrics();
    }
  };
  try {
    const r = await run();
    const m = (await end) ?? new Map<string, number>();
    const cpuSec = cpu1 - cpu0;
    return {
      r,
      proxy: {
        cpuSec,
        cpuSecPerMillion: perMillion(cpuSec, r.messages),
        eventLoopP50Ms: (m.get('nodejs_eventloop_delay_seconds{quantile="0.5"}') ?? NaN) * 1000,
        eventLoopP99Ms: (m.get('nodejs_eventloop_delay_seconds{quantile="0.99"}') ?? NaN) * 1000,
        rssBytes: m.get('process_resident_memory_bytes') ?? NaN,
        heapUsedBytes: m.get('nodejs_heap_used_bytes') ?? NaN,
      },
    };
  } finally {
    worker.onEvent = undefined;
  }
}

function point(topic: string, impl: Impl, clients: number, r: LoopResult, proxy: ProxySample | undefined): ThroughputPoint {
  const sec = r.elapsedMs / 1000;
  return {
    topic, impl, clients,
    messagesPerSec: r.messages / sec,
    mbPerSec: r.payloadBytes / sec / 1e6,
    messages: r.messages,
    replies: r.replies,
    errors: r.errors,
    ...(r.firstError !== undefined ? { firstError: r.firstError } : {}),
    elapsedMs: r.elapsedMs,
    latency: percentiles(Histogram.from(r.latency)),
    clientCpuSecPerMillion: perMillion(r.cpuMs / 1000, r.messages),
    ...(proxy !== undefined ? { proxy } : {}),
  };
}

export async function runThroughput(b: Bench, topics: readonly TopicSpec[]): Promise<ThroughputPoint[]> {
  const out: ThroughputPoint[] = [];
  let round = 0;
  for (const t of topics) {
    for (const clients of b.opts.clients) {
      // The first implementation of a point rotates, so slow drift (page cache, JIT, other load on
      // the machine) does not always favour the same one.
      const impls = b.opts.impls.map((_, i, a) => a[(i + round) % a.length]!);
      round++;
      for (const impl of impls) {
        const na = notApplicable(impl, t);
        if (na !== undefined) {
          out.push({ ...point(t.name, impl, clients, emptyResult(clients), undefined), na });
          continue;
        }
        const spec: LoopSpec = {
          target: impl === 'proxy' ? b.proxy.ws(ROUTES.bulk) : b.bootstrap,
          clients, assignments: assignments(t), warmupMs: b.opts.warmupMs, durationMs: b.opts.durationMs,
          maxBytes: b.opts.maxBytes, periodMs: 0,
        };
        const worker = impl === 'proxy' ? b.ws : b.direct.get(impl as DirectName)!;
        const { r, proxy } = await measure(b, worker, spec, impl === 'proxy');
        const p = point(t.name, impl, clients, r, proxy);
        out.push(p);
        b.log(`throughput ${t.name} ${impl} x${clients}: ${Math.round(p.messagesPerSec).toLocaleString('en-US')} msg/s, ${p.mbPerSec.toFixed(1)} MB/s, p99 ${p.latency.p99Ms} ms${p.errors > 0 ? `, ${p.errors} errors (${p.firstError ?? ''})` : ''}`);
        await sleep(b.opts.pauseMs);
      }
    }
  }
  return out;
}

function emptyResult(clients: number): LoopResult {
  return { clients, messages: 0, payloadBytes: 0, replies: 0, errors: 0, elapsedMs: 1, latency: new Histogram().toJSON(), cpuMs: 0 };
}
