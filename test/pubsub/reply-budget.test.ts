import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecordBatch, readBatches } from '../../src/kafka-wire/index.js';
import { CLOSE_OVERLOADED, ReplyBudget, Session, type BudgetMember, type FetchBatch, type PubSubBackend, type SessionChannel } from '../../src/pubsub/index.js';
import { encodeReq } from '../support/pubsub-proto.js';

/*
 * The process-wide reply budget: many connections together cannot take the process's memory.
 * The heaviest connections wait first; those that stopped reading are closed (1013) while the
 * process stays over; a connection that reads is served meanwhile.
 */
const MiB = 1 << 20;
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Member implements BudgetMember {
  usage = 0;
  unsent = 0;
  stalledMs = 0;
  woken = 0;
  closed = false;
  stalledFor(): number {
    return this.stalledMs;
  }
  wake(): void {
    this.woken++;
  }
  overloaded(): void {
    this.closed = true;
  }
}

test('over the budget, only a connection under its fair share gets more; a release wakes those that waited', async () => {
  const budget = new ReplyBudget({ maxBytes: 10 * MiB, sweepMs: 60_000 });
  const heavy = new Member();
  const light = new Member();
  assert.ok(budget.tryReserve(heavy, 9 * MiB));
  heavy.usage = 9 * MiB;
  assert.equal(budget.tryReserve(heavy, 2 * MiB), false, 'the heaviest waits');
  assert.ok(budget.tryReserve(light, MiB), 'under the budget anyone may');
  light.usage = MiB;
  assert.equal(budget.bytes, 10 * MiB);
  assert.ok(budget.tryReserve(light, MiB), 'over it, a connection under its fair share (5 MiB of 10 for two) still may');
  light.usage = 2 * MiB;
  assert.equal(budget.tryReserve(light, MiB), false, 'but only within the headroom of an eighth');
  assert.equal(budget.tryReserve(heavy, MiB), false);
  heavy.usage = 5 * MiB;
  budget.release(heavy, 4 * MiB);
  await tick();
  assert.ok(heavy.woken > 0, 'a release wakes the connections that waited');
  budget.stop();
});

test('the sweep closes the heaviest connections that stopped reading, heaviest first, until under 90 %; readers are never closed', async () => {
  const budget = new ReplyBudget({ maxBytes: 10 * MiB, sweepMs: 20, stallMs: 100 });
  const reader = Object.assign(new Member(), { usage: 6 * MiB, unsent: 6 * MiB, stalledMs: 0 });
  const stalledBig = Object.assign(new Member(), { usage: 4 * MiB, unsent: 4 * MiB, stalledMs: 5000 });
  const stalledSmall = Object.assign(new Member(), { usage: MiB, unsent: MiB, stalledMs: 5000 });
  for (const m of [reader, stalledBig, stalledSmall]) budget.add(m, m.usage);
  stalledBig.overloaded = () => {
    stalledBig.closed = true;
    budget.release(Object.assign(stalledBig, { usage: 0 }), 4 * MiB);
  };
  await sleep(100);
  assert.equal(stalledBig.closed, true, 'the heaviest stalled connection is closed');
  assert.equal(stalledSmall.closed, false, 'closing stops once the total is under 90 % (7 of 10 MiB)');
  assert.equal(reader.closed, false, 'a connection that reads is never closed, however heavy');
  assert.equal(budget.overloadCloses, 1);
  budget.stop();
});

class InstantBackend implements PubSubBackend {
  listOffset(): Promise<bigint> {
    return Promise.resolve(0n);
  }
  fetch(): Promise<FetchBatch> {
    // ~1 MB of records: a full 1 MiB reply frame.
    const batches = readBatches(encodeRecordBatch({ records: Array.from({ length: 1000 }, () => ({ value: Buffer.alloc(1000, 1) })), baseOffset: 0n })).batches;
    return Promise.resolve({ batches, fromOffset: 0n, highWatermark: 1000n, logStartOffset: 0n });
  }
  describeError(err: unknown): string {
    return String(err);
  }
}

class Channel implements SessionChannel {
  frames = 0;
  readonly pending: Array<() => void> = [];
  closed: [number, string] | undefined;
  readonly reads: boolean;
  constructor(reads: boolean) {
    this.reads = reads;
  }
  send(_frame: Buffer, done: () => void): void {
    this.frames++;
    if (this.reads) setImmediate(done);
    else this.pending.push(done);
  }
  push(): void {}
  readonly unsentBytes = 0;
  readonly takenBytes = 0;
  onTaken(): void {}
  close(code: number, reason: string): void {
    this.closed = [code, reason];
  }
  pause(): void {}
  resume(): void {}
}

test('sessions on one budget: non-readers together stay near the budget, are closed with 1013 once stalled, and a reader keeps being served', async () => {
  const budget = new ReplyBudget({ maxBytes: 12 * MiB, sweepMs: 20, stallMs: 150 });
  const backend = new InstantBackend();
  const fetch = (seq: number) => encodeReq({ sequence: String(seq), cmdKafkaFetch: { topic: 't', partition: 0, offset: '0' } });
  const silent = Array.from({ length: 6 }, () => new Channel(false));
  const sessions = silent.map((ch) => new Session(ch, { backend, budget, maxFrameBytes: MiB, maxUnsentBytes: 4 * MiB }));
  for (const s of sessions) for (let i = 1; i <= 20; i++) s.onMessage(fetch(i), true);
  await sleep(20);
  let peak = budget.bytes;
  // 6 x 4 MiB would be 24 MiB without the process budget; with it, at most 9/8 of it.
  assert.ok(peak <= 12 * MiB * 9 / 8, `held ${peak} bytes with a 12 MiB budget`);
  const readerCh = new Channel(true);
  const reader = new Session(readerCh, { backend, budget, maxFrameBytes: MiB, maxUnsentBytes: 4 * MiB });
  // The reader asks for 30 replies one after another, each as soon as the previous came; it must
  // get every one (however long the machine takes), while the silent ones are closed.
  for (let seq = 1; seq <= 30; seq++) {
    const before = readerCh.frames;
    reader.onMessage(fetch(seq), true);
    for (let i = 0; readerCh.frames === before; i++) {
      if (i > 2000) assert.fail(`reply ${seq} never came`);
      await sleep(5);
      peak = Math.max(peak, budget.bytes);
    }
  }
  assert.ok(peak <= 12 * MiB * 9 / 8, `held ${peak} bytes with a 12 MiB budget`);
  const closed = silent.filter((ch) => ch.closed !== undefined);
  assert.ok(closed.length > 0, 'stalled connections were closed');
  for (const ch of closed) assert.deepEqual(ch.closed, [CLOSE_OVERLOADED, 'server overloaded: replies are not being read']);
  assert.equal(readerCh.closed, undefined, 'the reader is not closed');
  assert.equal(readerCh.frames, 30, 'the reader got every reply');
  assert.ok(budget.bytes <= 12 * MiB, `the process is back under its budget: ${budget.bytes}`);
  for (const s of [...sessions, reader]) s.dispose();
  assert.equal(budget.bytes, 0, 'every byte is given back when the connections go');
  budget.stop();
});
