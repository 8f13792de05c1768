/**
 * The block decoder's fast loop (lz4.ts, decodeBlockInto) skips per-copy bounds checks while it is
 * FAST_MARGIN bytes away from the ends of input and output, and copies in words that may write
 * past the sequence. These tests build blocks sequence by sequence, so every boundary the loop
 * depends on is hit on purpose, and compare with a byte-at-a-time reference decoder written here.
 * The same blocks, put in frames, also go through the WebAssembly decoder (wasm/codecs.c).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CompressionError } from '../../../../src/kafka-wire/records/codecs/errors.js';
import { decodeLz4Block, decodeLz4Frame } from '../../../../src/kafka-wire/records/codecs/lz4.js';
import { setWasm, wasmLoaded } from '../../../../src/kafka-wire/records/codecs/wasm.js';
import { prng } from './support.js';

interface Seq { lit: Uint8Array; offset: number; matchLen: number }

function writeLen(out: number[], n: number): void {
  let r = n;
  while (r >= 255) {
    out.push(255);
    r -= 255;
  }
  out.push(r);
}

/** Encodes sequences as an LZ4 block; a last sequence with matchLen 0 is literals only. */
function block(seqs: readonly Seq[]): Buffer {
  const out: number[] = [];
  for (const s of seqs) {
    const ml = s.matchLen === 0 ? 0 : s.matchLen - 4;
    out.push((Math.min(s.lit.length, 15) << 4) | Math.min(ml, 15));
    if (s.lit.length >= 15) writeLen(out, s.lit.length - 15);
    out.push(...s.lit);
    if (s.matchLen === 0) break;
    out.push(s.offset & 0xff, s.offset >>> 8);
    if (ml >= 15) writeLen(out, ml - 15);
  }
  return Buffer.from(out);
}

/** The plain bytes of the sequences, one byte at a time (the reference). */
function reference(seqs: readonly Seq[]): Buffer {
  const out: number[] = [];
  for (const s of seqs) {
    out.push(...s.lit);
    for (let i = 0; i < s.matchLen; i++) out.push(out[out.length - s.offset]!);
  }
  return Buffer.from(out);
}

function bytes(rnd: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** Random sequences; `pick` chooses literal length, match length and offset (clamped to the output so far). */
function sequences(rnd: () => number, count: number, pick: () => [number, number, number]): Seq[] {
  const seqs: Seq[] = [];
  let produced = 0;
  for (let i = 0; i < count; i++) {
    const [litLen, matchLen, offset] = pick();
    const lit = bytes(rnd, litLen);
    produced += litLen;
    if (produced === 0) {
      seqs.push({ lit: bytes(rnd, 1), offset: 1, matchLen });
      produced = 1 + matchLen;
      continue;
    }
    const off = Math.max(1, Math.min(offset, produced, 65535));
    seqs.push({ lit, offset: off, matchLen });
    produced += matchLen;
  }
  seqs.push({ lit: bytes(rnd, 5 + Math.floor(rnd() * 20)), offset: 0, matchLen: 0 });
  return seqs;
}

test('every offset 1..24 with every short match length copies exactly (overlapping word copies)', () => {
  const rnd = prng(21);
  for (let offset = 1; offset <= 24; offset++) {
    for (let matchLen = 4; matchLen <= 40; matchLen++) {
      for (const litLen of [0, 1, 7, 8, 14, 15, 16, 30]) {
        // A long run first, so the sequence under test is well inside the fast loop's margins,
        // then the same sequence again near the block's end, where the careful loop takes it.
        const seqs: Seq[] = [{ lit: bytes(rnd, 64), offset: 1, matchLen: 4 }];
        for (let k = 0; k < 6; k++) seqs.push({ lit: bytes(rnd, litLen), offset, matchLen });
        seqs.push({ lit: bytes(rnd, 5), offset: 0, matchLen: 0 });
        const want = reference(seqs);
        assert.ok(decodeLz4Block(block(seqs)).equals(want), `offset ${offset} matchLen ${matchLen} litLen ${litLen}`);
      }
    }
  }
});

test('seeded random blocks decode like the reference, at every mix of short and long runs', () => {
  const rnd = prng(22);
  const shapes: Array<() => [number, number, number]> = [
    () => [Math.floor(rnd() * 15), 4 + Math.floor(rnd() * 15), 8 + Math.floor(rnd() * 2000)],
    () => [Math.floor(rnd() * 40), 4 + Math.floor(rnd() * 300), 1 + Math.floor(rnd() * 20)],
    () => [Math.floor(rnd() * 300), 4 + Math.floor(rnd() * 600), 1 + Math.floor(rnd() * 70_000)],
    () => [rnd() < 0.5 ? 0 : 14, rnd() < 0.5 ? 18 : 19, rnd() < 0.5 ? 7 : 8],
  ];
  for (let round = 0; round < 200; round++) {
    const seqs = sequences(rnd, 1 + Math.floor(rnd() * 200), shapes[round % shapes.length]!);
    const want = reference(seqs);
    const got = decodeLz4Block(block(seqs));
    assert.ok(got.equals(want), `round ${round}`);
  }
});

test('a block that ends exactly at the output limit decodes, one byte more fails typed', () => {
  const rnd = prng(23);
  for (let round = 0; round < 50; round++) {
    const seqs = sequences(rnd, 20 + Math.floor(rnd() * 100), () => [Math.floor(rnd() * 20), 4 + Math.floor(rnd() * 30), 8 + Math.floor(rnd() * 500)]);
    const raw = block(seqs);
    const want = reference(seqs);
    assert.ok(decodeLz4Block(raw, { maxOutputBytes: want.length }).equals(want));
    assert.throws(() => decodeLz4Block(raw, { maxOutputBytes: want.length - 1 }), (e: unknown) => e instanceof CompressionError && e.reason === 'limit');
  }
});

test('a 64 KiB block filled to its maximum, in a frame, decodes; 1 byte past fails typed', () => {
  const rnd = prng(24);
  // Literal runs and matches that add up to exactly 65536 bytes.
  const seqs: Seq[] = [];
  let produced = 0;
  while (produced < 65536 - 200) {
    const lit = bytes(rnd, Math.floor(rnd() * 14));
    const matchLen = 4 + Math.floor(rnd() * 14);
    produced += lit.length;
    seqs.push({ lit, offset: Math.max(1, Math.min(produced, 8 + Math.floor(rnd() * 100))), matchLen });
    produced += matchLen;
  }
  const tail = 65536 - produced;
  const withTail = (n: number): Buffer => {
    const all = [...seqs, { lit: bytes(prng(n), n), offset: 0, matchLen: 0 }];
    const b = block(all);
    const frame = Buffer.alloc(7 + 4 + b.length + 4);
    Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]).copy(frame, 0);
    frame.writeUInt32LE(b.length, 7);
    b.copy(frame, 11);
    return frame;
  };
  const ok = decodeLz4Frame(withTail(tail), { headerChecksum: 'ignore' });
  assert.equal(ok.length, 65536);
  assert.ok(ok.equals(reference([...seqs, { lit: bytes(prng(tail), tail), offset: 0, matchLen: 0 }])));
  assert.throws(() => decodeLz4Frame(withTail(tail + 1), { headerChecksum: 'ignore' }), (e: unknown) => e instanceof CompressionError && e.reason === 'corrupt');
});

test('offsets reaching before the block fail typed inside the fast loop too', () => {
  const rnd = prng(25);
  const seqs: Seq[] = [{ lit: bytes(rnd, 100), offset: 8, matchLen: 4 }];
  for (let k = 0; k < 10; k++) seqs.push({ lit: bytes(rnd, 4), offset: 8, matchLen: 8 });
  const good = block([...seqs, { lit: bytes(rnd, 40), offset: 0, matchLen: 0 }]);
  assert.ok(decodeLz4Block(good).length > 0);
  // The 4th sequence's offset (at a known position) is made to reach 1 byte before the start.
  const bad = Buffer.from(good);
  // Sequence 0 is token, one length byte, 100 literals, offset; each later one token, 4, offset.
  const produced = 100 + 4 + 3 * (4 + 8) + 4;
  const at = 1 + 1 + 100 + 2 + 3 * (1 + 4 + 2) + 1 + 4;
  bad.writeUInt16LE(produced + 1, at);
  assert.throws(() => decodeLz4Block(bad), (e: unknown) => e instanceof CompressionError && e.reason === 'corrupt' && /before the window/.test(e.message));
  bad.writeUInt16LE(0, at);
  assert.throws(() => decodeLz4Block(bad), (e: unknown) => e instanceof CompressionError && e.reason === 'corrupt' && /offset 0/.test(e.message));
});

test('every truncation of a block built for the fast loop fails typed', () => {
  const rnd = prng(26);
  const seqs = sequences(rnd, 60, () => [Math.floor(rnd() * 20), 4 + Math.floor(rnd() * 40), 1 + Math.floor(rnd() * 300)]);
  const raw = block(seqs);
  for (let cut = 0; cut < raw.length; cut++) {
    try {
      decodeLz4Block(raw.subarray(0, cut));
    } catch (e) {
      assert.ok(e instanceof CompressionError, `cut ${cut}: ${String(e)}`);
    }
  }
});

/** One block in a Java-style frame (FLG 0x60, BD 0x70: independent 4 MiB blocks), header checksum ignored. */
function frameOf(b: Buffer): Buffer {
  const f = Buffer.alloc(7 + 4 + b.length + 4);
  Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x00]).copy(f, 0);
  f.writeUInt32LE(b.length, 7);
  b.copy(f, 11);
  return f;
}

test('the same hand-built blocks in frames decode alike through the WebAssembly module and TypeScript', () => {
  assert.equal(wasmLoaded(), true);
  const rnd = prng(27);
  const cases: Seq[][] = [];
  for (let offset = 1; offset <= 24; offset++) {
    for (const matchLen of [4, 5, 7, 8, 9, 15, 16, 17, 18, 19, 40, 64, 65, 100, 300, 1000]) {
      const seqs: Seq[] = [{ lit: bytes(rnd, 40), offset: 1, matchLen: 4 }];
      for (let k = 0; k < 3; k++) seqs.push({ lit: bytes(rnd, k * 5), offset, matchLen });
      seqs.push({ lit: bytes(rnd, 5), offset: 0, matchLen: 0 });
      cases.push(seqs);
    }
  }
  for (let round = 0; round < 100; round++) {
    cases.push(sequences(rnd, 1 + Math.floor(rnd() * 300), () => [Math.floor(rnd() * 40), 4 + Math.floor(rnd() * 300), 1 + Math.floor(rnd() * 3000)]));
  }
  for (const [i, seqs] of cases.entries()) {
    const want = reference(seqs);
    const frame = frameOf(block(seqs));
    for (const wasm of [true, false]) {
      setWasm(wasm);
      try {
        assert.ok(decodeLz4Frame(frame, { headerChecksum: 'ignore' }).equals(want), `case ${i} wasm ${wasm}`);
        assert.throws(() => decodeLz4Frame(frame, { headerChecksum: 'ignore', maxOutputBytes: want.length - 1 }), (e: unknown) => e instanceof CompressionError && e.reason === 'limit');
      } finally {
        setWasm(true);
      }
    }
  }
});
