/**
 * The fan-out phase's clients (fanout.ts), inside a ws-worker process: many sockets, each either a
 * live subscriber or a long-polling consumer of the same topic, switched between the two on the
 * same sockets so both paths are measured with the same clients.
 *
 *   subscribe  cmd_subscribe to every partition from the end, with a credit window granted back
 *              as pushes are read, as the SDK's subscribe does (half the window at a time).
 *   poll       today's path: one cmd_kafka_fetch loop per partition, each sent again as soon as
 *              its reply is in, on a route that long-polls (min_bytes 1, max_wait_ms 500). The
 *              loops of one socket share it; replies come in request order.
 *
 * Every delivered message's value starts with the producer's epoch microseconds
 * (ProduceRate.java): its latency is arrival minus that, taken once per frame.
 */
import { WebSocket } from 'ws';
import { encodeCredit, encodeFetch, encodeSubscribe, encodeUnsubscribe, leadingNumber, scanReply, topicBytes, type Scan } from './frames.js';
import { Histogram } from './histogram.js';
import {
  epochMicros, type FanoutLiveResult, type FanoutOpenResult, type FanoutOpenSpec, type FanoutStartResult, type FanoutStartSpec, type FanoutStopResult, type FanoutWindowResult,
} from './ipc.js';
import { sleep } from './window.js';
import { openMany } from './ws-open.js';

const SUBSCRIPTION = 1;
/** Sequence of every cmd_credit: a reply carrying it is a refused grant. */
const CREDIT_SEQ = 3;
const ERROR_BACKOFF_MS = 10;
const ERROR_KINDS = 5;
/** How long a priming subscriber may wait for its first push. */
const PRIME_TIMEOUT_MS = 10_000;

/** The counters of the window in progress; a frame outside a window is handled but not counted. */
class FanWindow {
  measuring = false;
  deliveries = 0;
  frames = 0;
  emptyReplies = 0;
  bytes = 0;
  requests = 0;
  credits = 0;
  errors = 0;
  firstError: string | undefined;
  closes = 0;
  /** Frames whose first offset was past (gap) or before (duplicate) where the client's cursor stood. */
  gaps = 0;
  duplicates = 0;
  /** Error replies to cmd_credit (which is answered only when refused). */
  creditRefusals = 0;
  creditRefusal: string | undefined;
  latency = new Histogram();
  first = new Histogram();
  /** Per client: its first delivery of the window is recorded. */
  seen: Uint8Array;

  constructor(clients: number) {
    this.seen = new Uint8Array(clients);
  }

  reset(): void {
    this.deliveries = this.frames = this.emptyReplies = this.bytes = this.requests = this.credits = this.errors = this.closes = this.gaps = this.duplicates = this.creditRefusals = 0;
    this.firstError = this.creditRefusal = undefined;
    this.errorKinds = new Map();
    this.latency = new Histogram();
    this.first = new Histogram();
    this.seen.fill(0);
  }

  /** Errors by message (the first few distinct ones), to tell one failure from another. */
  errorKinds = new Map<string, number>();

  error(message: string): void {
    if (!this.measuring) return;
    this.errors++;
    this.firstError ??= message;
    const kind = message.slice(0, 100);
    if (this.errorKinds.has(kind) || this.errorKinds.size < ERROR_KINDS) this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
  }

  /** Checks that a frame continues its partition's cursor exactly. */
  order(expected: number, first: number): void {
    if (!this.measuring || expected < 0 || first === expected) return;
    if (first > expected) this.gaps++;
    else this.duplicates++;
  }
}

let win = new FanWindow(0);
let clients: FanClient[] = [];
/** Per client: a push (or a fetch reply with messages) arrived since the mode started. */
let live = new Uint8Array(0);
let liveCount = 0;
let onAllLive: (() => void) | undefined;

function markLive(i: number): void {
  if (live[i] !== 0) return;
  live[i] = 1;
  if (++liveCount === clients.length) onAllLive?.();
}
/** Arrival time of the frame being scanned, and its client: read by onValue (no closure per frame). */
let arrivalUs = 0;
let scanning = 0;

function onValue(b: Buffer, start: number, end: number): void {
  if (!win.measuring) return;
  const us = arrivalUs - leadingNumber(b, start, end);
  win.latency.record(us);
  if (win.seen[scanning] === 0) {
    win.seen[scanning] = 1;
    win.first.record(us);
  }
}

/** What a socket is doing now. */
interface Mode {
  onMessage(s: Scan, bytes: number): void;
  /** Resolves when the mode is over on this socket: the unsubscribe answered, or no poll outstanding. */
  stop(): Promise<void>;
  /** The proxy closed the socket: nothing more will come. */
  closed(): void;
}

class FanClient {
  readonly ws: WebSocket;
  readonly index: number;
  mode: Mode | undefined;
  closing = false;

  constructor(ws: WebSocket, index: number) {
    this.ws = ws;
    this.index = index;
    ws.on('message', (data: Buffer) => {
      arrivalUs = epochMicros();
      scanning = this.index;
      let s: Scan;
      try {
        s = scanReply(data, onValue);
      } catch (e) {
        win.error(`unreadable frame: ${(e as Error).message}`);
        return;
      }
      this.mode?.onMessage(s, data.length);
    });
    ws.once('close', (code: number, reason: Buffer) => {
      if (this.closing) return;
      if (win.measuring) win.closes++;
      win.error(`closed ${code} ${reason.toString()}`.trim());
      this.mode?.closed();
    });
  }

  send(frame: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }
}

/** A live subscription to every partition, from the end, with credit granted back as read. */
class Subscriber implements Mode {
  private readonly c: FanClient;
  private readonly window: number;
  private taken = 0;
  /** Next offset per partition, from the pushes so far (-1 before the first). */
  private readonly next: number[];
  private onSubscribed: ((error: string | undefined) => void) | undefined;
  private onEnded: (() => void) | undefined;
  private readonly unsubscribeSeq = 2;

  constructor(c: FanClient, topic: Buffer, partitions: number, creditBytes: number, subscribed: (error: string | undefined) => void) {
    this.c = c;
    this.window = creditBytes;
    this.next = new Array<number>(partitions).fill(-1);
    this.onSubscribed = subscribed;
    c.send(encodeSubscribe(1, SUBSCRIPTION, topic, creditBytes));
  }

  onMessage(s: Scan, bytes: number): void {
    if (s.kind === 'push') {
      if (win.measuring) {
        win.deliveries += s.messages;
        win.frames++;
        win.bytes += bytes;
      }
      if (s.messages > 0) {
        win.order(this.next[s.partition] ?? -1, s.firstOffset);
        this.next[s.partition] = s.lastOffset + 1;
        markLive(this.c.index);
      }
      // Credit counts whole pushed frames; given back once half the window is read, as the SDK does.
      this.taken += bytes;
      if (this.taken >= this.window / 2) {
        this.c.send(encodeCredit(CREDIT_SEQ, SUBSCRIPTION, this.taken));
        this.taken = 0;
        if (win.measuring) win.credits++;
      }
    } else if (s.kind === 'subscribed') {
      this.onSubscribed?.(undefined);
      this.onSubscribed = undefined;
    } else if (s.kind === 'end') {
      if (s.sequence === this.unsubscribeSeq) {
        this.onEnded?.();
        this.onEnded = undefined;
      } else win.error(`subscription ended: ${s.error}`);
    } else if (s.kind === 'error' && s.sequence === CREDIT_SEQ) {
      if (win.measuring) {
        win.creditRefusals++;
        win.creditRefusal ??= s.error;
      }
    } else if (s.kind === 'error' || s.kind === 'none') {
      win.error(s.error === '' ? 'a reply with no member' : s.error);
      this.onSubscribed?.(s.error);
      this.onSubscribed = undefined;
    }
    // A fetch reply is a late answer to the previous mode's poll: nothing to do.
  }

  closed(): void {
    this.onSubscribed?.('closed');
    this.onSubscribed = undefined;
    this.onEnded?.();
    this.onEnded = undefined;
  }

  stop(): Promise<void> {
    if (this.c.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      this.onEnded = resolve;
      this.c.send(encodeUnsubscribe(this.unsubscribeSeq, SUBSCRIPTION));
    });
  }
}

/** One long-poll loop per partition on the socket; sequence mod partitions names the loop. */
class Poller implements Mode {
  private readonly c: FanClient;
  private readonly topic: Buffer;
  private readonly offsets: number[];
  private readonly partitions: number;
  private n = 0;
  private outstanding = 0;
  private stopping = false;
  private onDrained: (() => void) | undefined;

  constructor(c: FanClient, topic: Buffer, from: number[]) {
    this.c = c;
    this.topic = topic;
    this.offsets = [...from];
    this.partitions = from.length;
    for (let p = 0; p < this.partitions; p++) this.send(p);
  }

  private send(p: number): void {
    if (this.stopping || this.c.ws.readyState !== WebSocket.OPEN) return;
    this.outstanding++;
    if (win.measuring) win.requests++;
    this.c.send(encodeFetch(++this.n * this.partitions + p, this.topic, p, this.offsets[p]!));
  }

  onMessage(s: Scan, bytes: number): void {
    if (s.kind !== 'fetch' && s.kind !== 'error') return; // a late push or end of the previous mode
    this.outstanding = Math.max(0, this.outstanding - 1);
    const p = s.sequence % this.partitions;
    if (s.kind === 'fetch') {
      if (s.messages > 0) {
        win.order(this.offsets[p]!, s.firstOffset);
        this.offsets[p] = s.lastOffset + 1;
        markLive(this.c.index);
        if (win.measuring) {
          win.deliveries += s.messages;
          win.frames++;
          win.bytes += bytes;
        }
      } else if (win.measuring) win.emptyReplies++;
      this.send(p);
    } else {
      win.error(s.error);
      // Not counted as outstanding while it waits: a stop during the back-off does not wait for it.
      setTimeout(() => this.send(p), ERROR_BACKOFF_MS);
    }
    if (this.stopping && this.outstanding === 0) {
      this.onDrained?.();
      this.onDrained = undefined;
    }
  }

  closed(): void {
    this.outstanding = 0;
    this.onDrained?.();
    this.onDrained = undefined;
  }

  stop(): Promise<void> {
    this.stopping = true;
    if (this.outstanding === 0 || this.c.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => (this.onDrained = resolve));
  }
}

export async function fanoutOpen(spec: FanoutOpenSpec): Promise<FanoutOpenResult> {
  const t0 = performance.now();
  const r = await openMany(spec.url, spec.clients, spec.parallel, { localAddress: spec.localAddress });
  clients = r.sockets.map((ws, i) => new FanClient(ws, i));
  win = new FanWindow(clients.length);
  return { opened: clients.length, failed: r.failed, ...(r.firstError !== undefined ? { firstError: r.firstError } : {}), elapsedMs: performance.now() - t0 };
}

export async function fanoutStart(spec: FanoutStartSpec): Promise<FanoutStartResult> {
  const t0 = performance.now();
  live = new Uint8Array(clients.length);
  liveCount = 0;
  const topic = topicBytes(spec.topic);
  if (spec.mode === 'poll') {
    for (const c of clients) c.mode = new Poller(c, topic, spec.from);
    return { started: clients.length, failed: 0, elapsedMs: performance.now() - t0 };
  }
  let ok = 0;
  let refused = 0;
  let firstError: string | undefined;
  const subscribe = (c: FanClient): Promise<void> => new Promise<void>((resolve) => {
    c.mode = new Subscriber(c, topic, spec.partitions, spec.creditBytes, (error) => {
      if (error === undefined) ok++;
      else {
        refused++;
        firstError ??= error;
      }
      resolve();
    });
  });
  const answered: Array<Promise<void>> = [];
  if (spec.prime && clients.length > 0) {
    answered.push(subscribe(clients[0]!));
    await Promise.race([answered[0], sleep(spec.timeoutMs)]);
    const until = performance.now() + PRIME_TIMEOUT_MS;
    while (live[0] === 0 && performance.now() < until) await sleep(5);
  }
  for (const c of clients.slice(answered.length)) answered.push(subscribe(c));
  if (!await Promise.race([Promise.all(answered).then(() => true), sleep(spec.timeoutMs).then(() => false)])) {
    firstError ??= `${clients.length - ok - refused} subscribes not answered within ${spec.timeoutMs} ms`;
  }
  return { started: ok, failed: clients.length - ok, ...(firstError !== undefined ? { firstError } : {}), elapsedMs: performance.now() - t0 };
}

/**
 * Waits until every client has received messages since its mode started (a subscriber has joined
 * the stream, a poller's loop delivers), or `timeoutMs`; returns how many had and when.
 */
export async function fanoutLive(timeoutMs: number): Promise<FanoutLiveResult> {
  const t0 = performance.now();
  if (liveCount < clients.length) {
    await Promise.race([new Promise<void>((resolve) => (onAllLive = resolve)), sleep(timeoutMs)]);
    onAllLive = undefined;
  }
  return { live: liveCount, clients: clients.length, elapsedMs: performance.now() - t0 };
}

export async function fanoutMeasure(durationMs: number): Promise<FanoutWindowResult> {
  win.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  win.measuring = true;
  await sleep(durationMs);
  win.measuring = false;
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    clients: clients.length, deliveries: win.deliveries, frames: win.frames, emptyReplies: win.emptyReplies, bytes: win.bytes,
    requests: win.requests, credits: win.credits, errors: win.errors, ...(win.firstError !== undefined ? { firstError: win.firstError } : {}),
    closes: win.closes, gaps: win.gaps, duplicates: win.duplicates, errorKinds: Object.fromEntries(win.errorKinds),
    creditRefusals: win.creditRefusals, ...(win.creditRefusal !== undefined ? { creditRefusal: win.creditRefusal } : {}), elapsedMs, latency: win.latency.toJSON(), first: win.first.toJSON(), cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

export async function fanoutStop(drainTimeoutMs: number): Promise<FanoutStopResult> {
  const t0 = performance.now();
  let done = 0;
  const stops = clients.map((c) => (c.mode?.stop() ?? Promise.resolve()).then(() => void done++));
  await Promise.race([Promise.all(stops), sleep(drainTimeoutMs)]);
  for (const c of clients) c.mode = undefined;
  return { undrained: clients.length - done, elapsedMs: performance.now() - t0 };
}

export async function fanoutClose(): Promise<{ closed: number }> {
  const all = clients;
  clients = [];
  for (const c of all) {
    c.closing = true;
    c.mode = undefined;
    c.ws.terminate();
  }
  await sleep(100);
  return { closed: all.length };
}
