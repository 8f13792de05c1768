import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeZstd } from '../../../../src/kafka-wire/records/codecs/zstd.js';
import { encodeZstd } from '../../../../src/kafka-wire/records/codecs/zstd-encoder.js';
import { xxHash64Low32 } from '../../../../src/kafka-wire/records/codecs/xxhash.js';
import { input, prng, randomBytes, structuredBytes, throwsCompression } from './support.js';

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Block_Header (RFC 8878 section 3.1.1.2): Last_Block, Block_Type, Block_Size, little-endian. */
function blockHeader(last: boolean, type: number, size: number): number[] {
  const h = (last ? 1 : 0) | (type << 1) | (size << 3);
  return [h & 0xff, (h >>> 8) & 0xff, h >>> 16];
}

function frame(...parts: (number[] | Uint8Array)[]): Buffer {
  return Buffer.concat(parts.map((p) => Uint8Array.from(p)));
}

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

function le32(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return [...b];
}

test('round trips through our encoder (predefined/RLE/repeat tables, repeat offsets, RLE and raw blocks)', () => {
  const rnd = prng(8);
  for (const size of [0, 1, 2, 3, 100, 255, 256, 257, 4096, 65791, 65792, 131072, 131073, 300_000, 700_000]) {
    for (const gen of [structuredBytes, randomBytes]) {
      const data = gen(rnd, size);
      for (const checksum of [false, true]) {
        const z = encodeZstd(data, { checksum });
        assert.ok(decodeZstd(z).equals(data), `${gen.name} ${size} checksum=${checksum}`);
      }
    }
  }
  const zeros = encodeZstd(Buffer.alloc(1 << 20));
  assert.ok(zeros.length < 100, 'RLE blocks');
  assert.ok(encodeZstd(input('json.jsonl')).length < input('json.jsonl').length / 3);
});

test('every Frame_Header_Descriptor variant (FCS 0/1/2/4/8 bytes, window or single segment, DID 0/1/2/4)', () => {
  const content = Buffer.alloc(300, 0x61);
  content.write('zstd frame header test', 0);
  let n = 0;
  for (const fcsFlag of [0, 1, 2, 3]) {
    for (const single of [false, true]) {
      for (const didFlag of [0, 1, 2, 3]) {
        for (const checksum of [false, true]) {
          const fcsSize = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
          const body = fcsSize === 1 ? content.subarray(0, 200) : content;
          const fhd = (fcsFlag << 6) | (single ? 0x20 : 0) | (checksum ? 0x04 : 0) | didFlag;
          const header: number[] = [fhd];
          if (!single) header.push(0x00); // Window_Descriptor: 1 KiB
          header.push(...new Array<number>([0, 1, 2, 4][didFlag]!).fill(0)); // Dictionary_ID 0 = none
          const fcs = Buffer.alloc(8);
          fcs.writeUInt32LE(fcsSize === 2 ? body.length - 256 : body.length, 0);
          header.push(...fcs.subarray(0, fcsSize));
          const tail = checksum ? le32(xxHash64Low32(body)) : [];
          const f = frame(MAGIC, header, blockHeader(true, 0, body.length), body, tail);
          assert.ok(decodeZstd(f).equals(body), `fcs ${fcsFlag} single ${single} did ${didFlag} checksum ${checksum}`);
          n++;
        }
      }
    }
  }
  assert.equal(n, 64);
});

test('frame header errors: reserved bit, dictionary ids, content size, checksum', () => {
  const hello = ascii('hello');
  const ok = frame(MAGIC, [0x20, 5], blockHeader(true, 0, 5), hello);
  assert.equal(decodeZstd(ok).toString(), 'hello');
  assert.equal(decodeZstd(frame(MAGIC, [0x30, 5], blockHeader(true, 0, 5), hello)).toString(), 'hello', 'unused bit ignored');
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x28, 5], blockHeader(true, 0, 5), hello)), 'corrupt');
  for (const [flag, did] of [
    [1, [7]],
    [2, [7, 0]],
    [3, [0, 0, 0, 0x80]],
  ] as const) {
    const err = throwsCompression(() => decodeZstd(frame(MAGIC, [0x20 | flag, ...did, 5], blockHeader(true, 0, 5), hello)), 'unsupported');
    assert.match(err.message, /dictionaries unsupported/);
  }
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x20, 6], blockHeader(true, 0, 5), hello)), 'corrupt'); // FCS 6 vs 5
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x20, 4], blockHeader(true, 0, 5), hello)), 'corrupt'); // block > window
  const sum = le32(xxHash64Low32(Buffer.from(hello)));
  assert.equal(decodeZstd(frame(MAGIC, [0x24, 5], blockHeader(true, 0, 5), hello, sum)).toString(), 'hello');
  const bad = [sum[0]! ^ 1, ...sum.slice(1)];
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x24, 5], blockHeader(true, 0, 5), hello, bad)), 'checksum');
  assert.equal(decodeZstd(frame(MAGIC, [0x24, 5], blockHeader(true, 0, 5), hello, bad), { verifyChecksum: false }).toString(), 'hello');
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x24, 5], blockHeader(true, 0, 5), hello, sum.slice(0, 3))), 'truncated');
});

test('blocks: RLE, reserved type, sizes over Block_Maximum_Size, missing last block', () => {
  assert.ok(decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 1, 1000), [0x7a])).equals(Buffer.alloc(1000, 0x7a)));
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 1, 1025), [0x7a])), 'corrupt'); // 1 KiB window
  // Window_Descriptor 0x40: 256 KiB window, so Block_Maximum_Size is the 128 KiB cap.
  assert.equal(decodeZstd(frame(MAGIC, [0x00, 0x40], blockHeader(true, 1, 1 << 17), [0x7a])).length, 1 << 17);
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x40], blockHeader(true, 1, (1 << 17) + 1), [0x7a])), 'corrupt');
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 3, 1), [0x7a])), 'corrupt');
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(false, 0, 2), [1, 2])), 'truncated');
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 0, 2), [1])), 'truncated');
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 2, 0))), 'corrupt');
});

// Compressed blocks assembled by hand with RLE_Mode tables: RLE tables have a zero accuracy log,
// so the sequence bitstream holds only extra bits and the end marker (RFC 8878 section 3.1.1.3.2).
const SEQ_ALL_RLE = 0x54; // Literals_Lengths_Mode, Offsets_Mode, Match_Lengths_Mode = RLE_Mode

test('hand-built sequences: initial repeat offsets {1, 4, 8}, new offsets, overlapping matches', () => {
  const win = [0x00, 0x00];
  // 8 raw bytes, then ll 0, Offset_Value 2 (code 1, extra bit 0): with ll = 0 this is
  // Repeated_Offset3 = 8; match length code 1 = 4 bytes.
  const rep3 = [0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x01, 0x01, 0b10];
  const f1 = frame(MAGIC, win, blockHeader(false, 0, 8), ascii('abcdefgh'), blockHeader(true, 2, rep3.length), rep3);
  assert.equal(decodeZstd(f1).toString(), 'abcdefghabcd');
  // 2 literals "XY", Offset_Value 1 with ll > 0 = Repeated_Offset1 = 1, match 4: "XYYYYY".
  const rep1 = [0x10, ...ascii('XY'), 0x01, SEQ_ALL_RLE, 0x02, 0x00, 0x01, 0b1];
  assert.equal(decodeZstd(frame(MAGIC, win, blockHeader(true, 2, rep1.length), rep1)).toString(), 'XYYYYY');
  // Offset code 3 with extra bits 2: Offset_Value 10, offset 7.
  const off7 = [0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x03, 0x01, 0b1010];
  const f2 = frame(MAGIC, win, blockHeader(false, 0, 7), ascii('abcdefg'), blockHeader(true, 2, off7.length), off7);
  assert.equal(decodeZstd(f2).toString(), 'abcdefgabcd');
  // The same block alone in a second frame: offsets never reach into a previous frame.
  const alone = frame(MAGIC, win, blockHeader(true, 0, 7), ascii('abcdefg'), MAGIC, win, blockHeader(true, 2, off7.length), off7);
  throwsCompression(() => decodeZstd(alone), 'corrupt');
  // ll 0 and Offset_Value 3 means Repeated_Offset1 - 1, which is 0 at frame start: corrupt.
  const zero = [0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x01, 0x01, 0b11];
  throwsCompression(() => decodeZstd(frame(MAGIC, win, blockHeader(false, 0, 8), ascii('abcdefgh'), blockHeader(true, 2, zero.length), zero)), 'corrupt');
});

test('hand-built sequences: section errors', () => {
  const win = [0x00, 0x00];
  const block = (content: number[]): Buffer => frame(MAGIC, win, blockHeader(false, 0, 8), ascii('abcdefgh'), blockHeader(true, 2, content.length), content);
  throwsCompression(() => decodeZstd(block([0x00, 0x01, 0xfc, 0x01])), 'corrupt'); // Repeat_Mode with no previous table
  throwsCompression(() => decodeZstd(block([0x00, 0x01, 0x55, 0x00, 0x01, 0x01, 0x02])), 'corrupt'); // reserved mode bits
  throwsCompression(() => decodeZstd(block([0x00, 0x00, 0x99])), 'corrupt'); // bytes after Number_of_Sequences = 0
  throwsCompression(() => decodeZstd(block([0x00, 0x01, SEQ_ALL_RLE, 0x24, 0x01, 0x01, 0x02])), 'corrupt'); // LL symbol 36
  throwsCompression(() => decodeZstd(block([0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x20, 0x01, 0x02])), 'corrupt'); // OF symbol 32
  throwsCompression(() => decodeZstd(block([0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x01, 0x35, 0x02])), 'corrupt'); // ML symbol 53
  throwsCompression(() => decodeZstd(block([0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x01, 0x01, 0x00])), 'corrupt'); // no end marker
  throwsCompression(() => decodeZstd(block([0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x01, 0x01, 0b100])), 'corrupt'); // a bit left over
  throwsCompression(() => decodeZstd(block([0x00, 0x01, SEQ_ALL_RLE, 0x02, 0x01, 0x01, 0b10])), 'corrupt'); // needs 2 literals, has 0
  throwsCompression(() => decodeZstd(block([0x00, 0x01, SEQ_ALL_RLE, 0x00, 0x01])), 'truncated'); // RLE symbol missing
  throwsCompression(() => decodeZstd(block([0x00])), 'truncated'); // no sequences section
  throwsCompression(() => decodeZstd(block([0x03, 0x00, 0x00, 0x00])), 'corrupt'); // treeless literals, no Huffman table
  throwsCompression(() => decodeZstd(block([0x04])), 'truncated'); // 2-byte raw literals header cut
  throwsCompression(() => decodeZstd(block([0x18, 0x41])), 'truncated'); // 3 raw literals, 1 present
});

test('hand-built literals: Huffman tree in direct representation, then a treeless block reusing it', () => {
  // Huffman_Tree_Description with headerByte 127 + 98: 4-bit weights of symbols 0..97, all 0 but
  // 'a' (97) = 1; the implied last symbol 'b' (98) gets weight 1. Two 1-bit codes: a = 0, b = 1.
  const weights = new Array<number>(49).fill(0);
  weights[48] = 0x01; // symbol 97 is odd: low nibble of byte 48
  // One stream for "abba": first symbol just below the end marker: 1 | 0 1 1 0.
  const stream = [0b10110];
  const comp = 1 + weights.length + stream.length;
  const h = 2 | (0 << 2) | (4 << 4) | (comp << 14); // Compressed_Literals_Block, 1 stream, 3-byte header
  const block1 = [h & 0xff, (h >>> 8) & 0xff, h >>> 16, 127 + 98, ...weights, ...stream, 0x00];
  // Treeless_Literals_Block for "baab" with the same table.
  const t = 3 | (4 << 4) | (1 << 14);
  const block2 = [t & 0xff, (t >>> 8) & 0xff, t >>> 16, 0b11001, 0x00];
  const f = frame(MAGIC, [0x00, 0x00], blockHeader(false, 2, block1.length), block1, blockHeader(true, 2, block2.length), block2);
  assert.equal(decodeZstd(f).toString(), 'abbabaab');
  // The same treeless block at the start of a frame has no table to reuse.
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 2, block2.length), block2)), 'corrupt');
  // A stream that leaves bits unread, and one that runs out, are corrupt.
  const loose = [...block1];
  loose[3 + 1 + 49] = 0b110110; // one extra leading bit
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 2, loose.length), loose)), 'corrupt');
  const short = [...block1];
  short[3 + 1 + 49] = 0b1011; // three symbols' worth of bits for four symbols
  throwsCompression(() => decodeZstd(frame(MAGIC, [0x00, 0x00], blockHeader(true, 2, short.length), short)), 'corrupt');
});

test('hand-built sequences: 3-byte Number_of_Sequences (>= 0x7F00) with zero-bit sequences', () => {
  // All three tables in RLE_Mode with symbol 0: ll 0, match length 3, Offset_Value 1 with ll 0 =
  // Repeated_Offset2. No sequence needs a bit, so the bitstream is only the end marker.
  const count = 0x7f00 + 100;
  const content = [0x00, 0xff, 100, 0, SEQ_ALL_RLE, 0x00, 0x00, 0x00, 0x01];
  const f = frame(MAGIC, [0x00, 0x40], blockHeader(false, 0, 8), ascii('abcdefgh'), blockHeader(true, 2, content.length), content);
  // Reference: repeat offsets start at {1, 4, 8}; each sequence swaps the first two.
  const want = [...Buffer.from('abcdefgh')];
  let rep1 = 1;
  let rep2 = 4;
  for (let i = 0; i < count; i++) {
    const offset = rep2;
    rep2 = rep1;
    rep1 = offset;
    for (let k = 0; k < 3; k++) want.push(want[want.length - offset]!);
  }
  const out = decodeZstd(f);
  assert.equal(out.length, 8 + 3 * count);
  assert.ok(out.equals(Buffer.from(want)));
});

test('skippable frames, concatenation and trailing garbage', () => {
  const a = encodeZstd(Buffer.from('one '));
  const b = encodeZstd(Buffer.from('two'), { checksum: true });
  const skip = frame([0x5e, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
  assert.equal(decodeZstd(Buffer.concat([skip, a, skip, b])).toString(), 'one two');
  assert.equal(decodeZstd(skip).length, 0);
  throwsCompression(() => decodeZstd(Buffer.concat([a, skip.subarray(0, 9)])), 'truncated');
  throwsCompression(() => decodeZstd(Buffer.concat([a, Buffer.from([0x28, 0xb5])])), 'truncated');
  throwsCompression(() => decodeZstd(Buffer.concat([a, Buffer.from([1, 2, 3, 4])])), 'corrupt');
  throwsCompression(() => decodeZstd(new Uint8Array(0)), 'truncated');
  throwsCompression(() => decodeZstd(Uint8Array.from(MAGIC)), 'truncated');
});

test('maxOutputBytes: declared sizes, RLE bombs and compressed output all stop at the limit', () => {
  const data = structuredBytes(prng(9), 200_000);
  const z = encodeZstd(data);
  assert.equal(decodeZstd(z, { maxOutputBytes: 200_000 }).length, 200_000);
  throwsCompression(() => decodeZstd(z, { maxOutputBytes: 199_999 }), 'limit'); // Frame_Content_Size
  const bomb = encodeZstd(Buffer.alloc(8 << 20));
  const err = throwsCompression(() => decodeZstd(bomb, { maxOutputBytes: 1 << 20 }), 'limit');
  assert.equal(err.code, 'KWIRE_ERR_COMPRESSION_LIMIT');
  // Without Frame_Content_Size (the zstd-jni case), compressed blocks hit the limit while decoding.
  const noSize = frame(MAGIC, [0x00, 0x58], z.subarray(9)); // same blocks, 2 MiB window, no FCS
  assert.ok(decodeZstd(noSize).equals(data));
  throwsCompression(() => decodeZstd(noSize, { maxOutputBytes: 150_000 }), 'limit');
});
