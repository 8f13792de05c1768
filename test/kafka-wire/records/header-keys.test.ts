import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerKey } from '../../../src/kafka-wire/records/header-keys.js';
import { Rng } from '../../support/random.js';

function key(buf: Buffer, start: number, length: number): void {
  assert.equal(headerKey(buf, start, length), buf.toString('utf8', start, start + length), `${buf.subarray(start, start + length).toString('hex')}`);
}

test('cached and uncached keys decode as toString("utf8") does', () => {
  const keys = ['trace-id', 'content-type', '', 'a', 'é', '漢字', 'traceparent', 'x'.repeat(64), 'y'.repeat(65), 'z'.repeat(300)];
  const buf = Buffer.from(keys.join(''));
  for (let round = 0; round < 3; round++) {
    let p = 0;
    for (const k of keys) {
      const n = Buffer.byteLength(k);
      key(buf, p, n);
      assert.equal(headerKey(buf, p, n), k);
      p += n;
    }
  }
});

test('keys that share a cache slot (same length, first and last byte) never mix up', () => {
  const keys = ['a-x-b', 'a-y-b', 'a-xyb', 'a-x-b', 'a\u00e9b', 'a-y-b'];
  const buf = Buffer.from(keys.join(''));
  for (let round = 0; round < 3; round++) {
    let p = 0;
    for (const k of keys) {
      const n = Buffer.byteLength(k);
      assert.equal(headerKey(buf, p, n), k);
      p += n;
    }
  }
});

test('invalid UTF-8 and random bytes decode exactly as toString does, and never poison the cache', () => {
  const bad = Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28, 0x61, 0x80]);
  for (let i = 0; i < 3; i++) key(bad, 0, bad.length);
  const rng = new Rng(3);
  for (let n = 0; n < 5000; n++) {
    // Mostly ASCII in a small alphabet so keys repeat and collide; sometimes arbitrary bytes.
    const len = rng.int(0, 12);
    const b = rng.bool(0.2) ? rng.bytes(len) : Buffer.from(Array.from({ length: len }, () => 0x61 + rng.int(0, 3)));
    key(b, 0, len);
  }
});
