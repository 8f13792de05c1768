/**
 * The frames of the isolation phase's fuzz flood (issue 16: "200,000 fuzzed frames"): valid
 * PubSubReq frames (fetch, list offset, ping) mutated by a seeded PRNG, so every run and every
 * proxy build gets the same bytes. Most become undecodable ("wrong command"); some stay commands
 * with odd fields (a partition that does not exist, an offset past the end, a topic no broker
 * knows), which reach Kafka. All stay far below --max-message-bytes, so the flood measures the
 * cost of hostile frames, not the close of an oversized one.
 */
import { Rng } from '../../test/support/random.js';
import { encodeFetch, encodeListOffset, encodePing, topicBytes } from './frames.js';
import type { Assignment } from './ipc.js';

const MUTATIONS = ['bitflip', 'byteset', 'truncate', 'random', 'hugeVarint', 'hugeLength', 'splice'] as const;
type Mutation = (typeof MUTATIONS)[number];

/** uint64 max as a varint: ten bytes, the longest a decoder must accept before it gives up. */
const HUGE_VARINT = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
/** A length prefix claiming 2^32 - 1 bytes, where a few dozen follow. */
const HUGE_LENGTH = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff];
/** One frame in this many is sent unmutated: a flood of garbage usually carries some real commands. */
const VALID_ONE_IN = 16;

function validFrame(rng: Rng, sequence: number, topics: readonly Buffer[], a: readonly Assignment[]): Buffer {
  const i = rng.int(0, a.length - 1);
  const as = a[i]!;
  switch (rng.int(0, 3)) {
    case 0:
      return encodeListOffset(sequence, topics[i]!, as.partition, rng.bool() ? -1 : -2);
    case 1:
      return encodePing(sequence, rng.bytes(rng.int(0, 16)));
    default:
      return encodeFetch(sequence, topics[i]!, as.partition, rng.int(as.start, Math.max(as.start, as.end - 1)));
  }
}

function mutate(rng: Rng, b: Buffer, other: Buffer, m: Mutation): Buffer {
  const at = rng.int(0, b.length - 1);
  switch (m) {
    case 'bitflip': {
      const out = Buffer.from(b);
      for (let k = rng.int(1, 4); k > 0; k--) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7);
      return out;
    }
    case 'byteset': {
      const out = Buffer.from(b);
      out[at] = INTERESTING[rng.int(0, INTERESTING.length - 1)]!;
      return out;
    }
    case 'truncate':
      return b.subarray(0, at);
    case 'random':
      return rng.bytes(rng.int(1, 64));
    case 'hugeVarint':
      return Buffer.concat([b.subarray(0, at), HUGE_VARINT, b.subarray(at)]);
    case 'hugeLength':
      return Buffer.concat([b.subarray(0, at), HUGE_LENGTH, b.subarray(Math.min(b.length, at + 1))]);
    case 'splice':
      // Two requests in one frame: repeated fields and a second oneof member (the last wins).
      return Buffer.concat([b.subarray(0, at), other.subarray(rng.int(0, other.length - 1))]);
  }
}

/** `count` frames from `seed`; the valid ones name the partitions of `assignments`. */
export function fuzzFrames(seed: number, count: number, assignments: readonly Assignment[]): Buffer[] {
  const rng = new Rng(seed);
  const topics = assignments.map((a) => topicBytes(a.topic));
  const out: Buffer[] = [];
  for (let n = 1; n <= count; n++) {
    const valid = validFrame(rng, n, topics, assignments);
    if (rng.int(1, VALID_ONE_IN) === 1) out.push(valid);
    else out.push(mutate(rng, valid, validFrame(rng, n, topics, assignments), MUTATIONS[rng.int(0, MUTATIONS.length - 1)]!));
  }
  return out;
}
