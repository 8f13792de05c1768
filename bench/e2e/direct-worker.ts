/**
 * A client process consuming directly from the broker with one Kafka client (argv[2]: ours,
 * kafkajs or platformatic; see direct-clients.ts), for the proxy's numbers to be compared with.
 * Commands from run.ts over IPC (ipc.ts):
 *
 *   loop  K fetch loops sharing the one client, exactly the loops ws-worker.ts runs through the proxy.
 *   tail  long-poll a partition, measuring produce-to-client latency (ours only).
 *   produce K send loops sharing the one client's producer, each keeping N sends of the same
 *         records in flight (or one every period) as ws-worker.ts's produce loops do through the proxy.
 */
import { createDirectClient, type DirectClient, type DirectName, type FetchCount } from './direct-clients.js';
import { Histogram } from './histogram.js';
import {
  epochMicros, Pacer, produceRecords, serveCommands, startOffset, type Assignment, type LoopResult, type LoopSpec, type ProduceSpec, type TailResult, type TailSpec,
} from './ipc.js';
import { sleep, Window } from './window.js';

const name = process.argv[2] as DirectName;
const bootstrap = process.argv[3]!;
const kafkaConnections = Number(process.argv[4] ?? 1);
const ERROR_BACKOFF_MS = 10;

let client: DirectClient | undefined;
const prepared = new Set<string>();

async function clientFor(topics: readonly string[]): Promise<DirectClient> {
  client ??= await createDirectClient(name, bootstrap, kafkaConnections);
  const fresh = topics.filter((t) => !prepared.has(t));
  if (fresh.length > 0) {
    await client.prepare(fresh);
    for (const t of fresh) prepared.add(t);
  }
  return client;
}

async function fetchLoop(c: DirectClient, a: Assignment, i: number, clients: number, spec: LoopSpec, w: Window): Promise<void> {
  const out: FetchCount = { messages: 0, payloadBytes: 0, lastOffset: -1 };
  const { maxBytes, periodMs } = spec;
  let offset = startOffset(a, i, clients);
  // Paced clients start spread over one period instead of all at once.
  const pacer = new Pacer(periodMs, performance.now() + (i / clients) * periodMs);
  if (periodMs > 0) await sleep((i / clients) * periodMs);
  while (!w.stopped) {
    const sentAt = performance.now();
    try {
      await c.fetch(a.topic, a.partition, offset, maxBytes, out);
    } catch (e) {
      w.error((e as Error).message);
      await sleep(ERROR_BACKOFF_MS);
      continue;
    }
    w.reply(sentAt, out.messages, out.payloadBytes);
    offset = out.messages > 0 ? out.lastOffset + 1 : a.start;
    if (offset >= a.end) offset = a.start;
    const wait = pacer.wait();
    if (wait > 0) await sleep(wait);
  }
}

async function loop(spec: LoopSpec): Promise<LoopResult> {
  const c = await clientFor([...new Set(spec.assignments.map((a) => a.topic))]);
  const w = new Window();
  const loops = Array.from({ length: spec.clients }, (_, i) => fetchLoop(c, spec.assignments[i % spec.assignments.length]!, i, spec.clients, spec, w));
  return w.run(spec.warmupMs, spec.durationMs, spec.clients, loops);
}

async function produceLoop(c: DirectClient, spec: ProduceSpec, i: number, w: Window): Promise<void> {
  const records = produceRecords(i, spec.batch, spec.valueBytes);
  const recordBytes = records[0]!.key.length + records[0]!.value.length;
  const lanes = spec.periodMs > 0 ? 1 : spec.inFlight;
  const pacer = new Pacer(spec.periodMs, performance.now() + (i / spec.clients) * spec.periodMs);
  if (spec.periodMs > 0) await sleep((i / spec.clients) * spec.periodMs);
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (!w.stopped) {
      const sentAt = performance.now();
      try {
        const r = await c.produce(spec.topic, records);
        w.reply(sentAt, r.acked, r.acked * recordBytes);
        if (r.error !== undefined) w.error(r.error);
      } catch (e) {
        w.error((e as Error).message);
        await sleep(ERROR_BACKOFF_MS);
        continue;
      }
      const wait = pacer.wait();
      if (wait > 0) await sleep(wait);
    }
  }));
}

async function produce(spec: ProduceSpec): Promise<LoopResult> {
  const c = await clientFor([spec.topic]);
  await c.prepareProducer(spec.topic);
  const w = new Window();
  const loops = Array.from({ length: spec.clients }, (_, i) => produceLoop(c, spec, i, w));
  return w.run(spec.warmupMs, spec.durationMs, spec.clients, loops);
}

async function tail(spec: TailSpec): Promise<TailResult> {
  const c = await clientFor([spec.topic]);
  if (c.poll === undefined) throw new Error(`${name} has no long-poll client here`);
  const latency = new Histogram();
  let offset = spec.from;
  let received = 0;
  const deadline = performance.now() + spec.timeoutMs;
  while (received < spec.count && performance.now() < deadline) {
    let now = 0;
    offset = await c.poll(spec.topic, spec.partition, offset, 500, (v) => {
      if (now === 0) now = epochMicros();
      latency.record(now - Number(v.toString('latin1')));
      received++;
    });
  }
  return { received, latency: latency.toJSON() };
}

serveCommands(async (c) => {
  switch (c.cmd) {
    case 'loop':
      return loop(c.spec);
    case 'tail':
      return tail(c.spec);
    case 'produce':
      return produce(c.spec);
    default:
      throw new Error(`direct-worker: no ${c.cmd} command`);
  }
});
