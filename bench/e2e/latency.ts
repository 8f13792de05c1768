/**
 * Latency of one command, through the proxy and made directly to the broker by our client (the
 * client the proxy itself uses, so the difference is what the proxy adds), at light load (one
 * client, one fetch at a time) and heavy load (many clients at a fixed offered rate). Then
 * produce-to-client latency: Kafka's Java producer writes its wall clock into each value and a
 * long-polling client takes the difference on arrival.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KafkaClient } from '../../src/kafka-wire/index.js';
import { ROUTES, type Bench } from './context.js';
import { Histogram, percentiles, type Percentiles } from './histogram.js';
import type { LoopSpec, TailResult, TailSpec } from './ipc.js';
import { assignments, measure } from './throughput.js';
import { TAIL_TOPIC, type TopicSpec } from './seed.js';
import { sleep } from './window.js';

export interface LatencyLoad {
  clients: number;
  /** 0: closed loop (one fetch at a time per client); else one fetch per client every periodMs. */
  periodMs: number;
  proxy: Percentiles;
  direct: Percentiles;
  /** Proxy minus direct at each percentile over all rounds, ms. */
  added: { p50Ms: number; p99Ms: number; p999Ms: number };
  /** The same p99 difference within each round: how much it moves. */
  roundAddedP99Ms?: number[];
  errors: number;
  /** The highest of the rounds' proxy event-loop delay p99. */
  proxyEventLoopP99Ms: number;
}

export interface ProduceToClient {
  count: number;
  intervalMs: number;
  producer: string;
  proxy?: Percentiles;
  direct?: Percentiles;
  error?: string;
}

export interface LatencyResult {
  topic: string;
  /** Fetch max_bytes of both paths. */
  maxBytes: number;
  loads: LatencyLoad[];
  produceToClient: ProduceToClient;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Each load runs in `rounds` rounds that alternate the two paths (the first one changes every
 * round), and each path's samples are merged over its rounds. Two single back-to-back windows gave
 * tails that moved by several milliseconds from run to run with the machine's other work (a
 * broker's GC, another process): alternating puts both paths under the same conditions.
 */
export async function runLatency(b: Bench, topic: TopicSpec): Promise<LatencyResult> {
  const o = b.opts.latency;
  const loads: LatencyLoad[] = [];
  for (const clients of o.clients) {
    const periodMs = clients === 1 ? 0 : o.heavyPeriodMs;
    const spec = (target: string, round: number): LoopSpec => ({
      target, clients, assignments: assignments(topic), warmupMs: round === 0 ? b.opts.warmupMs : Math.min(b.opts.warmupMs, 500),
      durationMs: o.durationMs, maxBytes: o.maxBytes, periodMs,
    });
    const proxyH = new Histogram();
    const directH = new Histogram();
    const roundAddedP99Ms: number[] = [];
    let errors = 0;
    let loopDelay = 0;
    for (let round = 0; round < o.rounds; round++) {
      const runDirect = async (): Promise<Histogram> => {
        const d = await measure(b, b.direct.get('ours')!, spec(b.bootstrap, round), false);
        errors += d.r.errors;
        return Histogram.from(d.r.latency);
      };
      const runProxy = async (): Promise<Histogram> => {
        const x = await measure(b, b.ws, spec(b.proxy.ws(ROUTES.small), round), true);
        errors += x.r.errors;
        loopDelay = Math.max(loopDelay, x.proxy?.eventLoopP99Ms ?? NaN);
        return Histogram.from(x.r.latency);
      };
      let d: Histogram;
      let x: Histogram;
      if (round % 2 === 0) {
        d = await runDirect();
        await sleep(b.opts.pauseMs);
        x = await runProxy();
      } else {
        x = await runProxy();
        await sleep(b.opts.pauseMs);
        d = await runDirect();
      }
      await sleep(b.opts.pauseMs);
      roundAddedP99Ms.push(round3(percentiles(x).p99Ms - percentiles(d).p99Ms));
      proxyH.merge(x.toJSON());
      directH.merge(d.toJSON());
    }
    const pp = percentiles(proxyH);
    const dp = percentiles(directH);
    const load: LatencyLoad = {
      clients, periodMs, proxy: pp, direct: dp,
      added: { p50Ms: round3(pp.p50Ms - dp.p50Ms), p99Ms: round3(pp.p99Ms - dp.p99Ms), p999Ms: round3(pp.p999Ms - dp.p999Ms) },
      roundAddedP99Ms,
      errors,
      proxyEventLoopP99Ms: loopDelay,
    };
    loads.push(load);
    b.log(`latency x${clients}${periodMs > 0 ? ` every ${periodMs} ms` : ''}, ${o.rounds} rounds: proxy p50/p99/p999 ${pp.p50Ms}/${pp.p99Ms}/${pp.p999Ms} ms, ` +
      `direct ${dp.p50Ms}/${dp.p99Ms}/${dp.p999Ms} ms; added p99 per round ${roundAddedP99Ms.join(', ')} ms`);
  }
  return { topic: topic.name, maxBytes: o.maxBytes, loads, produceToClient: await produceToClient(b) };
}

/**
 * Two tails (through the proxy, and our client directly) wait at the partition's end; then the
 * Java producer sends `count` records, one every `intervalMs`, each value its epoch microseconds.
 */
async function produceToClient(b: Bench): Promise<ProduceToClient> {
  const { tailCount: count, tailIntervalMs: intervalMs } = b.opts.latency;
  const result: ProduceToClient = { count, intervalMs, producer: 'Kafka Java KafkaProducer (acks=1, linger.ms=0)' };
  try {
    const client = new KafkaClient({ brokers: [b.bootstrap] });
    const from = Number((await client.listOffsets(TAIL_TOPIC, 0, -1n)).offset);
    client.close();
    const timeoutMs = count * intervalMs + 30_000;
    const spec = (target: string): TailSpec => ({ target, topic: TAIL_TOPIC, partition: 0, from, count, timeoutMs });
    const proxyTail = b.ws.request<TailResult>({ cmd: 'tail', spec: spec(b.proxy.ws(ROUTES.tail)) });
    const directTail = b.direct.get('ours')!.request<TailResult>({ cmd: 'tail', spec: spec(b.bootstrap) });
    // Both tails have their first long poll waiting well before the producer's JVM is up.
    await sleep(300);
    await runScript(b, 'produce-latency.sh', [b.line, TAIL_TOPIC, String(count), String(intervalMs)]);
    const [p, d] = await Promise.all([proxyTail, directTail]);
    if (p.received < count || d.received < count) throw new Error(`tail received ${p.received} (proxy) and ${d.received} (direct) of ${count}`);
    result.proxy = percentiles(Histogram.from(p.latency));
    result.direct = percentiles(Histogram.from(d.latency));
    b.log(`produce-to-client p50/p99: proxy ${result.proxy.p50Ms}/${result.proxy.p99Ms} ms, direct ${result.direct.p50Ms}/${result.direct.p99Ms} ms`);
  } catch (e) {
    result.error = (e as Error).message;
    b.log(`produce-to-client failed: ${result.error}`);
  }
  return result;
}

/** Runs scripts/kafka/<script>; rejects with its stderr on a non-zero exit. */
export function runScript(b: Bench, script: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(b.root, 'scripts/kafka', script), ...args], { cwd: b.root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} ${args.join(' ')} exited ${String(code)}: ${err.trim()}`))));
  });
}
