/**
 * LZ4 (Kafka codec 3): the LZ4 frame format (lz4 doc/lz4_Frame_format.md, v1.6.x; Kafka follows
 * v1.5.1 of the same layout) and the LZ4 block format (doc/lz4_Block_format.md), with the Kafka
 * specifics from ../shared/kafka-protocol/record-format.md ("lz4 (codec 3)").
 *
 * Frame grammar (all integers little-endian):
 *
 *   frame    = magic(04 22 4D 18) FLG BD [contentSize u64] [dictId u32] HC block* endMark [contentChecksum u32]
 *   FLG      = version(bits 7-6 = 01) blockIndependence(5) blockChecksum(4) contentSize(3)
 *              contentChecksum(2) reserved(1 = 0) dictId(0)
 *   BD       = reserved(7 = 0) blockMaxSize(6-4: 4=64K 5=256K 6=1M 7=4M) reserved(3-0 = 0)
 *   HC       = (xxHash32(FLG..end of optional fields, seed 0) >> 8) & 0xFF
 *   block    = u32 size (bit 31 = stored uncompressed) data [blockChecksum u32 = xxHash32(data)]
 *   endMark  = u32 0
 *   skippable= u32 0x184D2A5? u32 size data          (skipped)
 *
 * Block grammar: sequence* where sequence = token [litLen+] literals [offset u16 [matchLen+]];
 * token = litLen(high 4 bits) matchLen-4(low 4 bits); a 15 continues with bytes until one < 255.
 * The last sequence has literals only.
 *
 * Blocks are decoded by the WebAssembly module of wasm.ts (lz4_block in wasm/codecs.c) when it
 * loads and the frame fits its memory, and otherwise by decodeBlockInto below; both make the same
 * checks and fail with the same reasons (test/kafka-wire/records/codecs/wasm.test.ts compares them).
 *
 * Header checksum choice (the magic-0 Kafka bug, KAFKA-3160 / KIP-57): Kafka before 0.10 computed
 * HC over the 4 magic bytes too, and still writes that broken HC inside magic-0 wrapper messages.
 * By default ('either') we accept a frame whose HC matches the correct or the broken computation,
 * so one decoder handles every message format without the caller tracking the magic; any other HC
 * is rejected as corrupt. Callers that want Java's exact behaviour pass 'strict' (magic 1 and v2
 * batches, where Java checks HC) or 'ignore' (magic-0 wrappers, where Java skips the check).
 */
import { CompressionError, resolveMaxOutput, type CompressionFailure } from './errors.js';
import { OutputBuffer } from './output.js';
import { xxHash32 } from './xxhash.js';
import { readU32LE } from './bytes.js';
import { LZ4_WASM_ERRORS, lz4WasmBlock, lz4WasmErrorPos, lz4WasmFrame, wasmRelease, wasmXxh32, type Lz4WasmFrame } from './wasm.js';

/** How to treat the frame header checksum byte; see the module comment. */
export type Lz4HeaderChecksumMode = 'strict' | 'either' | 'ignore';

/** Options for {@link decodeLz4Frame}. */
export interface Lz4DecodeOptions {
  /** Largest decompressed size accepted, in bytes (default 64 MiB). */
  readonly maxOutputBytes?: number | undefined;
  /** Header checksum policy (default 'either'). */
  readonly headerChecksum?: Lz4HeaderChecksumMode;
  /**
   * Verify block and content checksums when the frame carries them (default true). Java Kafka
   * verifies block checksums but only reads the content checksum; a mismatch here means
   * corruption either way.
   */
  readonly verifyChecksums?: boolean;
  /** Memory for the output (default: a Buffer of its own). */
  readonly alloc?: ((size: number) => Buffer) | undefined;
}

/** Options for {@link encodeLz4Frame}. Defaults reproduce what Java Kafka writes (FLG 0x60, BD 0x40). */
export interface Lz4EncodeOptions {
  /** Block maximum size code 4..7 (64 KiB, 256 KiB, 1 MiB, 4 MiB). Default 4. */
  readonly blockSizeCode?: 4 | 5 | 6 | 7;
  /** Independent blocks (default true). Java Kafka rejects linked blocks. */
  readonly independentBlocks?: boolean;
  /** Append an xxHash32 to every block (default false). */
  readonly blockChecksum?: boolean;
  /** Append an xxHash32 of the whole content (default false). */
  readonly contentChecksum?: boolean;
  /** Write the 8-byte content size (default false). */
  readonly contentSize?: boolean;
  /** Write Kafka's broken magic-0 header checksum (over the magic bytes too). Default false. */
  readonly legacyHeaderChecksum?: boolean;
}

const FRAME_MAGIC = 0x184d2204;
const LEGACY_MAGIC = 0x184c2102;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_OFFSET = 65535;
/** Block format: the last 5 bytes are always literals and the last match starts 12+ bytes before the end. */
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
/** Distance from the ends of input and output inside which the fast loop of decodeBlockInto runs. */
const FAST_MARGIN = 32;
/**
 * Matches longer than this that do not overlap their source go through copyWithin; shorter ones
 * are copied 8 bytes at a step, which costs less than copyWithin's call up to about 100 bytes
 * (BENCHMARKS.md, "Figures behind code comments").
 */
const COPY_WITHIN_MIN = 96;

function fail(reason: CompressionFailure, message: string, offset: number): never {
  throw new CompressionError('lz4', reason, message, offset);
}


function blockMaxSize(code: number): number {
  return 1 << (8 + 2 * code);
}

/**
 * Decodes one LZ4 block from src[ip, end) into out starting at `op`. Matches may reach back to
 * `windowStart` (the block start for independent blocks, the frame start for linked ones).
 * Output past `opLimit` fails with `overflowReason`.
 * @returns the new output position
 */
function decodeBlockInto(
  src: Uint8Array,
  ipStart: number,
  end: number,
  out: Uint8Array,
  opStart: number,
  opLimit: number,
  windowStart: number,
  overflowReason: CompressionFailure,
): number {
  let ip = ipStart;
  let op = opStart;
  const srcView = new DataView(src.buffer, src.byteOffset, src.length);
  const outView = new DataView(out.buffer, out.byteOffset, out.length);
  const srcCap = src.length;
  const outCap = out.length;
  // The fast loop runs while both cursors are at least FAST_MARGIN bytes from every end, so a
  // sequence with a short literal run cannot end the block, run past the input or pass the output
  // limit: those checks are made once per loop turn instead of per copy. Only the offset, which
  // the margins say nothing about, and long matches are checked per sequence. Everything else
  // (long literal runs, short offsets, the block's tail) goes through the careful loop below.
  const ipFast = end - FAST_MARGIN;
  const opFast = Math.min(opLimit, outCap - 16) - FAST_MARGIN;
  for (;;) {
    while (ip < ipFast && op < opFast) {
      const token = src[ip]!;
      if (token >= 0xf0) break;
      // Literal run of 0..14 bytes: a 16-byte wild copy (ip + 17 and op + 16 are inside the margins).
      outView.setUint32(op, srcView.getUint32(ip + 1, true), true);
      outView.setUint32(op + 4, srcView.getUint32(ip + 5, true), true);
      outView.setUint32(op + 8, srcView.getUint32(ip + 9, true), true);
      outView.setUint32(op + 12, srcView.getUint32(ip + 13, true), true);
      const litLen = token >>> 4;
      ip += 1 + litLen;
      op += litLen;
      const offset = src[ip]! | (src[ip + 1]! << 8);
      if (offset === 0) fail('corrupt', 'match offset 0', ip);
      if (offset > op - windowStart) fail('corrupt', `match offset ${offset} reaches before the window`, ip);
      ip += 2;
      let matchLen = (token & 15) + 4;
      let from = op - offset;
      if (matchLen !== 19) {
        if (offset >= 8) {
          // 4..18 bytes from 8+ bytes back: five words, every one read after it was final, and
          // the overshoot stays inside the margin.
          outView.setUint32(op, outView.getUint32(from, true), true);
          outView.setUint32(op + 4, outView.getUint32(from + 4, true), true);
          outView.setUint32(op + 8, outView.getUint32(from + 8, true), true);
          outView.setUint32(op + 12, outView.getUint32(from + 12, true), true);
          outView.setUint32(op + 16, outView.getUint32(from + 16, true), true);
          op += matchLen;
        } else {
          const stop = op + matchLen;
          while (op < stop) out[op++] = out[from++]!;
        }
        continue;
      }
      let b: number;
      do {
        if (ip >= end) fail('truncated', 'match length is cut off', ip);
        b = src[ip++]!;
        matchLen += b;
      } while (b === 255);
      if (matchLen > opLimit - op) fail(overflowReason, 'block output exceeds its limit', ip);
      if (offset >= matchLen && matchLen > COPY_WITHIN_MIN) {
        out.copyWithin(op, from, from + matchLen);
        op += matchLen;
      } else if (offset >= 8 && op + matchLen + 8 <= outCap) {
        const stop = op + matchLen;
        do {
          outView.setUint32(op, outView.getUint32(from, true), true);
          outView.setUint32(op + 4, outView.getUint32(from + 4, true), true);
          op += 8;
          from += 8;
        } while (op < stop);
        op = stop;
      } else if (offset === 1) {
        out.fill(out[from]!, op, op + matchLen);
        op += matchLen;
      } else {
        const stop = op + matchLen;
        while (op < stop) out[op++] = out[from++]!;
      }
    }
    if (ip >= end) fail('truncated', 'block ends before a sequence token', ip);
    const tokenPos = ip;
    const token = src[ip++]!;
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (ip >= end) fail('truncated', 'literal length is cut off', tokenPos);
        b = src[ip++]!;
        litLen += b;
      } while (b === 255);
    }
    if (litLen > end - ip) fail('truncated', `literal run of ${litLen} bytes runs past the block`, tokenPos);
    if (litLen > opLimit - op) fail(overflowReason, 'block output exceeds its limit', tokenPos);
    if (litLen <= 16 && ip + 16 <= srcCap && op + 16 <= outCap) {
      // "Wild copy" of 16 bytes: the excess lands past `op`, where later output overwrites it.
      outView.setUint32(op, srcView.getUint32(ip, true), true);
      outView.setUint32(op + 4, srcView.getUint32(ip + 4, true), true);
      outView.setUint32(op + 8, srcView.getUint32(ip + 8, true), true);
      outView.setUint32(op + 12, srcView.getUint32(ip + 12, true), true);
    } else if (litLen <= 256 && ip + litLen + 8 <= srcCap && op + litLen + 8 <= outCap) {
      // Wild copy in 8-byte steps as above. `out.set(src.subarray(...))` made a view object per
      // run: with 100-byte values those views were a visible share of the proxy's CPU (BENCHMARKS.md,
      // change 2).
      for (let i = 0; i < litLen; i += 8) {
        outView.setUint32(op + i, srcView.getUint32(ip + i, true), true);
        outView.setUint32(op + i + 4, srcView.getUint32(ip + i + 4, true), true);
      }
    } else if (litLen <= 32) {
      for (let i = 0; i < litLen; i++) out[op + i] = src[ip + i]!;
    } else {
      out.set(src.subarray(ip, ip + litLen), op);
    }
    ip += litLen;
    op += litLen;
    // lz4_Block_format.md: the last sequence is literals only and ends the block.
    if (ip === end) return op;
    if (end - ip < 2) fail('truncated', 'match offset is cut off', ip);
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0) fail('corrupt', 'match offset 0', ip - 2);
    if (offset > op - windowStart) fail('corrupt', `match offset ${offset} reaches before the window`, ip - 2);
    let matchLen = token & 15;
    if (matchLen === 15) {
      let b: number;
      do {
        if (ip >= end) fail('truncated', 'match length is cut off', tokenPos);
        b = src[ip++]!;
        matchLen += b;
      } while (b === 255);
    }
    matchLen += 4;
    if (matchLen > opLimit - op) fail(overflowReason, 'block output exceeds its limit', tokenPos);
    let from = op - offset;
    if (offset >= matchLen && matchLen > COPY_WITHIN_MIN) {
      out.copyWithin(op, from, from + matchLen);
      op += matchLen;
    } else if (offset >= 8 && op + matchLen + 8 <= outCap) {
      // Wild copy in 8-byte steps: the source is 8+ bytes behind, so every word read is final.
      const stop = op + matchLen;
      do {
        outView.setUint32(op, outView.getUint32(from, true), true);
        outView.setUint32(op + 4, outView.getUint32(from + 4, true), true);
        op += 8;
        from += 8;
      } while (op < stop);
      op = stop;
    } else if (offset === 1) {
      out.fill(out[from]!, op, op + matchLen);
      op += matchLen;
    } else {
      // Overlapping matches replicate the last `offset` bytes: copy byte by byte.
      const stop = op + matchLen;
      while (op < stop) out[op++] = out[from++]!;
    }
  }
}

/**
 * Decodes a single raw LZ4 block (no frame) whose decompressed size is at most `maxOutputBytes`.
 * @throws CompressionError on corrupt or truncated input, or (`KWIRE_ERR_COMPRESSION_LIMIT`) output over the limit
 */
export function decodeLz4Block(input: Uint8Array, opts?: { readonly maxOutputBytes?: number | undefined }): Buffer {
  const max = resolveMaxOutput('lz4', opts?.maxOutputBytes);
  const out = new OutputBuffer('lz4', max);
  // A block expands at most ~255x (one input byte can add 255 to a match length).
  const bound = Math.min(max, input.length * 255 + 16);
  out.reserve(bound, 0);
  out.pos = decodeBlockInto(input, 0, input.length, out.buf, 0, bound, 0, bound === max ? 'limit' : 'corrupt');
  return out.finish();
}

interface FrameHeader {
  readonly independent: boolean;
  readonly blockChecksum: boolean;
  readonly contentChecksum: boolean;
  /** Declared content size, or -1 when absent. Values past 2^53 become Infinity. */
  readonly contentSize: number;
  readonly blockMax: number;
  /** Offset of the first block header. */
  readonly dataStart: number;
}

function parseFrameHeader(src: Uint8Array, frameStart: number, hcMode: Lz4HeaderChecksumMode): FrameHeader {
  const end = src.length;
  const p = frameStart + 4;
  if (end - p < 3) fail('truncated', 'frame descriptor is cut off', p);
  const flg = src[p]!;
  const bd = src[p + 1]!;
  if (flg >>> 6 !== 1) fail('unsupported', `frame version ${flg >>> 6} (only version 01 exists)`, p);
  if ((flg & 0x02) !== 0) fail('corrupt', 'FLG reserved bit 1 is set', p);
  if ((bd & 0x8f) !== 0) fail('corrupt', 'BD reserved bits are set', p + 1);
  const code = (bd >>> 4) & 7;
  if (code < 4) fail('corrupt', `block maximum size code ${code} is not 4-7`, p + 1);
  const hasContentSize = (flg & 0x08) !== 0;
  const hasDictId = (flg & 0x01) !== 0;
  const hcPos = p + 2 + (hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0);
  if (hcPos >= end) fail('truncated', 'frame descriptor is cut off', p);
  if (hcMode !== 'ignore') {
    const hc = src[hcPos]!;
    const good = (xxHash32(src, 0, p, hcPos) >>> 8) & 0xff;
    // The magic-0 Kafka variant hashes from the magic number on (record-format.md); computed only
    // when the correct one does not match.
    const legacyOk = hc !== good && hcMode === 'either' && hc === ((xxHash32(src, 0, frameStart, hcPos) >>> 8) & 0xff);
    if (hc !== good && !legacyOk) fail('checksum', `header checksum 0x${hc.toString(16)} does not match`, hcPos);
  }
  if (hasDictId) fail('unsupported', 'dictionaries unsupported (FLG dictId bit set)', p);
  let contentSize = -1;
  if (hasContentSize) {
    const lo = readU32LE(src, p + 2);
    const hi = readU32LE(src, p + 6);
    contentSize = hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;
  }
  return {
    independent: (flg & 0x20) !== 0,
    blockChecksum: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
    contentSize,
    blockMax: blockMaxSize(code),
    dataStart: hcPos + 1,
  };
}

/**
 * Upper bound of a frame's decompressed size from its block headers alone, so the output can be
 * sized once. Also validates the block-header chain (sizes, truncation).
 * @returns [bound, offset just past the end mark and content checksum]
 */
function scanFrame(src: Uint8Array, h: FrameHeader): [number, number, number] {
  const end = src.length;
  let pos = h.dataStart;
  let bound = 0;
  // Stored blocks produce exactly their size: a lower bound checked before allocating.
  let exact = 0;
  for (;;) {
    if (end - pos < 4) fail('truncated', 'block size is cut off', pos);
    const raw = readU32LE(src, pos);
    pos += 4;
    if (raw === 0) break;
    const size = raw & 0x7fffffff;
    if (size > h.blockMax) fail('corrupt', `block of ${size} bytes exceeds the ${h.blockMax}-byte maximum`, pos - 4);
    const need = size + (h.blockChecksum ? 4 : 0);
    if (need > end - pos) fail('truncated', 'block data is cut off', pos);
    if (raw >>> 31 !== 0) {
      bound += size;
      exact += size;
    } else {
      bound += h.blockMax;
    }
    pos += need;
  }
  if (h.contentChecksum) {
    if (end - pos < 4) fail('truncated', 'content checksum is cut off', pos);
    pos += 4;
  }
  return [bound, exact, pos];
}

/**
 * Decodes an LZ4 frame payload as Kafka writes it: one or more LZ4 frames (concatenated frames
 * decode to the concatenation, skippable frames are skipped, as the lz4 CLI does; Java Kafka reads
 * only the first frame, which the other frames never change for Kafka-written data).
 * @throws CompressionError (`KWIRE_ERR_COMPRESSION`) on corrupt or truncated input, bad
 *   checksums, legacy-format or dictionary frames; (`KWIRE_ERR_COMPRESSION_LIMIT`) if the output
 *   would exceed `maxOutputBytes`
 */
export function decodeLz4Frame(input: Uint8Array, opts?: Lz4DecodeOptions): Buffer {
  const max = resolveMaxOutput('lz4', opts?.maxOutputBytes);
  const hcMode = opts?.headerChecksum ?? 'either';
  const verify = opts?.verifyChecksums ?? true;
  const out = new OutputBuffer('lz4', max, opts?.alloc);
  const end = input.length;
  if (end === 0) fail('truncated', 'empty input', 0);
  let pos = 0;
  while (pos < end) {
    if (end - pos < 4) fail('truncated', 'frame magic is cut off', pos);
    const magic = readU32LE(input, pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (end - pos < 8) fail('truncated', 'skippable frame size is cut off', pos);
      const size = readU32LE(input, pos + 4);
      if (size > end - pos - 8) fail('truncated', 'skippable frame is cut off', pos);
      pos += 8 + size;
      continue;
    }
    if (magic === LEGACY_MAGIC) fail('unsupported', 'legacy LZ4 frame format', pos);
    if (magic !== FRAME_MAGIC) fail('corrupt', `bad frame magic 0x${magic.toString(16)}`, pos);
    pos = decodeFrame(input, pos, hcMode, verify, out);
  }
  return out.finish();
}

function decodeFrame(src: Uint8Array, frameStart: number, hcMode: Lz4HeaderChecksumMode, verify: boolean, out: OutputBuffer): number {
  const h = parseFrameHeader(src, frameStart, hcMode);
  const [bound, exact, frameEnd] = scanFrame(src, h);
  if (h.contentSize > bound) fail('corrupt', `content size ${h.contentSize} exceeds what the blocks can hold`, frameStart + 6);
  const allowed = out.remainingAllowed();
  if (exact > allowed) fail('limit', `stored blocks alone exceed maxOutputBytes ${out.max}`, frameStart);
  const expected = h.contentSize >= 0 ? h.contentSize : bound;
  if (h.contentSize > allowed) fail('limit', `content size ${h.contentSize} exceeds maxOutputBytes ${out.max}`, frameStart + 6);
  const wasm = lz4WasmFrame(src, h.dataStart, frameEnd, Math.min(expected, allowed));
  if (wasm !== undefined) {
    try {
      return decodeBlocksWasm(src, h, frameStart, frameEnd, verify, out, wasm, allowed);
    } finally {
      wasmRelease();
    }
  }
  out.reserve(Math.min(expected, allowed), frameStart, h.contentSize >= 0);
  const outFrameStart = out.pos;
  // With a declared size, output past it is corruption; otherwise only maxOutputBytes limits it.
  const frameLimit = h.contentSize >= 0 ? outFrameStart + h.contentSize : out.pos + allowed;
  const limitReason: CompressionFailure = h.contentSize >= 0 ? 'corrupt' : 'limit';
  let pos = h.dataStart;
  for (;;) {
    const raw = readU32LE(src, pos);
    pos += 4;
    if (raw === 0) break;
    const size = raw & 0x7fffffff;
    if (h.blockChecksum && verify && xxHash32(src, 0, pos, pos + size) !== readU32LE(src, pos + size)) {
      fail('checksum', 'block checksum mismatch', pos + size);
    }
    const op = out.pos;
    // The capacity reserved above always covers min(bound, frameLimit), so it never binds
    // before the block or frame limits; it is in the min only as a memory-safety net.
    const cap = out.buf.length;
    if (raw >>> 31 !== 0) {
      if (size > Math.min(frameLimit, cap) - op) fail(limitReason, 'stored block exceeds the output limit', pos - 4);
      out.buf.set(src.subarray(pos, pos + size), op);
      out.pos = op + size;
    } else {
      // A block may produce at most blockMax bytes; past that the block itself is corrupt.
      let limit = op + h.blockMax;
      let reason: CompressionFailure = 'corrupt';
      if (frameLimit < limit) {
        limit = frameLimit;
        reason = limitReason;
      }
      if (cap < limit) limit = cap;
      const windowStart = h.independent ? op : outFrameStart;
      out.pos = decodeBlockInto(src, pos, pos + size, out.buf, op, limit, windowStart, reason);
    }
    pos += size + (h.blockChecksum ? 4 : 0);
  }
  if (h.contentChecksum) {
    if (verify && xxHash32(out.buf, 0, outFrameStart, out.pos) !== readU32LE(src, pos)) {
      fail('checksum', 'content checksum mismatch', pos);
    }
    pos += 4;
  }
  if (h.contentSize >= 0 && out.pos - outFrameStart !== h.contentSize) {
    fail('corrupt', `frame produced ${out.pos - outFrameStart} bytes, header declared ${h.contentSize}`, frameStart + 6);
  }
  if (pos !== frameEnd) fail('corrupt', 'frame length mismatch', pos);
  return pos;
}

/**
 * The blocks of a frame decoded by the WebAssembly module (wasm.ts) in its own memory, with
 * the same checks and errors as the TypeScript loop of decodeFrame, then copied out once into
 * `out` at their exact size. All output positions here are offsets into `w.mem`.
 */
function decodeBlocksWasm(src: Uint8Array, h: FrameHeader, frameStart: number, frameEnd: number, verify: boolean, out: OutputBuffer, w: Lz4WasmFrame, allowed: number): number {
  const start = w.outBase;
  const frameLimit = h.contentSize >= 0 ? start + h.contentSize : start + allowed;
  const limitReason: CompressionFailure = h.contentSize >= 0 ? 'corrupt' : 'limit';
  const mem = w.mem;
  let op = start;
  let pos = h.dataStart;
  for (;;) {
    const raw = readU32LE(src, pos);
    pos += 4;
    if (raw === 0) break;
    const size = raw & 0x7fffffff;
    if (h.blockChecksum && verify && wasmXxh32(pos + w.inDelta, size) !== readU32LE(src, pos + size)) {
      fail('checksum', 'block checksum mismatch', pos + size);
    }
    if (raw >>> 31 !== 0) {
      if (size > frameLimit - op) fail(limitReason, 'stored block exceeds the output limit', pos - 4);
      mem.copyWithin(op, pos + w.inDelta, pos + w.inDelta + size);
      op += size;
    } else {
      // As in decodeFrame: a block may produce at most blockMax bytes, the frame at most frameLimit.
      let limit = op + h.blockMax;
      let reason: CompressionFailure = 'corrupt';
      if (frameLimit < limit) {
        limit = frameLimit;
        reason = limitReason;
      }
      const r = lz4WasmBlock(pos + w.inDelta, pos + size + w.inDelta, op, limit, h.independent ? op : start);
      if (r < 0) {
        const [why, message] = LZ4_WASM_ERRORS[r] ?? ['corrupt', `block decoder failed (${r})`];
        fail(why === 'limit' ? reason : why, message, lz4WasmErrorPos() - w.inDelta);
      }
      op = r;
    }
    pos += size + (h.blockChecksum ? 4 : 0);
  }
  const produced = op - start;
  if (h.contentChecksum) {
    if (verify && wasmXxh32(start, produced) !== readU32LE(src, pos)) fail('checksum', 'content checksum mismatch', pos);
    pos += 4;
  }
  out.reserve(produced, frameStart, true);
  out.buf.set(mem.subarray(start, op), out.pos);
  out.pos += produced;
  if (h.contentSize >= 0 && produced !== h.contentSize) {
    fail('corrupt', `frame produced ${produced} bytes, header declared ${h.contentSize}`, frameStart + 6);
  }
  if (pos !== frameEnd) fail('corrupt', 'frame length mismatch', pos);
  return pos;
}

// ---------------------------------------------------------------------------------------------
// Encoder: greedy single-probe hash matcher. Not tuned for ratio; used for round-trip tests and
// for producing Kafka-compatible lz4 payloads.

const HASH_LOG = 16;

function writeLength(out: Uint8Array, op: number, len: number): number {
  let n = len;
  while (n >= 255) {
    out[op++] = 255;
    n -= 255;
  }
  out[op++] = n;
  return op;
}

function emitSequence(src: Uint8Array, anchor: number, ip: number, out: Uint8Array, op: number, offset: number, matchLen: number): number {
  const litLen = ip - anchor;
  const tokenPos = op++;
  let token = Math.min(litLen, 15) << 4;
  if (litLen >= 15) op = writeLength(out, op, litLen - 15);
  out.set(src.subarray(anchor, ip), op);
  op += litLen;
  if (matchLen > 0) {
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    const ml = matchLen - 4;
    token |= Math.min(ml, 15);
    if (ml >= 15) op = writeLength(out, op, ml - 15);
  }
  out[tokenPos] = token;
  return op;
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** Worst-case compressed size of `n` input bytes (lz4.h LZ4_COMPRESSBOUND). */
function compressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/**
 * Compresses src[start, end) as one LZ4 block into out at op. `windowStart` is the lowest input
 * position a match may reference; `table` holds input positions and persists for linked blocks.
 * @returns the new output position
 */
function compressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number, table: Int32Array, windowStart: number): number {
  let ip = start;
  let anchor = start;
  const mfLimit = end - MF_LIMIT;
  const matchLimit = end - LAST_LITERALS;
  let skip = 64;
  while (ip < mfLimit) {
    const v = load32(src, ip);
    const h = Math.imul(v, 0x9e3779b1) >>> (32 - HASH_LOG);
    const cand = table[h]!;
    table[h] = ip;
    if (cand >= windowStart && ip - cand <= MAX_OFFSET && load32(src, cand) === v) {
      let len = 4;
      while (ip + len < matchLimit && src[cand + len] === src[ip + len]) len++;
      op = emitSequence(src, anchor, ip, out, op, ip - cand, len);
      ip += len;
      anchor = ip;
      skip = 64;
    } else {
      ip += skip++ >>> 6;
    }
  }
  return emitSequence(src, anchor, end, out, op, 0, 0);
}

/**
 * Compresses `input` into one raw LZ4 block (no frame).
 */
export function encodeLz4Block(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(compressBound(input.length));
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const n = compressBlock(input, 0, input.length, out, 0, table, 0);
  return Buffer.from(out.subarray(0, n));
}

/**
 * Compresses `input` into one LZ4 frame. With the default options the header is
 * `04 22 4D 18 60 40 82`, exactly what Java Kafka writes; a block that does not shrink is stored
 * uncompressed (size bit 31).
 */
export function encodeLz4Frame(input: Uint8Array, opts?: Lz4EncodeOptions): Buffer {
  const code = opts?.blockSizeCode ?? 4;
  const independent = opts?.independentBlocks ?? true;
  const blockChecksum = opts?.blockChecksum ?? false;
  const contentChecksum = opts?.contentChecksum ?? false;
  const contentSize = opts?.contentSize ?? false;
  const blockMax = blockMaxSize(code);
  const blocks = Math.max(1, Math.ceil(input.length / blockMax));
  const out = Buffer.allocUnsafe(4 + 2 + 8 + 1 + blocks * (8 + compressBound(Math.min(blockMax, input.length))) + 8);
  out.writeUInt32LE(FRAME_MAGIC, 0);
  out[4] = 0x40 | (independent ? 0x20 : 0) | (blockChecksum ? 0x10 : 0) | (contentSize ? 0x08 : 0) | (contentChecksum ? 0x04 : 0);
  out[5] = code << 4;
  let op = 6;
  if (contentSize) {
    out.writeUInt32LE(input.length >>> 0, 6);
    out.writeUInt32LE(Math.floor(input.length / 0x100000000), 10);
    op = 14;
  }
  out[op] = (xxHash32(out, 0, opts?.legacyHeaderChecksum === true ? 0 : 4, op) >>> 8) & 0xff;
  op++;
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  for (let start = 0; start < input.length; start += blockMax) {
    const end = Math.min(input.length, start + blockMax);
    if (independent) table.fill(-1);
    const dataPos = op + 4;
    const cEnd = compressBlock(input, start, end, out, dataPos, table, independent ? start : 0);
    let size = cEnd - dataPos;
    if (size >= end - start) {
      // lz4_Frame_format.md: a block that does not shrink is stored with the high bit set.
      out.set(input.subarray(start, end), dataPos);
      size = end - start;
      out.writeUInt32LE((size | 0x80000000) >>> 0, op);
    } else {
      out.writeUInt32LE(size, op);
    }
    op = dataPos + size;
    if (blockChecksum) {
      out.writeUInt32LE(xxHash32(out, 0, dataPos, op), op);
      op += 4;
    }
  }
  out.writeUInt32LE(0, op);
  op += 4;
  if (contentChecksum) {
    out.writeUInt32LE(xxHash32(input), op);
    op += 4;
  }
  return Buffer.from(out.subarray(0, op));
}
