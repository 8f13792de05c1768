import assert from 'node:assert/strict';
import { test } from 'node:test';
import { varintAt, varintEnd, varlongAt, zigzag } from '../../../src/kafka-wire/primitives/varint.js';
import { Writer } from '../../../src/kafka-wire/primitives/writer.js';
import { Rng } from '../../support/random.js';

/** Encodes with our Writer behind `pad` junk bytes and before a trailing 0x7f, so reads must stop on their own. */
function at(write: (w: Writer) => Writer, pad = 3): { buf: Buffer; p: number; end: number } {
  const w = new Writer().raw(Buffer.alloc(pad, 0xff));
  const buf = write(w).uint8(0x7f).finish();
  return { buf, p: pad, end: buf.length - 1 };
}

// Each width boundary of the zigzag encoding: 1 byte holds -64..63, 2 bytes -8192..8191, and so on.
const INT32_EDGES = [
  0, -1, 1, 63, -64, 64, -65, 8191, -8192, 8192, -8193, 1048575, -1048576, 1048576, -1048577,
  134217727, -134217728, 134217728, -134217729, 2147483647, -2147483648,
];

test('varintAt/varintEnd at every width boundary, positive and negative', () => {
  for (const v of INT32_EDGES) {
    const { buf, p, end } = at((w) => w.varint(v));
    assert.equal(varintAt(buf, p), v, `value ${v}`);
    assert.equal(varintEnd(buf, p), end, `end of ${v}`);
    assert.equal(varlongAt(buf, p), v, `as varlong ${v}`);
  }
});

test('varlongAt: numbers within ±2^52, exact bigints beyond', () => {
  const edges = [
    ...INT32_EDGES.map(BigInt), 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 52n - 1n, -(2n ** 52n), 2n ** 52n, -(2n ** 52n) - 1n,
    2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 62n, -(2n ** 62n) - 1n, 2n ** 63n - 1n, -(2n ** 63n),
  ];
  for (const v of edges) {
    const { buf, p, end } = at((w) => w.varlong(v));
    const got = varlongAt(buf, p);
    // The zigzag-encoded value must be a safe integer, which halves the range.
    assert.equal(typeof got, v >= -(2n ** 52n) && v < 2n ** 52n ? 'number' : 'bigint', `type of ${v}`);
    assert.equal(BigInt(got), v, `value ${v}`);
    assert.equal(varintEnd(buf, p), end, `end of ${v}`);
  }
});

test('random varints and varlongs round-trip', () => {
  const rng = new Rng(11);
  for (let n = 0; n < 2000; n++) {
    const v = rng.int(0, 0xffffffff) | 0;
    const { buf, p, end } = at((w) => w.varint(v), rng.int(0, 5));
    assert.equal(varintAt(buf, p), v);
    assert.equal(varintEnd(buf, p), end);
    const l = rng.int64();
    const x = at((w) => w.varlong(l));
    assert.equal(BigInt(varlongAt(x.buf, x.p)), l);
    assert.equal(varintEnd(x.buf, x.p), x.end);
  }
});

test('non-minimal encodings are accepted, as the Java reader does', () => {
  const buf = Buffer.from([0x80, 0x00, 0x94, 0x80, 0x00, 0x81, 0x80, 0x80, 0x00]);
  assert.equal(varintAt(buf, 0), 0);
  assert.equal(varintEnd(buf, 0), 2);
  assert.equal(varintAt(buf, 2), 10);
  assert.equal(varintEnd(buf, 2), 5);
  assert.equal(varintAt(buf, 5), -1);
  assert.equal(varlongAt(buf, 5), -1);
  assert.equal(varintEnd(buf, 5), 9);
});

test('cut-off and over-long encodings are NaN', () => {
  for (const hex of ['', '80', 'ff', 'ffff', 'ffffff', 'ffffffff', 'ffffffffff', 'ffffffff10', 'ffffffff7f']) {
    assert.ok(Number.isNaN(varintAt(Buffer.from(hex, 'hex'), 0)), `varint ${hex}`);
  }
  for (const hex of ['', '80', 'ff', 'ffffffffffffffffff', 'ffffffffffffffffffff', 'ffffffffffffffffffff01']) {
    assert.ok(Number.isNaN(varlongAt(Buffer.from(hex, 'hex'), 0)), `varlong ${hex}`);
  }
  // The widest legal varlong: ten bytes.
  assert.equal(varlongAt(Buffer.from('ffffffffffffffffff01', 'hex'), 0), -(2n ** 63n));
  // The widest legal varint: a fifth byte with 4 payload bits.
  assert.equal(varintAt(Buffer.from('ffffffff0f', 'hex'), 0), -2147483648);
  // varintEnd never runs more than 10 bytes or past the end of the buffer.
  assert.equal(varintEnd(Buffer.alloc(20, 0xff), 0), 10);
  assert.equal(varintEnd(Buffer.from('ffff', 'hex'), 0), 3);
});

test('zigzag', () => {
  assert.deepEqual([0, 1, 2, 3, 0xfffffffe, 0xffffffff].map(zigzag), [0, -1, 1, -2, 2147483647, -2147483648]);
});
