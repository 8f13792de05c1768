/**
 * Snappy (Kafka codec 2): raw blocks per google/snappy format_description.txt, and the
 * xerial snappy-java stream framing that Java clients and brokers write
 * (../shared/kafka-protocol/record-format.md, "snappy (codec 2)").
 *
 * Raw block grammar (format_description.txt):
 *
 *   block    = uvarint(uncompressedLength) element*
 *   element  = literal | copy1 | copy2 | copy4       (low 2 bits of the tag byte)
 *   literal  = tag 00: len-1 in tag bits 2..7 if < 60, else 60..63 = 1..4 LE bytes of len-1 follow
 *   copy1    = tag 01: len-4 in bits 2..4, offset bits 8..10 in bits 5..7, then 1 byte offset low
 *   copy2    = tag 10: len-1 in bits 2..7, then 2-byte LE offset
 *   copy4    = tag 11: len-1 in bits 2..7, then 4-byte LE offset
 *
 * xerial framing:
 *
 *   stream   = header chunk*
 *   header   = 82 53 4E 41 50 50 59 00 | int32 version (1) | int32 minCompatibleVersion (1)
 *   chunk    = int32 BE compressedLength | raw block   (or a repeated header, see below)
 *
 * Raw blocks are decoded by the WebAssembly module of wasm.ts (snappy_block in wasm/codecs.c) when
 * it loads and the input fits its memory, and otherwise by decodeElements below, with the same
 * checks and failures.
 */
import { CompressionError, resolveMaxOutput } from './errors.js';
import { SNAPPY_WASM_ERRORS, snappyWasmBlock, snappyWasmErrorPos, snappyWasmFrame, wasmRelease } from './wasm.js';

/** Options for the snappy decoders. */
export interface SnappyDecodeOptions {
  /** Largest decompressed size accepted, in bytes (default 64 MiB). */
  readonly maxOutputBytes?: number | undefined;
  /**
   * Memory for the output (default: a Buffer of its own). Snappy declares its decompressed size
   * up front, so the output is allocated once at its exact size.
   */
  readonly alloc?: ((size: number) => Buffer) | undefined;
}

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00] as const;
const XERIAL_HEADER_LEN = 16;
/** Distance from the block's ends inside which decodeElements' fast loop runs (> 1 + 64 + 8). */
const FAST_MARGIN = 80;
/** snappy-java's default block size: the writer compresses at most 32 KiB of input per chunk. */
export const XERIAL_DEFAULT_BLOCK_SIZE = 32 * 1024;

function fail(reason: 'truncated' | 'corrupt' | 'limit', message: string, offset: number): never {
  throw new CompressionError('snappy', reason, message, offset);
}

function hasXerialMagic(b: Uint8Array, pos: number): boolean {
  if (b.length - pos < XERIAL_MAGIC.length) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) {
    if (b[pos + i] !== XERIAL_MAGIC[i]) return false;
  }
  return true;
}

// Varint reader result registers (no per-call object allocation).
let varintValue = 0;
let varintEnd = 0;

/**
 * Reads the preamble uvarint of a raw block in [pos, end). format_description.txt caps the
 * uncompressed length at 2^32-1, so at most 5 bytes.
 */
function readLengthVarint(b: Uint8Array, pos: number, end: number): void {
  let value = 0;
  let shift = 0;
  let p = pos;
  for (;;) {
    if (p >= end) fail('truncated', 'uncompressed length varint is cut off', p);
    const byte = b[p++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift >= 35) fail('corrupt', 'uncompressed length varint is longer than 5 bytes', pos);
  }
  if (value > 0xffffffff) fail('corrupt', 'uncompressed length exceeds 2^32-1', pos);
  varintValue = value;
  varintEnd = p;
}

/**
 * Decodes the elements of one raw block from src[ip, end) into out[outStart, outStart+outLen).
 * The preamble varint has already been read. Every length and offset is checked before use.
 */
function decodeElements(src: Uint8Array, ip: number, end: number, out: Uint8Array, outStart: number, outLen: number): void {
  let op = outStart;
  const opEnd = outStart + outLen;
  const srcView = new DataView(src.buffer, src.byteOffset, src.length);
  const outView = new DataView(out.buffer, out.byteOffset, out.length);
  const srcCap = src.length;
  const outCap = out.length;
  // As in lz4.ts: while both cursors are FAST_MARGIN bytes from the ends of the block's input and
  // output, an element with a 1..60-byte literal or a 1..64-byte copy cannot run past either, so
  // only the copy offset is checked per element. Longer literals, 4-byte offsets, short offsets
  // and the last elements go through the careful loop below.
  const ipFast = end - FAST_MARGIN;
  const opFast = opEnd - FAST_MARGIN;
  for (;;) {
    while (ip < ipFast && op < opFast) {
      const tag = src[ip]!;
      const kind = tag & 3;
      if (kind === 0) {
        const n = (tag >>> 2) + 1;
        if (n > 60) break;
        // Wild copy in 4-byte words, 16 at least: up to 64 bytes, inside the margins.
        outView.setUint32(op, srcView.getUint32(ip + 1, true), true);
        outView.setUint32(op + 4, srcView.getUint32(ip + 5, true), true);
        outView.setUint32(op + 8, srcView.getUint32(ip + 9, true), true);
        outView.setUint32(op + 12, srcView.getUint32(ip + 13, true), true);
        for (let i = 16; i < n; i += 4) outView.setUint32(op + i, srcView.getUint32(ip + 1 + i, true), true);
        ip += 1 + n;
        op += n;
        continue;
      }
      let len: number;
      let offset: number;
      if (kind === 1) {
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | src[ip + 1]!;
        if (offset < 8 || offset > op - outStart) break;
        ip += 2;
      } else if (kind === 2) {
        len = (tag >>> 2) + 1;
        offset = src[ip + 1]! | (src[ip + 2]! << 8);
        if (offset < 8 || offset > op - outStart) break;
        ip += 3;
      } else {
        break;
      }
      // 1..64 bytes from 8+ bytes back in 8-byte steps: every word read is final.
      let from = op - offset;
      const stop = op + len;
      do {
        outView.setUint32(op, outView.getUint32(from, true), true);
        outView.setUint32(op + 4, outView.getUint32(from + 4, true), true);
        op += 8;
        from += 8;
      } while (op < stop);
      op = stop;
    }
    if (ip >= end) break;
    const tagPos = ip;
    const tag = src[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (end - ip < extra) fail('truncated', 'literal length is cut off', tagPos);
        n = src[ip]!;
        if (extra > 1) n |= src[ip + 1]! << 8;
        if (extra > 2) n |= src[ip + 2]! << 16;
        if (extra > 3) n = (n | (src[ip + 3]! << 24)) >>> 0;
        ip += extra;
      }
      n += 1;
      if (n > end - ip) fail('truncated', `literal of ${n} bytes runs past the end of the block`, tagPos);
      if (n > opEnd - op) fail('corrupt', 'literal overflows the declared uncompressed length', tagPos);
      if (n <= 16 && ip + 16 <= srcCap && op + 16 <= outCap) {
        // "Wild copy" of 16 bytes: the excess lands past `op`, where later output overwrites it.
        outView.setUint32(op, srcView.getUint32(ip, true), true);
        outView.setUint32(op + 4, srcView.getUint32(ip + 4, true), true);
        outView.setUint32(op + 8, srcView.getUint32(ip + 8, true), true);
        outView.setUint32(op + 12, srcView.getUint32(ip + 12, true), true);
      } else if (n <= 32) {
        for (let i = 0; i < n; i++) out[op + i] = src[ip + i]!;
      } else {
        out.set(src.subarray(ip, ip + n), op);
      }
      ip += n;
      op += n;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip >= end) fail('truncated', 'copy offset is cut off', tagPos);
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[ip++]!;
    } else if (kind === 2) {
      if (end - ip < 2) fail('truncated', 'copy offset is cut off', tagPos);
      len = (tag >>> 2) + 1;
      offset = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
    } else {
      if (end - ip < 4) fail('truncated', 'copy offset is cut off', tagPos);
      len = (tag >>> 2) + 1;
      offset = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24)) >>> 0;
      ip += 4;
    }
    // format_description.txt, 2.2 Copies: an offset of 0, or one reaching back past the start of
    // the decompressed data, can be encoded but is not valid.
    if (offset === 0 || offset > op - outStart) fail('corrupt', `copy offset ${offset} is out of range`, tagPos);
    if (len > opEnd - op) fail('corrupt', 'copy overflows the declared uncompressed length', tagPos);
    let from = op - offset;
    if (offset >= 8 && op + len + 8 <= outCap) {
      // Wild copy in 8-byte steps (len <= 64): the source is 8+ bytes behind, so every word read
      // is final, and the overshoot is overwritten by later output.
      const stop = op + len;
      do {
        outView.setUint32(op, outView.getUint32(from, true), true);
        outView.setUint32(op + 4, outView.getUint32(from + 4, true), true);
        op += 8;
        from += 8;
      } while (op < stop);
      op = stop;
    } else {
      // Overlapping copies repeat the last `offset` bytes, so they must go byte by byte.
      const stop = op + len;
      while (op < stop) out[op++] = out[from++]!;
    }
  }
  if (op !== opEnd) fail('truncated', `block produced ${op - outStart} of ${outLen} declared bytes`, end);
}

/**
 * decodeElements in the WebAssembly module (wasm.ts, snappy_block in wasm/codecs.c) on the input
 * copied by snappyWasmFrame: faster than decodeElements (BENCHMARKS.md, "Codec decoding"), with
 * the same checks and the same errors.
 */
function wasmElements(ip: number, end: number, outStart: number, outLen: number): void {
  const r = snappyWasmBlock(ip, end, outStart, outStart + outLen);
  if (r >= 0) return;
  const [reason, message] = SNAPPY_WASM_ERRORS[r] ?? ['corrupt', `block decoder failed (${r})`];
  fail(reason, message, snappyWasmErrorPos());
}

/**
 * Decodes one raw Snappy block (no framing).
 * @throws CompressionError (`KWIRE_ERR_COMPRESSION`) on corrupt or truncated input,
 *   (`KWIRE_ERR_COMPRESSION_LIMIT`) if the declared length exceeds `maxOutputBytes`.
 */
export function decodeSnappyRaw(input: Uint8Array, opts?: SnappyDecodeOptions): Buffer {
  const max = resolveMaxOutput('snappy', opts?.maxOutputBytes);
  readLengthVarint(input, 0, input.length);
  const outLen = varintValue;
  if (outLen > max) fail('limit', `declared length ${outLen} exceeds maxOutputBytes ${max}`, 0);
  const out = opts?.alloc === undefined ? Buffer.allocUnsafe(outLen) : opts.alloc(outLen);
  const ip = varintEnd;
  const w = snappyWasmFrame(input, outLen);
  if (w === undefined) {
    decodeElements(input, ip, input.length, out, 0, outLen);
  } else {
    try {
      wasmElements(ip, input.length, 0, outLen);
      out.set(w.subarray(0, outLen));
    } finally {
      wasmRelease();
    }
  }
  return out;
}

/**
 * Decodes a Kafka snappy payload: the xerial snappy-java stream when the input starts with the
 * 8-byte xerial magic, otherwise one raw Snappy block (what librdkafka writes). This mirrors
 * snappy-java's `SnappyInputStream` fallback (record-format.md, "snappy (codec 2)").
 * @throws CompressionError (`KWIRE_ERR_COMPRESSION`) on corrupt or truncated input,
 *   (`KWIRE_ERR_COMPRESSION_LIMIT`) if the output would exceed `maxOutputBytes`.
 */
export function decodeSnappy(input: Uint8Array, opts?: SnappyDecodeOptions): Buffer {
  if (!hasXerialMagic(input, 0)) return decodeSnappyRaw(input, opts);
  return decodeXerial(input, resolveMaxOutput('snappy', opts?.maxOutputBytes), opts?.alloc);
}

function decodeXerial(input: Uint8Array, max: number, alloc: ((size: number) => Buffer) | undefined): Buffer {
  const end = input.length;
  // Pass 1: walk the chunk headers and each block's length preamble to size the output once,
  // so the decode below writes straight into a single buffer without concatenation.
  let total = 0;
  let chunks = 0;
  let pos = 0;
  while (pos < end) {
    if (hasXerialMagic(input, pos)) {
      // The stream version and minimum compatible version (both 1) carry no information we use;
      // snappy-java also accepts a repeated header where a chunk length would be.
      if (end - pos < XERIAL_HEADER_LEN) fail('truncated', 'xerial header is cut off', pos);
      pos += XERIAL_HEADER_LEN;
      continue;
    }
    if (end - pos < 4) fail('truncated', 'xerial chunk length is cut off', pos);
    const chunkLen = ((input[pos]! << 24) | (input[pos + 1]! << 16) | (input[pos + 2]! << 8) | input[pos + 3]!) | 0;
    if (chunkLen < 0) fail('corrupt', `negative xerial chunk length ${chunkLen}`, pos);
    if (chunkLen > end - pos - 4) fail('truncated', `xerial chunk of ${chunkLen} bytes runs past the end`, pos);
    pos += 4;
    readLengthVarint(input, pos, pos + chunkLen);
    total += varintValue;
    if (total > max) fail('limit', `decompressed size exceeds maxOutputBytes ${max}`, pos);
    pos += chunkLen;
    chunks++;
  }
  const out = alloc === undefined ? Buffer.allocUnsafe(total) : alloc(total);
  if (chunks === 0) return out;
  // Pass 2: decode every chunk into its place. The headers were validated by pass 1.
  const w = snappyWasmFrame(input, total);
  try {
    decodeChunks(input, out, w);
  } finally {
    if (w !== undefined) wasmRelease();
  }
  return out;
}

/** Pass 2 of decodeXerial: every chunk into its place, in module memory when `w` is given. */
function decodeChunks(input: Uint8Array, out: Buffer, w: Buffer | undefined): void {
  const end = input.length;
  let op = 0;
  let pos = 0;
  while (pos < end) {
    if (hasXerialMagic(input, pos)) {
      pos += XERIAL_HEADER_LEN;
      continue;
    }
    const chunkLen = (input[pos]! << 24) | (input[pos + 1]! << 16) | (input[pos + 2]! << 8) | input[pos + 3]!;
    pos += 4;
    readLengthVarint(input, pos, pos + chunkLen);
    const blockLen = varintValue;
    if (w === undefined) decodeElements(input, varintEnd, pos + chunkLen, out, op, blockLen);
    else wasmElements(varintEnd, pos + chunkLen, op, blockLen);
    op += blockLen;
    pos += chunkLen;
  }
  if (w !== undefined) out.set(w.subarray(0, op));
}

// ---------------------------------------------------------------------------------------------
// Encoder: greedy single-probe hash matcher over 64 KiB fragments (so every offset fits a copy2
// element), with an acceleration step over incompressible input.

const HASH_LOG = 14;
const FRAGMENT = 1 << 16;

function writeVarint(out: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

/** Appends a literal element. Runs never exceed one 64 KiB fragment, so 1 or 2 length bytes suffice. */
function emitLiteral(src: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  const n = to - from;
  if (n === 0) return op;
  const m = n - 1;
  if (m < 60) {
    out[op++] = m << 2;
  } else if (m < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = m;
  } else {
    out[op++] = 61 << 2;
    out[op++] = m & 0xff;
    out[op++] = m >>> 8;
  }
  out.set(src.subarray(from, to), op);
  return op + n;
}

function emitCopy(offset: number, length: number, out: Uint8Array, op: number): number {
  let len = length;
  // copy2 holds at most 64 bytes; keep the remainder >= 4 so it can still be encoded.
  while (len >= 68) {
    out[op++] = 2 | (63 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    out[op++] = 2 | (59 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 60;
  }
  if (len <= 11 && offset < 2048) {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 | ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * Compresses `input` into one raw Snappy block (no framing), readable by any Snappy decoder and
 * by Java Kafka (snappy-java falls back to raw blocks without the xerial magic).
 * @throws CompressionError (`KWIRE_ERR_COMPRESSION_LIMIT`) if input is 2^32 bytes or more
 */
export function encodeSnappyRaw(input: Uint8Array): Buffer {
  const n = input.length;
  if (n > 0xffffffff) fail('limit', 'snappy input must be smaller than 4 GiB', 0);
  // format_description.txt / snappy.cc MaxCompressedLength: 32 + n + n/6 bounds any encoding.
  const out = Buffer.allocUnsafe(32 + n + Math.floor(n / 6));
  let op = writeVarint(out, 0, n);
  const table = new Int32Array(1 << HASH_LOG);
  for (let fragStart = 0; fragStart < n; fragStart += FRAGMENT) {
    const fragEnd = Math.min(n, fragStart + FRAGMENT);
    table.fill(-1);
    let ip = fragStart;
    let lit = fragStart;
    let skip = 32;
    const limit = fragEnd - 4;
    while (ip <= limit) {
      const v = load32(input, ip);
      const h = Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_LOG);
      const cand = table[h]!;
      table[h] = ip;
      if (cand >= fragStart && load32(input, cand) === v) {
        let len = 4;
        while (ip + len < fragEnd && input[cand + len] === input[ip + len]) len++;
        op = emitLiteral(input, lit, ip, out, op);
        op = emitCopy(ip - cand, len, out, op);
        ip += len;
        lit = ip;
        skip = 32;
      } else {
        // Each 32 misses in a row grows the step by one byte, so random data is skipped quickly.
        ip += skip++ >>> 5;
      }
    }
    op = emitLiteral(input, lit, fragEnd, out, op);
  }
  return Buffer.from(out.subarray(0, op));
}

/**
 * Compresses `input` in the xerial snappy-java stream format that Java Kafka producers write:
 * the 16-byte header, then one `[int32 BE length][raw block]` chunk per `blockSize` input bytes.
 * @param blockSize input bytes per chunk (default 32 KiB, snappy-java's default)
 */
export function encodeSnappyXerial(input: Uint8Array, blockSize = XERIAL_DEFAULT_BLOCK_SIZE): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_LEN);
  header.set(XERIAL_MAGIC, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  const step = Math.max(1, Math.floor(blockSize));
  for (let i = 0; i < input.length; i += step) {
    const block = encodeSnappyRaw(input.subarray(i, Math.min(input.length, i + step)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}
