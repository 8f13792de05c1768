/**
 * Memory per idle WebSocket connection: a fresh proxy process (the CLI, file-descriptor limit
 * raised), N connections opened from several client processes and held, the proxy's RSS and V8
 * heap read from its /metrics before and after. Per connection = difference / N. The "before"
 * sample is taken after a warm-up wave of connections has come and gone, so lazily built state
 * (the route's Kafka client, JIT code) is not charged to the idle connections.
 */
import { ROUTES, type Bench } from './context.js';
import { WorkerHandle, type IdleResult } from './ipc.js';
import { ProxyServer } from './proxy-server.js';
import { sleep } from './window.js';

export interface FootprintResult {
  connections: number;
  opened: number;
  failed: number;
  firstError?: string;
  /** What the proxy's /readyz counted while they were held. */
  proxyConnections: number;
  openSeconds: number;
  clientProcesses: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
}

const WARM_UP_CONNECTIONS = 100;

/** Median of three samples a little apart: one scrape can land in the middle of a GC. */
async function memory(p: ProxyServer): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await p.metrics();
    rss.push(m.get('process_resident_memory_bytes') ?? NaN);
    heap.push(m.get('nodejs_heap_used_bytes') ?? NaN);
    await sleep(300);
  }
  const mid = (a: number[]): number => a.sort((x, y) => x - y)[1]!;
  return { rss: mid(rss), heap: mid(heap) };
}

export async function runFootprint(b: Bench, wsWorkerScript: string): Promise<FootprintResult> {
  const { connections, workers: n } = b.opts.footprint;
  // Every idle connection comes from 127.0.0.1: past the default cap of 1,024 per address.
  const proxy = await ProxyServer.start({ root: b.proxyRoot, maxConnections: connections + 1000, kafkaConnections: b.opts.kafkaConnections, maxSocketsPerAddress: 0 });
  const workers = Array.from({ length: n }, (_, i) => WorkerHandle.start(`idle-worker-${i}`, wsWorkerScript));
  try {
    await proxy.route('idle', ROUTES.idle, b.bootstrap);
    const url = proxy.ws(ROUTES.idle);
    await workers[0]!.request<IdleResult>({ cmd: 'idle', spec: { url, connections: WARM_UP_CONNECTIONS, parallel: 50 } });
    await workers[0]!.request({ cmd: 'close' });
    await sleep(b.opts.footprint.settleMs);
    const before = await memory(proxy);
    const started = performance.now();
    const per = Math.ceil(connections / n);
    const results = await Promise.all(workers.map((w, i) => w.request<IdleResult>({
      cmd: 'idle', spec: { url, connections: Math.max(0, Math.min(per, connections - i * per)), parallel: 50 },
    })));
    const openSeconds = (performance.now() - started) / 1000;
    await sleep(b.opts.footprint.settleMs);
    const after = await memory(proxy);
    const proxyConnections = await proxy.connections();
    const opened = results.reduce((s, r) => s + r.opened, 0);
    const failed = results.reduce((s, r) => s + r.failed, 0);
    const firstError = results.find((r) => r.firstError !== undefined)?.firstError;
    const r: FootprintResult = {
      connections, opened, failed, ...(firstError !== undefined ? { firstError } : {}), proxyConnections, openSeconds, clientProcesses: n,
      rssBeforeBytes: before.rss, rssAfterBytes: after.rss, heapBeforeBytes: before.heap, heapAfterBytes: after.heap,
      rssPerConnectionBytes: (after.rss - before.rss) / Math.max(1, opened),
      heapPerConnectionBytes: (after.heap - before.heap) / Math.max(1, opened),
    };
    b.log(`footprint: ${opened}/${connections} open (${failed} failed) in ${openSeconds.toFixed(1)} s; ` +
      `${(r.rssPerConnectionBytes / 1024).toFixed(1)} KiB RSS and ${(r.heapPerConnectionBytes / 1024).toFixed(1)} KiB heap per connection`);
    await Promise.all(workers.map((w) => w.request({ cmd: 'close' })));
    return r;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await proxy.stop();
  }
}
