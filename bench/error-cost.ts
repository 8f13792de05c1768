/**
 * What one protocol error object costs to build, with and without a stack trace, from a call
 * stack 20 frames deep (about where the session's decoder throws). Behind the comment on
 * FrameDecodeError (src/pubsub/errors.ts) and BENCHMARKS.md, "Figures behind code comments".
 *
 *   node dist/bench/error-cost.js
 */
import { FrameDecodeError, PubSubError } from '../src/pubsub/errors.js';

const ROUNDS = 7;
const PER_ROUND = 50_000;
let sink = 0;

function deep(n: number, make: () => Error): Error {
  return n === 0 ? make() : deep(n - 1, make);
}

function nsPerError(make: () => Error): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) sink += deep(20, make).message.length;
  return Number(process.hrtime.bigint() - t0) / PER_ROUND;
}

const rows: Array<[string, () => Error]> = [
  ['FrameDecodeError (no stack trace)', () => new FrameDecodeError('bad varint', 3)],
  ['PubSubError (stack trace, 10 frames)', () => new PubSubError('PUBSUB_ERR_X', 'bad varint at byte 3')],
];
const samples = rows.map((): number[] => []);
for (let r = 0; r < ROUNDS; r++) {
  rows.forEach(([, make], i) => {
    samples[i]!.push(nsPerError(make));
  });
}
rows.forEach(([name], i) => {
  const s = samples[i]!.sort((a, b) => a - b);
  console.log(`${name.padEnd(40)} ${s[s.length >> 1]!.toFixed(0).padStart(6)} ns per error (median of ${ROUNDS} rounds of ${PER_ROUND})`);
});
if (sink === 0) console.log('');
