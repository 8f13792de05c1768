/**
 * The raw-block decoder's fast loop (snappy.ts, decodeElements) copies whole words and checks
 * lengths once per turn while FAST_MARGIN bytes from the block's ends. These tests build blocks
 * element by element, so every element kind, length and short offset is hit inside and outside
 * the margins, and compare with a byte-at-a-time reference decoder written here. Every test runs
 * on both decoders: the WebAssembly one (wasm/codecs.c) and the TypeScript one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CompressionError } from '../../../../src/kafka-wire/records/codecs/errors.js';
import { decodeSnappyRaw } from '../../../../src/kafka-wire/records/codecs/snappy.js';
import { setWasm, wasmLoaded } from '../../../../src/kafka-wire/records/codecs/wasm.js';
import { prng } from './support.js';

/** Each test runs twice: through the WebAssembly decoder (wasm/codecs.c) and the TypeScript one. */
function bothPaths(name: string, fn: () => void): void {
  for (const wasm of [true, false]) {
    test(`${name} (${wasm ? 'WebAssembly' : 'TypeScript'})`, () => {
      assert.equal(wasmLoaded(), true);
      setWasm(wasm);
      try {
        fn();
      } finally {
        setWasm(true);
      }
    });
  }
}

type Element = { lit: Uint8Array } | { offset: number; len: number; kind: 1 | 2 | 3 };

function varint(out: number[], n: number): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function encode(elements: readonly Element[], total: number): Buffer {
  const out: number[] = [];
  varint(out, total);
  for (const e of elements) {
    if ('lit' in e) {
      const m = e.lit.length - 1;
      if (m < 60) out.push(m << 2);
      else if (m < 256) out.push(60 << 2, m);
      else out.push(61 << 2, m & 0xff, m >>> 8);
      out.push(...e.lit);
    } else if (e.kind === 1) {
      out.push(1 | ((e.len - 4) << 2) | ((e.offset >>> 8) << 5), e.offset & 0xff);
    } else if (e.kind === 2) {
      out.push(2 | ((e.len - 1) << 2), e.offset & 0xff, e.offset >>> 8);
    } else {
      out.push(3 | ((e.len - 1) << 2), e.offset & 0xff, (e.offset >>> 8) & 0xff, (e.offset >>> 16) & 0xff, e.offset >>> 24);
    }
  }
  return Buffer.from(out);
}

function reference(elements: readonly Element[]): Buffer {
  const out: number[] = [];
  for (const e of elements) {
    if ('lit' in e) out.push(...e.lit);
    else for (let i = 0; i < e.len; i++) out.push(out[out.length - e.offset]!);
  }
  return Buffer.from(out);
}

function bytes(rnd: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** Random elements: literals of 1..maxLit bytes and copies of every kind that fit the output so far. */
function elements(rnd: () => number, count: number, maxLit: number, maxOffset: number): Element[] {
  const es: Element[] = [{ lit: bytes(rnd, 1 + Math.floor(rnd() * maxLit)) }];
  let produced = (es[0] as { lit: Uint8Array }).lit.length;
  for (let i = 0; i < count; i++) {
    if (rnd() < 0.4) {
      const lit = bytes(rnd, 1 + Math.floor(rnd() * maxLit));
      es.push({ lit });
      produced += lit.length;
      continue;
    }
    const kind = rnd() < 0.4 ? 1 : rnd() < 0.9 ? 2 : 3;
    const len = kind === 1 ? 4 + Math.floor(rnd() * 8) : 1 + Math.floor(rnd() * 64);
    const offset = 1 + Math.floor(rnd() * Math.min(produced, kind === 1 ? 2047 : maxOffset));
    es.push({ kind, len, offset });
    produced += len;
  }
  return es;
}

bothPaths('every offset 1..24 with every copy length and kind copies exactly (overlapping word copies)', () => {
  const rnd = prng(31);
  for (let offset = 1; offset <= 24; offset++) {
    for (let len = 1; len <= 64; len++) {
      for (const kind of [1, 2, 3] as const) {
        if (kind === 1 && (len < 4 || len > 11)) continue;
        // A 100-byte literal first, so the copies under test start inside the fast loop's margins,
        // then enough of them that the last ones are taken by the careful loop.
        const es: Element[] = [{ lit: bytes(rnd, 100) }];
        for (let k = 0; k < 8; k++) es.push({ kind, len, offset }, { lit: bytes(rnd, 1 + (k % 3) * 7) });
        const want = reference(es);
        assert.ok(decodeSnappyRaw(encode(es, want.length)).equals(want), `offset ${offset} len ${len} kind ${kind}`);
      }
    }
  }
});

bothPaths('literals of every length 1..300 next to copies decode like the reference', () => {
  const rnd = prng(32);
  for (let n = 1; n <= 300; n++) {
    const es: Element[] = [{ lit: bytes(rnd, 90) }, { lit: bytes(rnd, n) }, { kind: 2, len: 20, offset: 9 }, { lit: bytes(rnd, n) }];
    for (let k = 0; k < 4; k++) es.push({ kind: 1, len: 4 + k, offset: 8 + k }, { lit: bytes(rnd, n) });
    const want = reference(es);
    assert.ok(decodeSnappyRaw(encode(es, want.length)).equals(want), `literal ${n}`);
  }
});

bothPaths('seeded random blocks decode like the reference', () => {
  const rnd = prng(33);
  for (let round = 0; round < 300; round++) {
    const es = elements(rnd, 1 + Math.floor(rnd() * 300), [4, 16, 60, 200][round % 4]!, [16, 2000, 70_000][round % 3]!);
    const want = reference(es);
    assert.ok(decodeSnappyRaw(encode(es, want.length)).equals(want), `round ${round}`);
  }
});

bothPaths('a declared length one byte short or long fails typed, as does every truncation', () => {
  const rnd = prng(34);
  const es = elements(rnd, 200, 40, 3000);
  const want = reference(es);
  assert.ok(decodeSnappyRaw(encode(es, want.length)).equals(want));
  const isTyped = (e: unknown): boolean => e instanceof CompressionError;
  assert.throws(() => decodeSnappyRaw(encode(es, want.length - 1)), isTyped);
  assert.throws(() => decodeSnappyRaw(encode(es, want.length + 1)), isTyped);
  const raw = encode(es, want.length);
  for (let cut = 1; cut < raw.length; cut++) assert.throws(() => decodeSnappyRaw(raw.subarray(0, cut)), isTyped, `cut ${cut}`);
});

bothPaths('a copy reaching before the block start fails typed inside the fast loop too', () => {
  const rnd = prng(35);
  const es: Element[] = [{ lit: bytes(rnd, 50) }];
  for (let k = 0; k < 20; k++) es.push({ kind: 2, len: 10, offset: 50 + k * 10 + 1 }, { lit: bytes(rnd, 4) });
  // Each offset is one past the output so far, so the first copy already fails.
  const total = 50 + 20 * 14;
  assert.throws(() => decodeSnappyRaw(encode(es, total)), (e: unknown) => e instanceof CompressionError && e.reason === 'corrupt' && /offset/.test(e.message));
  // Offset 0 in a copy1 and a copy2, both well inside the margins.
  for (const kind of [1, 2] as const) {
    const zero: Element[] = [{ lit: bytes(rnd, 120) }, { kind, len: 8, offset: 0 }, { lit: bytes(rnd, 120) }];
    assert.throws(() => decodeSnappyRaw(encode(zero, 248)), (e: unknown) => e instanceof CompressionError && e.reason === 'corrupt');
  }
});
