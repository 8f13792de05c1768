/**
 * A client process holding WebSocket clients of the proxy (the `ws` package, as a Node client
 * would; browsers are not scriptable at 1,000 sockets on this machine). Commands come from run.ts
 * over IPC (ipc.ts):
 *
 *   loop  K clients, each a fetch loop over its partition: send cmd_kafka_fetch, wait for the reply,
 *         continue from the last message + 1, back to the start at the high watermark.
 *   produce K clients, each keeping N cmd_produce in flight (or one every period), counting the
 *         records acknowledged.
 *   idle  open N connections and hold them (footprint); close drops them.
 *   tail  one client long-polling a partition, measuring produce-to-client latency.
 *   flood one hostile client (pipelined fetches or fuzzed frames, flood.ts) until flood-stop.
 *   fanout-open, -start, -live, -measure, -stop, -close
 *         many subscribers or long-polling consumers on the same sockets (fanout-clients.ts).
 *
 * Replies are walked with frames.ts (count and bytes, no objects), so this process costs as little
 * CPU as a client can, leaving the machine's two cores to the proxy and the broker.
 */
import { WebSocket } from 'ws';
import { fanoutClose, fanoutLive, fanoutMeasure, fanoutOpen, fanoutStart, fanoutStop } from './fanout-clients.js';
import { runFlood, stopFlood } from './flood.js';
import { encodeFetch, encodeProduce, encodeProduceRecords, scanReply, topicBytes } from './frames.js';
import { Histogram } from './histogram.js';
import {
  epochMicros, Pacer, produceRecords, serveCommands, startOffset, type Assignment, type IdleResult, type IdleSpec, type LoopResult, type LoopSpec, type ProduceSpec,
  type TailResult, type TailSpec,
} from './ipc.js';
import { sleep, Window } from './window.js';
import { close, open, openMany } from './ws-open.js';

const OPEN_PARALLEL = 100;
const ERROR_BACKOFF_MS = 10;

function fetchLoop(ws: WebSocket, a: Assignment, i: number, clients: number, periodMs: number, w: Window): Promise<void> {
  return new Promise((resolve) => {
    const topic = topicBytes(a.topic);
    let offset = startOffset(a, i, clients);
    let sequence = 0;
    let sentAt = 0;
    const pacer = new Pacer(periodMs, performance.now() + (i / clients) * periodMs);
    const send = (): void => {
      if (w.stopped || ws.readyState !== WebSocket.OPEN) {
        resolve();
        return;
      }
      sentAt = performance.now();
      ws.send(encodeFetch(++sequence, topic, a.partition, offset));
    };
    ws.on('message', (data: Buffer) => {
      const s = scanReply(data);
      if (s.kind !== 'fetch') {
        w.error(s.error !== '' ? s.error : `unexpected ${s.kind} reply`);
        setTimeout(send, ERROR_BACKOFF_MS);
        return;
      }
      w.reply(sentAt, s.messages, s.payloadBytes);
      offset = s.messages > 0 ? s.lastOffset + 1 : a.start;
      if (offset >= a.end) offset = a.start;
      const wait = pacer.wait();
      if (wait > 0) setTimeout(send, wait);
      else send();
    });
    ws.once('close', () => resolve());
    // Paced clients start spread over one period instead of all at once.
    if (periodMs > 0) setTimeout(send, (i / clients) * periodMs);
    else send();
  });
}

async function loop(spec: LoopSpec): Promise<LoopResult> {
  const { sockets, failed, firstError } = await openMany(spec.target, spec.clients, OPEN_PARALLEL, { tokens: spec.tokens });
  if (failed > 0) {
    for (const ws of sockets) ws.terminate();
    throw new Error(`${failed} of ${spec.clients} WebSockets failed to open: ${firstError ?? ''}`);
  }
  const w = new Window();
  const loops = sockets.map((ws, i) => fetchLoop(ws, spec.assignments[i % spec.assignments.length]!, i, spec.clients, spec.periodMs, w));
  const result = await w.run(spec.warmupMs, spec.durationMs, spec.clients, loops);
  await closeAll(sockets);
  return result;
}

/**
 * One WebSocket producing: `inFlight` commands at a time (replies come in order, so their send
 * times wait in a queue), each carrying the client's records and a fresh idempotency key, as the
 * SDK sends them. Resolves once stopped and every command sent has been answered.
 */
function produceLoop(ws: WebSocket, spec: ProduceSpec, i: number, w: Window): Promise<void> {
  return new Promise((resolve) => {
    const topic = topicBytes(spec.topic);
    const plain = produceRecords(i, spec.batch, spec.valueBytes);
    const recordBytes = plain[0]!.key.length + plain[0]!.value.length;
    const records = encodeProduceRecords(plain);
    const sentAt: number[] = [];
    let sequence = 0;
    const pacer = new Pacer(spec.periodMs, performance.now() + (i / spec.clients) * spec.periodMs);
    const send = (): void => {
      if (w.stopped || ws.readyState !== WebSocket.OPEN) {
        if (sentAt.length === 0) resolve();
        return;
      }
      sentAt.push(performance.now());
      sequence++;
      ws.send(encodeProduce(sequence, topic, records, `c${i}-${sequence}`));
    };
    ws.on('message', (data: Buffer) => {
      const s = scanReply(data);
      const at = sentAt.shift() ?? performance.now();
      if (s.kind !== 'produce') w.error(s.error !== '' ? s.error : `unexpected ${s.kind} reply`);
      else {
        w.reply(at, s.messages, s.messages * recordBytes);
        if (s.failed > 0) w.error(`${s.failed} records failed: ${s.error}`);
      }
      const wait = pacer.wait();
      if (wait > 0) setTimeout(send, wait);
      else send();
    });
    ws.once('close', () => resolve());
    if (spec.periodMs > 0) setTimeout(send, (i / spec.clients) * spec.periodMs);
    else for (let k = 0; k < spec.inFlight; k++) send();
  });
}

async function produce(spec: ProduceSpec): Promise<LoopResult> {
  const { sockets, failed, firstError } = await openMany(spec.target, spec.clients, OPEN_PARALLEL);
  if (failed > 0) {
    for (const ws of sockets) ws.terminate();
    throw new Error(`${failed} of ${spec.clients} WebSockets failed to open: ${firstError ?? ''}`);
  }
  const w = new Window();
  const loops = sockets.map((ws, i) => produceLoop(ws, spec, i, w));
  const result = await w.run(spec.warmupMs, spec.durationMs, spec.clients, loops);
  await closeAll(sockets);
  return result;
}

/** Closes with the WebSocket handshake, so the proxy sees ordinary closes; terminates stragglers. */
async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => close(ws)));
}

let idle: WebSocket[] = [];

async function openIdle(spec: IdleSpec): Promise<IdleResult> {
  const started = performance.now();
  const r = await openMany(spec.url, spec.connections, spec.parallel);
  idle.push(...r.sockets);
  return { opened: r.sockets.length, failed: r.failed, ...(r.firstError !== undefined ? { firstError: r.firstError } : {}), elapsedMs: performance.now() - started };
}

/**
 * Long-polls one partition (the route waits for data: min_bytes 1) and, for every message, takes
 * arrival minus the epoch microseconds the producer wrote as its value.
 */
async function tail(spec: TailSpec): Promise<TailResult> {
  const ws = await open(spec.target);
  const latency = new Histogram();
  const topic = topicBytes(spec.topic);
  let offset = spec.from;
  let received = 0;
  let sequence = 0;
  const deadline = performance.now() + spec.timeoutMs;
  await new Promise<void>((resolve, reject) => {
    const send = (): void => {
      if (received >= spec.count || performance.now() > deadline) {
        resolve();
        return;
      }
      ws.send(encodeFetch(++sequence, topic, spec.partition, offset));
    };
    ws.on('message', (data: Buffer) => {
      const now = epochMicros();
      const s = scanReply(data, (b, start, end) => {
        latency.record(now - Number(b.toString('latin1', start, end)));
        received++;
      });
      if (s.kind !== 'fetch') return reject(new Error(`tail: ${s.error !== '' ? s.error : s.kind}`));
      if (s.messages > 0) offset = s.lastOffset + 1;
      send();
    });
    ws.once('close', () => resolve());
    send();
  });
  ws.terminate();
  return { received, latency: latency.toJSON() };
}

serveCommands(async (c) => {
  switch (c.cmd) {
    case 'loop':
      return loop(c.spec);
    case 'produce':
      return produce(c.spec);
    case 'idle':
      return openIdle(c.spec);
    case 'close': {
      const all = idle;
      idle = [];
      for (const ws of all) ws.terminate();
      await sleep(100);
      return { closed: all.length };
    }
    case 'tail':
      return tail(c.spec);
    case 'flood':
      return runFlood(c.spec);
    case 'flood-stop':
      stopFlood();
      return { stopped: true };
    case 'fanout-open':
      return fanoutOpen(c.spec);
    case 'fanout-start':
      return fanoutStart(c.spec);
    case 'fanout-live':
      return fanoutLive(c.timeoutMs);
    case 'fanout-measure':
      return fanoutMeasure(c.durationMs);
    case 'fanout-stop':
      return fanoutStop(c.drainTimeoutMs);
    case 'fanout-close':
      return fanoutClose();
    default:
      throw new Error(`ws-worker: no ${c.cmd} command`);
  }
});
