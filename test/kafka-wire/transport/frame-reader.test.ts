import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameReader } from '../../../src/kafka-wire/index.js';
import { Rng } from '../../support/random.js';

function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(p.length);
    return [size, p];
  }));
}

function split(stream: Buffer, rng: Rng): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < stream.length;) {
    const n = Math.min(stream.length - p, 1 + rng.int(0, 40));
    out.push(stream.subarray(p, p + n));
    p += n;
  }
  return out;
}

describe('FrameReader', () => {
  test('any chunking yields the same frames, including empty ones', () => {
    const rng = new Rng(7);
    for (let round = 0; round < 200; round++) {
      const payloads = Array.from({ length: rng.int(1, 8) }, () => rng.bytes(rng.int(0, 60)));
      const got: Buffer[] = [];
      const r = new FrameReader(1 << 20, () => assert.fail('no frame is oversize'));
      for (const c of split(framed(payloads), rng)) r.push(c, (f) => got.push(Buffer.from(f)));
      assert.deepEqual(got, payloads, `round ${round}`);
      assert.equal(r.bufferedBytes, 0);
    }
  });

  test('a frame inside one chunk is a view of it, not a copy', () => {
    const stream = framed([Buffer.from('hello'), Buffer.from('world!')]);
    const frames: Buffer[] = [];
    new FrameReader(100, () => {}).push(stream, (f) => frames.push(f));
    assert.equal(frames.length, 2);
    assert.equal(frames[0]!.buffer, stream.buffer);
    assert.equal(frames[0]!.byteOffset, stream.byteOffset + 4);
    assert.equal(frames[1]!.toString(), 'world!');
  });

  test('a frame over the limit is reported with its size and its prefix bytes, and nothing is buffered', () => {
    const seen: Array<[number, string]> = [];
    const r = new FrameReader(10, (size, prefix) => seen.push([size, prefix.toString('hex')]));
    const frames: Buffer[] = [];
    r.push(framed([Buffer.alloc(11)]), (f) => frames.push(f));
    assert.deepEqual(seen, [[11, '0000000b']]);
    assert.equal(frames.length, 0);
    assert.equal(r.bufferedBytes, 0);
    r.push(Buffer.from([0xff, 0xff, 0xff, 0xff]), () => assert.fail('negative size is no frame'));
    assert.deepEqual(seen[1], [-1, 'ffffffff']);
  });
});
