import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { ExpectedRecord } from '../harness/kafka.js';
import { sameAsProduced } from './expected-records.js';
import { decodeResp, encodeReq, type DecodedMessage, type DecodedResp } from './pubsub-proto.js';

/** What a test saw of one subscription: every pushed message, the pushes' sizes, and its end. */
export interface SeenSubscription {
  messages: Array<DecodedMessage & { partition: number }>;
  /** next_offset of the last push of each partition. */
  next: Map<number, bigint>;
  /** Bytes of every push frame, in order (what credit is counted in). */
  pushBytes: number[];
  end: NonNullable<DecodedResp['subscriptionEnd']> | undefined;
  /** Date.now() when the last push arrived (0 before any). */
  lastPushAt: number;
}

export interface SubscribeOptions {
  topic: string;
  partitions?: number[];
  start?: 'SUBSCRIBE_START_LATEST' | 'SUBSCRIBE_START_EARLIEST' | 'SUBSCRIBE_START_TIMESTAMP' | 'SUBSCRIBE_START_CURSOR';
  timestamp?: bigint;
  cursor?: Map<number, bigint>;
  credit?: number | bigint;
  outOfRange?: 'OUT_OF_RANGE_END' | 'OUT_OF_RANGE_EARLIEST' | 'OUT_OF_RANGE_LATEST';
}

/**
 * A subscriber written as a client author would, with `ws` and protobufjs compiled from
 * proto/pubsub.proto (not our codec): replies matched by sequence, pushes collected per
 * subscription.
 */
export class SubscribeClient {
  readonly ws: WebSocket;
  readonly subscriptions = new Map<number, SeenSubscription>();
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Frames that were neither a reply awaited nor a push (should stay empty). */
  readonly strays: DecodedResp[] = [];
  private seq = 0;
  private readonly waiters = new Map<string, (r: DecodedResp) => void>();
  private readonly changed = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => this.onFrame(data));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      this.notify();
    }));
  }

  /** `protocols` and `headers` as a client with a token sends them. Rejects with `HTTP <status>: <body>` for a refused upgrade. */
  static connect(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<SubscribeClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options.protocols ?? [], options.headers !== undefined ? { headers: options.headers } : {});
      ws.once('open', () => resolve(new SubscribeClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${body}`)));
      });
    });
  }

  private onFrame(data: Buffer): void {
    const r = decodeResp(data);
    if (r.resp === 'kafkaRecordsPush' && (r.sequence ?? '0') === '0') {
      const p = r.kafkaRecordsPush!;
      const s = this.seen(p.subscription ?? 0);
      for (const m of p.messages ?? []) s.messages.push({ ...m, partition: p.partition ?? 0 });
      s.next.set(p.partition ?? 0, BigInt(p.nextOffset ?? '0'));
      s.pushBytes.push(data.length);
      s.lastPushAt = Date.now();
    } else if (r.resp === 'subscriptionEnd' && (r.sequence ?? '0') === '0') {
      this.seen(r.subscriptionEnd!.subscription ?? 0).end = r.subscriptionEnd;
    } else {
      const w = this.waiters.get(r.sequence ?? '0');
      if (w !== undefined) {
        this.waiters.delete(r.sequence ?? '0');
        if (r.resp === 'subscriptionEnd') this.seen(r.subscriptionEnd!.subscription ?? 0).end = r.subscriptionEnd;
        w(r);
      } else this.strays.push(r);
    }
    this.notify();
  }

  private notify(): void {
    for (const f of [...this.changed]) f();
  }

  seen(id: number): SeenSubscription {
    let s = this.subscriptions.get(id);
    if (s === undefined) this.subscriptions.set(id, (s = { messages: [], next: new Map(), pushBytes: [], end: undefined, lastPushAt: 0 }));
    return s;
  }

  /** Sends a command and resolves with the reply of its sequence. */
  request(body: Record<string, unknown>, timeoutMs = 30_000): Promise<DecodedResp> {
    const sequence = this.send(body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(sequence);
        reject(new Error(`no reply to ${sequence} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(sequence, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  send(body: Record<string, unknown>): string {
    const sequence = String(++this.seq);
    this.ws.send(encodeReq({ sequence, ...body }));
    return sequence;
  }

  subscribe(id: number, o: SubscribeOptions): Promise<DecodedResp> {
    return this.request({
      cmdSubscribe: {
        subscription: id, topic: o.topic, partitions: o.partitions ?? [], start: o.start ?? 'SUBSCRIBE_START_LATEST',
        timestamp: String(o.timestamp ?? 0n), cursor: [...(o.cursor ?? new Map())].map(([partition, offset]) => ({ partition, offset: String(offset) })),
        credit: String(o.credit ?? 0), outOfRange: o.outOfRange ?? 'OUT_OF_RANGE_END',
      },
    });
  }

  grant(id: number, bytes: number | bigint): void {
    this.send({ cmdCredit: { subscription: id, bytes: String(bytes) } });
  }

  unsubscribe(id: number): Promise<DecodedResp> {
    return this.request({ cmdUnsubscribe: { subscription: id } });
  }

  /** Resolves once `check()` is true (checked on every frame), or rejects after `timeoutMs`. */
  until(check: () => boolean, timeoutMs = 30_000, what = 'the condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const f = () => {
        if (!check()) return;
        this.changed.delete(f);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.changed.delete(f);
        reject(new Error(`${what} did not happen within ${timeoutMs} ms`));
      }, timeoutMs);
      this.changed.add(f);
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close(1000);
    return this.closed;
  }
}

/** Offsets of what a subscription got on a partition, in arrival order. */
export function offsetsOf(s: SeenSubscription, partition: number): bigint[] {
  return s.messages.filter((m) => m.partition === partition).map((m) => BigInt(m.offset ?? '0'));
}

/** Asserts that what `s` got on `partition` is exactly `want` as the Java producer wrote it (proto3 turns a null into empty bytes). */
export function sameMessages(s: SeenSubscription, partition: number, want: readonly ExpectedRecord[], where: string): void {
  sameAsProduced(s.messages.filter((m) => m.partition === partition).map((m) => ({
    offset: BigInt(m.offset ?? '0'),
    timestamp: BigInt(m.timestamp ?? '0'),
    key: m.key ?? new Uint8Array(0),
    value: m.value ?? new Uint8Array(0),
    headers: (m.headers ?? []).map((h) => ({ key: h.key ?? '', value: h.value ?? null })),
  })), want, where, true);
}

/** The start offset of each partition from a SubscribeResp (asserting it is one). */
export function startOf(r: DecodedResp): Map<number, bigint> {
  assert.equal(r.resp, 'subscribeResp', `expected a subscribe reply, got ${r.resp} ${r.errorResp?.message ?? ''}`);
  return new Map((r.subscribeResp?.start ?? []).map((p) => [p.partition ?? 0, BigInt(p.offset ?? '0')]));
}

/** A SubscriptionEnd's cursor as a map. */
export function cursorOf(end: NonNullable<DecodedResp['subscriptionEnd']> | undefined): Map<number, bigint> {
  return new Map((end?.cursor ?? []).map((e) => [e.partition ?? 0, BigInt(e.offset ?? '0')]));
}

/** Whether nothing more arrives for `s` within `ms`. */
export async function settles(s: SeenSubscription, ms: number): Promise<boolean> {
  const before = s.messages.length;
  await new Promise((r) => setTimeout(r, ms));
  return s.messages.length === before;
}
