/**
 * Writes bench/fixtures/zstd-1000x100.bin: input `1000x100` as a zstd-compressed v2 batch.
 *
 * Node 20's zlib cannot compress zstd and our codec module only decompresses it, so the batch is
 * made once, offline, and committed; the benchmark never shells out. Steps:
 *   1. encode the 1000x100 records uncompressed with our encoder (bench/inputs.ts);
 *   2. pipe the records section (everything after the 61-byte batch header) through
 *      `zstd -3 --no-check -q -c` on stdin: a single frame without Frame_Content_Size or content
 *      checksum, which is what the Java producer's zstd-jni stream writes;
 *   3. reuse the batch header with attributes |= 4 (zstd), batchLength fixed up, CRC-32C recomputed.
 * It then decompresses the result with our decoder and checks it equals step 1's records section.
 *
 *   cd /work/main && ./node_modules/.bin/tsc -p tsconfig.json && node dist/bench/make-zstd-fixture.js
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { crc32c, decompress } from '../src/kafka-wire/index.js';
import { benchDir, plainBatch, SHAPE_1000X100, V2_HEADER_SIZE, ZSTD_FIXTURE } from './inputs.js';

const ZSTD_CODEC = 4;
const BATCH_LENGTH_AT = 8;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;

const plain = plainBatch(SHAPE_1000X100);
const section = plain.subarray(V2_HEADER_SIZE);
const compressed = execFileSync('zstd', ['-3', '--no-check', '-q', '-c'], { input: section, maxBuffer: 64 << 20 });
const out = Buffer.alloc(V2_HEADER_SIZE + compressed.length);
plain.copy(out, 0, 0, V2_HEADER_SIZE);
compressed.copy(out, V2_HEADER_SIZE);
out.writeInt32BE(out.length - 12, BATCH_LENGTH_AT);
out.writeInt16BE(out.readInt16BE(ATTRIBUTES_AT) | ZSTD_CODEC, ATTRIBUTES_AT);
out.writeUInt32BE(crc32c(out, ATTRIBUTES_AT), CRC_AT);

const back = decompress(ZSTD_CODEC, out.subarray(V2_HEADER_SIZE));
if (!back.equals(section)) throw new Error('zstd round trip through our decoder does not give back the records section');

const file = join(benchDir(), ZSTD_FIXTURE);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, out);
const version = execFileSync('zstd', ['--version'], { encoding: 'utf8' }).trim();
console.log(`wrote ${file}: ${out.length} B (records section ${section.length} B -> ${compressed.length} B), ${version}`);
