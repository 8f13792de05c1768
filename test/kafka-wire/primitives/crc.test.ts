import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, crc32c } from '../../../src/kafka-wire/primitives/crc.js';
import { Rng } from '../../support/random.js';

/** Bit-at-a-time reference: slow, but obviously the textbook algorithm. */
function reference(poly: number, buf: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= buf[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ poly : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const CASTAGNOLI = 0x82f63b78;
const IEEE = 0xedb88320;

test('check values of the CRC catalogue ("123456789")', () => {
  const check = Buffer.from('123456789');
  assert.equal(crc32c(check), 0xe3069283);
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43); // RFC 3720 B.4: 32 bytes of 0xff
});

test('every start alignment and every length up to 300 match the reference (byte and word loops)', () => {
  const rng = new Rng(32);
  const data = rng.bytes(320);
  for (let start = 0; start < 8; start++) {
    for (let len = 0; len <= 300; len++) {
      const end = start + len;
      assert.equal(crc32c(data, start, end), reference(CASTAGNOLI, data, start, end), `crc32c start ${start} length ${len}`);
      assert.equal(crc32(data, start, end), reference(IEEE, data, start, end), `crc32 start ${start} length ${len}`);
    }
  }
});

test('views at unaligned byteOffsets (pooled Buffers, subarrays) match the reference', () => {
  const rng = new Rng(7);
  const backing = rng.bytes(4096 + 16);
  for (let shift = 0; shift < 8; shift++) {
    const view = backing.subarray(shift, shift + 4096);
    assert.equal(view.byteOffset % 4, shift % 4);
    for (const [start, end] of [[0, 4096], [1, 4095], [3, 70], [5, 64 + 5], [0, 63], [17, 17 + 16 * 9 + 3]] as const) {
      assert.equal(crc32c(view, start, end), reference(CASTAGNOLI, view, start, end), `shift ${shift} [${start}, ${end})`);
      assert.equal(crc32(view, start, end), reference(IEEE, view, start, end), `shift ${shift} [${start}, ${end})`);
    }
  }
  // A plain Uint8Array over a fresh ArrayBuffer, and the default range.
  const u8 = new Uint8Array(backing.buffer.slice(backing.byteOffset + 3, backing.byteOffset + 3 + 1000));
  assert.equal(crc32c(u8), reference(CASTAGNOLI, u8, 0, u8.length));
});

test('random buffers and ranges match the reference', () => {
  const rng = new Rng(2024);
  for (let n = 0; n < 300; n++) {
    const buf = rng.bytes(rng.int(0, 2000));
    const view = buf.subarray(rng.int(0, Math.min(7, buf.length)));
    const start = rng.int(0, view.length);
    const end = rng.int(start, view.length);
    assert.equal(crc32c(view, start, end), reference(CASTAGNOLI, view, start, end), `case ${n}`);
    assert.equal(crc32(view, start, end), reference(IEEE, view, start, end), `case ${n}`);
  }
});
