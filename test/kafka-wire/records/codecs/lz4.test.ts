import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  decodeLz4Block,
  decodeLz4Frame,
  encodeLz4Block,
  encodeLz4Frame,
  type Lz4EncodeOptions,
} from '../../../../src/kafka-wire/records/codecs/lz4.js';
import { xxHash32 } from '../../../../src/kafka-wire/records/codecs/xxhash.js';
import { input, prng, randomBytes, structuredBytes, throwsCompression } from './support.js';

const SIZES = [0, 1, 5, 12, 13, 64, 1000, 65535, 65536, 65537, 200_000, 600_000];

test('frames round-trip over seeded random inputs with every encoder option', () => {
  const rnd = prng(3);
  const variants: Lz4EncodeOptions[] = [
    {},
    { independentBlocks: false },
    { blockChecksum: true, contentChecksum: true },
    { contentSize: true, blockSizeCode: 5 },
    { blockSizeCode: 6, independentBlocks: false, blockChecksum: true },
    { blockSizeCode: 7, contentChecksum: true, contentSize: true },
    { legacyHeaderChecksum: true },
  ];
  for (const size of SIZES) {
    const data = (size % 2 === 0 ? structuredBytes : randomBytes)(rnd, size);
    for (const opts of variants) {
      const frame = encodeLz4Frame(data, opts);
      assert.ok(decodeLz4Frame(frame).equals(data), `size ${size} ${JSON.stringify(opts)}`);
    }
  }
});

test('raw blocks round-trip, and the encoder keeps the end-of-block rules', () => {
  const rnd = prng(4);
  for (const size of SIZES) {
    const data = structuredBytes(rnd, size);
    const block = encodeLz4Block(data);
    assert.ok(decodeLz4Block(block).equals(data), `size ${size}`);
    // lz4_Block_format.md: the last sequence is literals only and covers at least the last 5 bytes.
    if (size >= 13) {
      const tokenLit = block[findLastToken(block)]! >>> 4;
      assert.ok(tokenLit >= 5 || tokenLit === 15);
    }
  }
  assert.ok(encodeLz4Block(input('text.txt')).length < input('text.txt').length * 0.7);
});

/** Position of the last sequence's token in an LZ4 block (walks the sequences). */
function findLastToken(b: Uint8Array): number {
  let ip = 0;
  for (;;) {
    const token = ip;
    let lit = b[ip++]! >>> 4;
    if (lit === 15) {
      let x: number;
      do {
        x = b[ip++]!;
        lit += x;
      } while (x === 255);
    }
    ip += lit;
    if (ip >= b.length) return token;
    ip += 2;
    if ((b[token]! & 15) === 15) while (b[ip++] === 255);
  }
}

test('default header is what Java Kafka writes; the legacy option writes the magic-0 HC', () => {
  const data = Buffer.from('hello hello hello\n');
  assert.deepEqual([...encodeLz4Frame(data).subarray(0, 7)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
  assert.deepEqual([...encodeLz4Frame(data, { legacyHeaderChecksum: true }).subarray(0, 7)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x1a]);
  const legacy = encodeLz4Frame(data, { legacyHeaderChecksum: true });
  throwsCompression(() => decodeLz4Frame(legacy, { headerChecksum: 'strict' }), 'checksum');
  assert.ok(decodeLz4Frame(legacy, { headerChecksum: 'ignore' }).equals(data));
  const wrong = Buffer.from(encodeLz4Frame(data));
  wrong[6] = 0x00;
  throwsCompression(() => decodeLz4Frame(wrong), 'checksum');
  assert.ok(decodeLz4Frame(wrong, { headerChecksum: 'ignore' }).equals(data));
});

test('incompressible blocks are stored with the high bit and decoded as is', () => {
  const data = randomBytes(prng(5), 70_000);
  const frame = encodeLz4Frame(data, { blockChecksum: true });
  assert.equal(frame.readUInt32LE(7), (65536 | 0x80000000) >>> 0);
  assert.ok(decodeLz4Frame(frame).equals(data));
});

test('skippable frames and concatenated frames', () => {
  const a = encodeLz4Frame(Buffer.from('first '));
  const b = encodeLz4Frame(Buffer.from('second'), { contentChecksum: true });
  const skip = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  assert.equal(decodeLz4Frame(Buffer.concat([skip, a, skip, b, skip])).toString(), 'first second');
  throwsCompression(() => decodeLz4Frame(Buffer.concat([a, skip.subarray(0, 9)])), 'truncated');
  throwsCompression(() => decodeLz4Frame(Buffer.concat([a, Buffer.from([1, 2])])), 'truncated');
  throwsCompression(() => decodeLz4Frame(Buffer.concat([a, Buffer.from([1, 2, 3, 4])])), 'corrupt');
});

/** Rewrites the descriptor of a frame and fixes its header checksum. */
function withDescriptor(frame: Buffer, flg: number, bd: number): Buffer {
  const f = Buffer.from(frame);
  f[4] = flg;
  f[5] = bd;
  f[6] = (xxHash32(f, 0, 4, 6) >>> 8) & 0xff;
  return f;
}

test('frame descriptor validation', () => {
  const frame = encodeLz4Frame(input('small.txt'));
  throwsCompression(() => decodeLz4Frame(Buffer.from([0x05, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0, 0, 0, 0])), 'corrupt');
  throwsCompression(() => decodeLz4Frame(withDescriptor(frame, 0xa0, 0x40)), 'unsupported'); // version 10
  throwsCompression(() => decodeLz4Frame(withDescriptor(frame, 0x62, 0x40)), 'corrupt'); // reserved FLG bit
  throwsCompression(() => decodeLz4Frame(withDescriptor(frame, 0x60, 0x41)), 'corrupt'); // reserved BD bits
  throwsCompression(() => decodeLz4Frame(withDescriptor(frame, 0x60, 0x30)), 'corrupt'); // block size code 3
  const legacy = Buffer.from([0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0]);
  throwsCompression(() => decodeLz4Frame(legacy), 'unsupported');
  // Dictionary id present (FLG bit 0, 4 more descriptor bytes).
  const dict = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x61, 0x40, 1, 2, 3, 4, 0, 0, 0, 0, 0]);
  dict[10] = (xxHash32(dict, 0, 4, 10) >>> 8) & 0xff;
  throwsCompression(() => decodeLz4Frame(dict), 'unsupported');
  throwsCompression(() => decodeLz4Frame(new Uint8Array(0)), 'truncated');
});

test('block and content checksums are verified (and can be skipped)', () => {
  const data = structuredBytes(prng(6), 150_000);
  const frame = encodeLz4Frame(data, { blockChecksum: true, contentChecksum: true });
  const badBlock = Buffer.from(frame);
  const firstSize = badBlock.readUInt32LE(7) & 0x7fffffff;
  badBlock[11 + firstSize] = badBlock[11 + firstSize]! ^ 0xff; // first block's checksum
  throwsCompression(() => decodeLz4Frame(badBlock), 'checksum');
  assert.ok(decodeLz4Frame(badBlock, { verifyChecksums: false }).equals(data));
  const badContent = Buffer.from(frame);
  badContent[badContent.length - 1] = badContent[badContent.length - 1]! ^ 0x01;
  throwsCompression(() => decodeLz4Frame(badContent), 'checksum');
  assert.ok(decodeLz4Frame(badContent, { verifyChecksums: false }).equals(data));
});

test('linked blocks reach into the previous block; an independent frame may not', () => {
  const text = input('text.txt');
  const linked = encodeLz4Frame(text, { independentBlocks: false });
  assert.ok(linked.length < encodeLz4Frame(text).length, 'linking helps the ratio');
  assert.ok(decodeLz4Frame(linked).equals(text));
  // Claim independence: some match of block 2 now points before its block start.
  const lying = withDescriptor(linked, linked[4]! | 0x20, linked[5]!);
  const err = throwsCompression(() => decodeLz4Frame(lying), 'corrupt');
  assert.match(err.message, /window/);
});

test('content size is checked against the produced bytes', () => {
  const data = input('small.txt');
  const frame = encodeLz4Frame(data, { contentSize: true });
  const bigger = Buffer.from(frame);
  bigger.writeUInt32LE(data.length + 1, 6);
  bigger[14] = (xxHash32(bigger, 0, 4, 14) >>> 8) & 0xff;
  throwsCompression(() => decodeLz4Frame(bigger), 'corrupt');
  const smaller = Buffer.from(frame);
  smaller.writeUInt32LE(data.length - 1, 6);
  smaller[14] = (xxHash32(smaller, 0, 4, 14) >>> 8) & 0xff;
  throwsCompression(() => decodeLz4Frame(smaller), 'corrupt');
});

test('corrupt blocks fail typed', () => {
  // A block whose match offset is 0, then one pointing before the output start.
  throwsCompression(() => decodeLz4Block(Uint8Array.of(0x10, 0x61, 0x00, 0x00)), 'corrupt');
  throwsCompression(() => decodeLz4Block(Uint8Array.of(0x10, 0x61, 0x02, 0x00)), 'corrupt');
  throwsCompression(() => decodeLz4Block(Uint8Array.of(0x10, 0x61, 0x01)), 'truncated'); // offset cut
  throwsCompression(() => decodeLz4Block(Uint8Array.of(0xf0)), 'truncated'); // literal length cut
  throwsCompression(() => decodeLz4Block(Uint8Array.of(0x30, 0x61)), 'truncated'); // literals cut
  throwsCompression(() => decodeLz4Block(Uint8Array.of(0x1f, 0x61, 0x01, 0x00)), 'truncated'); // match length cut
  throwsCompression(() => decodeLz4Block(new Uint8Array(0)), 'truncated');
  // Overlapping match: 'a' then offset 1 length 4+3.
  assert.equal(decodeLz4Block(Uint8Array.of(0x13, 0x61, 0x01, 0x00, 0x00)).toString(), 'aaaaaaaa');
  // Block larger than the frame's block maximum.
  const frame = Buffer.from(encodeLz4Frame(input('small.txt')));
  frame.writeUInt32LE(65537, 7);
  throwsCompression(() => decodeLz4Frame(frame), 'corrupt');
});

test('maxOutputBytes: bombs, declared sizes and stored blocks fail typed before large allocations', () => {
  const bomb = encodeLz4Frame(Buffer.alloc(8 << 20));
  assert.ok(bomb.length < (8 << 20) / 200);
  assert.equal(decodeLz4Frame(bomb, { maxOutputBytes: 8 << 20 }).length, 8 << 20);
  const err = throwsCompression(() => decodeLz4Frame(bomb, { maxOutputBytes: 1 << 20 }), 'limit');
  assert.equal(err.code, 'KWIRE_ERR_COMPRESSION_LIMIT');
  throwsCompression(() => decodeLz4Frame(encodeLz4Frame(Buffer.alloc(1000), { contentSize: true }), { maxOutputBytes: 999 }), 'limit');
  throwsCompression(() => decodeLz4Frame(encodeLz4Frame(randomBytes(prng(7), 5000)), { maxOutputBytes: 4999 }), 'limit');
  throwsCompression(() => decodeLz4Block(encodeLz4Block(Buffer.alloc(100_000)), { maxOutputBytes: 1000 }), 'limit');
});
