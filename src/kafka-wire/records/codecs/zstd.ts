/**
 * Zstandard decoder (Kafka codec 4), written from RFC 8878. Node 20's zlib has no zstd, so this is
 * our own: TypeScript, with the sequence and Huffman loops also in the WebAssembly module of
 * wasm.ts (wasm/codecs.c), which decodeFrame uses when it loads. Supported: every frame header variant, skippable frames, concatenated frames,
 * raw/RLE/compressed blocks, raw/RLE/Huffman (1 and 4 streams, treeless reuse) literals, all four
 * sequence table modes, repeat offsets, and the optional xxHash64 content checksum.
 * Not supported: dictionaries (a non-zero Dictionary_ID fails with reason 'unsupported'), which
 * Kafka never uses.
 *
 * Frame grammar (RFC 8878 section 3.1.1):
 *
 *   frame         = magic(28 B5 2F FD) Frame_Header Block+ [Content_Checksum u32]
 *   Frame_Header  = FHD [Window_Descriptor] [Dictionary_ID 0/1/2/4] [Frame_Content_Size 0/1/2/4/8]
 *   FHD           = FCS_flag(7-6) Single_Segment(5) unused(4) reserved(3 = 0) Checksum(2) DID_flag(1-0)
 *   Block         = Block_Header(u24: Last(0) Type(2-1) Size(23-3)) Block_Content
 *   compressed    = Literals_Section Sequences_Section
 *   skippable     = magic(0x184D2A5?) u32 size data
 *
 * Memory: the whole output of the call is kept in one buffer, so every earlier byte of the frame
 * is addressable and no separate window buffer is needed. Window_Size is therefore not used to
 * limit offsets (only "not before the frame start" is checked); the output size is bounded by
 * `maxOutputBytes` instead. With the module, the frame's output is first kept in module memory
 * (at most its 32 MiB, else TypeScript decodes the frame) and copied out at the end.
 */
import { CompressionError, resolveMaxOutput, type CompressionFailure } from './errors.js';
import { OutputBuffer } from './output.js';
import { xxHash64Low32 } from './xxhash.js';
import { HUF_WASM_ERRORS, wasmRelease, wasmXxh64Low32, ZSTD_WASM_ERRORS, zstdWasmChecksum, zstdWasmFrame, zstdWasmHufTable, zstdWasmHuffman, zstdWasmHuffman4, zstdWasmSequences } from './wasm.js';
import { readU32LE } from './bytes.js';

/** Options for {@link decodeZstd}. */
export interface ZstdDecodeOptions {
  /** Largest decompressed size accepted, in bytes (default 64 MiB). */
  readonly maxOutputBytes?: number | undefined;
  /** Verify Content_Checksum when a frame carries one (default true). */
  readonly verifyChecksum?: boolean;
  /** Memory for the output (default: a Buffer of its own). */
  readonly alloc?: ((size: number) => Buffer) | undefined;
}

/** @internal shared with zstd-encoder.ts */
export const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** RFC 8878 section 3.1.1.2.4: Block_Maximum_Size is at most 128 KiB. */
export const BLOCK_SIZE_MAX = 128 * 1024;

const MAX_LL_SYMBOL = 35;
const MAX_ML_SYMBOL = 52;
/** RFC 8878 section 3.1.1.3.2.1.1: decoders may cap offset codes; the reference decoder accepts 31. */
const MAX_OF_SYMBOL = 31;
const MAX_LL_LOG = 9;
const MAX_ML_LOG = 9;
const MAX_OF_LOG = 8;
/** RFC 8878 section 4.2.1.2: Huffman weights are FSE-coded with an accuracy log of at most 6. */
const MAX_HUF_WEIGHT_LOG = 6;
/** RFC 8878 section 4.2.1: prefix codes are at most 11 bits. */
const MAX_HUF_BITS = 11;
/**
 * Matches longer than this that do not overlap their source go through copyWithin; shorter ones
 * are copied 8 bytes at a step, which costs less than copyWithin's call up to about 100 bytes
 * (BENCHMARKS.md, "Figures behind code comments").
 */
const COPY_WITHIN_MIN = 96;

function fail(reason: CompressionFailure, message: string, offset: number): never {
  throw new CompressionError('zstd', reason, message, offset);
}


function highBit(v: number): number {
  return 31 - Math.clz32(v);
}

/**
 * Reads n (0..25) bits at absolute bit position p of a little-endian bitstream (bit i is bit
 * i%8 of byte i/8). Bytes past the end of `b` read as 0 (typed-array holes are undefined, which
 * bitwise operators turn into 0); callers check positions against stream bounds themselves.
 */
function bitsAt(b: Uint8Array, p: number, n: number): number {
  const i = p >> 3;
  const w = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
  return (w >>> (p & 7)) & ((1 << n) - 1);
}

/**
 * The sequences bitstream of the current block is copied here, behind SEQ_PAD zero bytes, so the
 * hot loop can read 32-bit words with DataView (one load) without bounds branches: a sequence
 * reads at most 31+16+16+9+9+8 = 89 bits, and the loop stops as soon as the position drops below
 * the stream start, so reads never go below byte 0; words past the end read the tail padding.
 */
const SEQ_PAD = 16;
const seqBytes = new Uint8Array(SEQ_PAD + BLOCK_SIZE_MAX + 8);
const seqView = new DataView(seqBytes.buffer);

function seqBits(p: number, n: number): number {
  return (seqView.getUint32(p >>> 3, true) >>> (p & 7)) & ((1 << n) - 1);
}

// --- Code tables, RFC 8878 section 3.1.1.3.2.1.1 ---------------------------------------------

/** @internal Literals length code baselines and extra bits (shared with zstd-encoder.ts). */
export const LL_BASE = Uint32Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048,
  4096, 8192, 16384, 32768, 65536,
]);
export const LL_BITS = Uint8Array.from([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
]);
/** @internal Match length code baselines and extra bits (shared with zstd-encoder.ts). */
export const ML_BASE = Uint32Array.from([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539,
]);
export const ML_BITS = Uint8Array.from([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3,
  4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
]);

// Predefined distributions, RFC 8878 section 3.1.1.3.2.2.
const LL_DEFAULT = [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1];
const ML_DEFAULT = [
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
const OF_DEFAULT = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1];

// --- FSE ---------------------------------------------------------------------------------------

/** An FSE decoding table (RFC 8878 section 4.1): per state, the symbol and how to get the next state. */
export interface FseTable {
  log: number;
  readonly symbol: Uint8Array;
  readonly nbBits: Uint8Array;
  readonly baseline: Uint16Array;
  /**
   * The three fields above packed in one int32 per state (baseline | nbBits << 16 | symbol << 24),
   * and for literal and match length tables the symbol's length code resolved (code baseline |
   * extra bits << 24): the sequence loop loads two words per table instead of five typed-array
   * elements (RFC 8878 section 3.1.1.3.2; zstd's ZSTD_seqSymbol does the same).
   */
  readonly cell: Int32Array;
  readonly value: Int32Array;
}

function newFseTable(maxLog: number): FseTable {
  const size = 1 << maxLog;
  return {
    log: 0, symbol: new Uint8Array(size), nbBits: new Uint8Array(size), baseline: new Uint16Array(size),
    cell: new Int32Array(size), value: new Int32Array(size),
  };
}

/** Fills `cell` (and, given the code tables, `value`) of the first 2^log states of `t`. */
function packFseTable(t: FseTable, base: Uint32Array | null, bits: Uint8Array | null): void {
  const size = 1 << t.log;
  for (let u = 0; u < size; u++) {
    const sym = t.symbol[u]!;
    t.cell[u] = t.baseline[u]! | (t.nbBits[u]! << 16) | (sym << 24);
    if (base !== null && bits !== null) t.value[u] = base[sym]! | (bits[sym]! << 24);
  }
}

const symbolNext = new Uint16Array(256);

/**
 * Builds a decoding table from a normalized distribution (RFC 8878 section 4.1.1, "From
 * normalized distribution to decoding tables"). `norm` holds counts for symbols 0..n-1, -1 meaning
 * "less than 1". The caller guarantees that the counts add up to 1 << log.
 */
function buildFseTable(norm: ArrayLike<number>, n: number, log: number, t: FseTable, errOffset: number): void {
  const size = 1 << log;
  const mask = size - 1;
  let high = size - 1;
  for (let s = 0; s < n; s++) {
    const c = norm[s]!;
    if (c === -1) {
      // "Less than 1" symbols get one cell each, from the end of the table backwards.
      t.symbol[high--] = s;
      symbolNext[s] = 1;
    } else {
      symbolNext[s] = c;
    }
  }
  const step = (size >>> 1) + (size >>> 3) + 3;
  let pos = 0;
  for (let s = 0; s < n; s++) {
    const c = norm[s]!;
    for (let i = 0; i < c; i++) {
      t.symbol[pos] = s;
      do pos = (pos + step) & mask;
      while (pos > high);
    }
  }
  if (pos !== 0) fail('corrupt', 'FSE table spread did not cover the table', errOffset);
  for (let u = 0; u < size; u++) {
    const s = t.symbol[u]!;
    const next = symbolNext[s]!;
    symbolNext[s] = next + 1;
    const nb = log - highBit(next);
    t.nbBits[u] = nb;
    t.baseline[u] = (next << nb) - size;
  }
  t.log = log;
}

function predefined(norm: number[], log: number, base: Uint32Array | null, bits: Uint8Array | null): FseTable {
  const t = newFseTable(log);
  buildFseTable(norm, norm.length, log, t, 0);
  packFseTable(t, base, bits);
  return t;
}

/** @internal The predefined decoding tables (shared with zstd-encoder.ts, which inverts them). */
export const LL_PREDEFINED = predefined(LL_DEFAULT, 6, LL_BASE, LL_BITS);
export const ML_PREDEFINED = predefined(ML_DEFAULT, 6, ML_BASE, ML_BITS);
export const OF_PREDEFINED = predefined(OF_DEFAULT, 5, null, null);

const normScratch = new Int16Array(256);

/**
 * Reads an FSE table description (RFC 8878 section 4.1.1) from src[pos, end) and builds `t`.
 * @returns the position after the description (it uses a whole number of bytes)
 */
function readFseTable(src: Uint8Array, pos: number, end: number, maxLog: number, maxSymbol: number, t: FseTable): number {
  if (pos >= end) fail('truncated', 'FSE table description is cut off', pos);
  let bit = pos * 8;
  const log = bitsAt(src, bit, 4) + 5;
  bit += 4;
  if (log > maxLog) fail('corrupt', `FSE accuracy log ${log} exceeds ${maxLog}`, pos);
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let nbBits = log + 1;
  let symbol = 0;
  let prev0 = false;
  const norm = normScratch;
  for (;;) {
    if (prev0) {
      // A zero probability is followed by 2-bit repeat flags; 3 means "3 more zeros, read again".
      let r: number;
      do {
        r = bitsAt(src, bit, 2);
        bit += 2;
        for (let i = 0; i < r; i++) {
          if (symbol > maxSymbol) break;
          norm[symbol++] = 0;
        }
      } while (r === 3 && symbol <= maxSymbol);
      if (symbol > maxSymbol) fail('corrupt', 'FSE table has too many symbols', pos);
    }
    const max = 2 * threshold - 1 - remaining;
    const v = bitsAt(src, bit, nbBits);
    let count: number;
    if ((v & (threshold - 1)) < max) {
      count = v & (threshold - 1);
      bit += nbBits - 1;
    } else {
      count = v & (2 * threshold - 1);
      if (count >= threshold) count -= max;
      bit += nbBits;
    }
    count--;
    remaining -= count < 0 ? 1 : count;
    norm[symbol++] = count;
    prev0 = count === 0;
    if (remaining < threshold) {
      if (remaining <= 1) break;
      nbBits = highBit(remaining) + 1;
      threshold = 1 << (nbBits - 1);
    }
    if (symbol > maxSymbol) break;
  }
  if (remaining !== 1) fail('corrupt', 'FSE probabilities do not add up', pos);
  const next = (bit + 7) >>> 3;
  if (next > end) fail('truncated', 'FSE table description is cut off', pos);
  buildFseTable(norm, symbol, log, t, pos);
  return next;
}

// --- Huffman -------------------------------------------------------------------------------------

/** A Huffman decoding table: entry = symbol | (code length << 8), indexed by the next `log` bits. */
interface HufTable {
  log: number;
  readonly entries: Uint16Array;
}

const weights = new Uint8Array(256);
const weightFse = newFseTable(MAX_HUF_WEIGHT_LOG);
const rankCount = new Uint32Array(MAX_HUF_BITS + 2);
const rankStart = new Uint32Array(MAX_HUF_BITS + 2);

/**
 * Reads a Huffman_Tree_Description (RFC 8878 section 4.2.1) at src[pos] into `t`, staying before
 * `end`. @returns the position after the description
 */
function readHuffmanTree(src: Uint8Array, pos: number, end: number, t: HufTable): number {
  if (pos >= end) fail('truncated', 'Huffman tree description is cut off', pos);
  const header = src[pos]!;
  let n: number;
  let next: number;
  if (header >= 128) {
    // Direct representation: 4-bit weights, two per byte, first in the high nibble.
    n = header - 127;
    next = pos + 1 + ((n + 1) >>> 1);
    if (next > end) fail('truncated', 'Huffman weights are cut off', pos);
    for (let i = 0; i < n; i++) {
      const b = src[pos + 1 + (i >>> 1)]!;
      weights[i] = (i & 1) === 0 ? b >>> 4 : b & 15;
    }
  } else {
    // FSE-compressed weights: a table description, then one backward bitstream with two
    // interleaved states sharing the table (RFC 8878 section 4.2.1.2).
    next = pos + 1 + header;
    if (next > end) fail('truncated', 'Huffman weights are cut off', pos);
    const streamStart = readFseTable(src, pos + 1, next, MAX_HUF_WEIGHT_LOG, 255, weightFse);
    if (streamStart >= next) fail('corrupt', 'Huffman weight bitstream is empty', pos);
    const last = src[next - 1]!;
    if (last === 0) fail('corrupt', 'Huffman weight bitstream has no end marker', next - 1);
    const startBit = streamStart * 8;
    let bp = (next - 1) * 8 + highBit(last);
    const log = weightFse.log;
    const sym = weightFse.symbol;
    const nbb = weightFse.nbBits;
    const base = weightFse.baseline;
    bp -= log;
    let s1 = bitsAt(src, bp, log);
    bp -= log;
    let s2 = bitsAt(src, bp, log);
    n = 0;
    // The stream ends when a state update would read past its start ("overflow"); the other
    // state's symbol is then the last one. This is the reference decoder's termination rule.
    for (;;) {
      if (n > 253) fail('corrupt', 'more than 255 Huffman weights', pos);
      weights[n++] = sym[s1]!;
      let nb = nbb[s1]!;
      bp -= nb;
      s1 = base[s1]! + bitsAt(src, bp, nb);
      if (bp < startBit) {
        weights[n++] = sym[s2]!;
        break;
      }
      if (n > 253) fail('corrupt', 'more than 255 Huffman weights', pos);
      weights[n++] = sym[s2]!;
      nb = nbb[s2]!;
      bp -= nb;
      s2 = base[s2]! + bitsAt(src, bp, nb);
      if (bp < startBit) {
        weights[n++] = sym[s1]!;
        break;
      }
    }
  }
  // The last symbol's weight is implied: it completes the sum of 2^(w-1) to a power of two.
  rankCount.fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (w > MAX_HUF_BITS) fail('corrupt', `Huffman weight ${w} exceeds ${MAX_HUF_BITS}`, pos);
    rankCount[w]!++;
    if (w > 0) total += 1 << (w - 1);
  }
  if (total === 0) fail('corrupt', 'Huffman tree has no symbols', pos);
  const maxBits = highBit(total) + 1;
  if (maxBits > MAX_HUF_BITS) fail('corrupt', `Huffman code length ${maxBits} exceeds ${MAX_HUF_BITS}`, pos);
  const rest = (1 << maxBits) - total;
  if ((rest & (rest - 1)) !== 0) fail('corrupt', 'Huffman weights do not complete to a power of two', pos);
  const lastWeight = highBit(rest) + 1;
  weights[n] = lastWeight;
  rankCount[lastWeight]!++;
  const numSymbols = n + 1;
  // A complete prefix code has an even number (>= 2) of longest codes, i.e. of weight-1 symbols.
  if (rankCount[1]! < 2 || (rankCount[1]! & 1) !== 0) fail('corrupt', 'invalid Huffman weight distribution', pos);
  // Codes are handed out from the lowest weight (longest code) up, symbols in natural order
  // within a weight (RFC 8878 section 4.2.1.3); a symbol of weight w fills 2^(w-1) table cells.
  let start = 0;
  for (let w = 1; w <= maxBits; w++) {
    rankStart[w] = start;
    start += rankCount[w]! << (w - 1);
  }
  const entries = t.entries;
  for (let s = 0; s < numSymbols; s++) {
    const w = weights[s]!;
    if (w === 0) continue;
    const len = 1 << (w - 1);
    const entry = s | ((maxBits + 1 - w) << 8);
    const from = rankStart[w]!;
    // A loop for short runs: a fill() call per symbol was a visible share of small frames' time
    // (BENCHMARKS.md, "Figures behind code comments").
    if (len <= 16) for (let i = from; i < from + len; i++) entries[i] = entry;
    else entries.fill(entry, from, from + len);
    rankStart[w] = from + len;
  }
  t.log = maxBits;
  return next;
}

/**
 * Decodes `count` symbols from the Huffman stream src[start, end) into out[op...]
 * (RFC 8878 section 4.2.2). The stream must be consumed exactly.
 */
function decodeHuffmanStream(src: Uint8Array, start: number, end: number, t: HufTable, out: Uint8Array, op: number, count: number): void {
  if (state.wasm) {
    // The frame is in module memory (decodeFrame): huf_stream in wasm/codecs.c, same checks.
    const r = zstdWasmHuffman(t.log, start, end, op, count);
    if (r < 0) fail('corrupt', HUF_WASM_ERRORS[r] ?? `Huffman decoder failed (${r})`, r === -2 ? end - 1 : start);
    return;
  }
  if (end <= start) fail('corrupt', 'empty Huffman stream', start);
  const last = src[end - 1]!;
  if (last === 0) fail('corrupt', 'Huffman stream has no end marker', end - 1);
  const log = t.log;
  const mask = (1 << log) - 1;
  const entries = t.entries;
  let bp = (end - 1) * 8 + highBit(last);
  const stop = op + count;
  // Peeking `log` bits may look below the stream start near its end; those low bits do not change
  // which symbol a valid code selects (every code owns a run of table cells).
  while (op < stop) {
    const p = bp - log;
    const i = p >> 3;
    const w = src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16);
    const e = entries[(w >>> (p & 7)) & mask]!;
    out[op++] = e;
    bp -= e >>> 8;
  }
  if (bp !== start * 8) fail('corrupt', 'Huffman stream not consumed exactly', start);
}

// --- Per-call state ----------------------------------------------------------------------------

/**
 * Decoder state carried between blocks of one frame (RFC 8878 section 3.1.1.3, "Prerequisites").
 * One module-level instance: decoding is synchronous and re-initialises it at every frame start.
 */
const state = {
  rep1: 1,
  rep2: 4,
  rep3: 8,
  llTable: null as FseTable | null,
  ofTable: null as FseTable | null,
  mlTable: null as FseTable | null,
  huf: null as HufTable | null,
  // Storage the tables above point into when not predefined.
  llOwn: newFseTable(MAX_LL_LOG),
  ofOwn: newFseTable(MAX_OF_LOG),
  mlOwn: newFseTable(MAX_ML_LOG),
  hufOwn: { log: 0, entries: new Uint16Array(1 << MAX_HUF_BITS) } as HufTable,
  // Decoded literals of the current block (Huffman or RLE); raw literals are read in place.
  litScratch: new Uint8Array(BLOCK_SIZE_MAX + 32) as Uint8Array,
  litBuf: new Uint8Array(0) as Uint8Array,
  litPos: 0,
  litEnd: 0,
  /** The current frame decodes in the WebAssembly module's memory (decodeFrame). */
  wasm: false,
  /** Repeat offsets and the literal position, to and from zstdWasmSequences. */
  reps: new Uint32Array(4),
};

/** The TypeScript literals scratch, which decodeFrame swaps for one in module memory. */
const LIT_SCRATCH = state.litScratch;

/** Ends a frame decoded in module memory (decodeFrame), normally or by an error (decodeZstd). */
function endWasmFrame(): void {
  state.litScratch = LIT_SCRATCH;
  state.litBuf = LIT_SCRATCH;
  state.wasm = false;
  wasmRelease();
}

function resetFrameState(): void {
  state.rep1 = 1;
  state.rep2 = 4;
  state.rep3 = 8;
  state.llTable = null;
  state.ofTable = null;
  state.mlTable = null;
  state.huf = null;
}

// --- Literals section, RFC 8878 section 3.1.1.3.1 ---------------------------------------------------

/** Decodes the literals section at src[pos] into state.litBuf/litPos/litEnd. @returns the position after it */
function decodeLiterals(src: Uint8Array, pos: number, end: number, blockMax: number): number {
  const b0 = src[pos]!;
  const type = b0 & 3;
  const sizeFormat = (b0 >>> 2) & 3;
  if (type <= 1) {
    let hdr: number;
    let regen: number;
    if ((sizeFormat & 1) === 0) {
      hdr = 1;
      regen = b0 >>> 3;
    } else if (sizeFormat === 1) {
      hdr = 2;
      if (end - pos < 2) fail('truncated', 'literals header is cut off', pos);
      regen = (b0 >>> 4) + (src[pos + 1]! << 4);
    } else {
      hdr = 3;
      if (end - pos < 3) fail('truncated', 'literals header is cut off', pos);
      regen = (b0 >>> 4) + (src[pos + 1]! << 4) + (src[pos + 2]! << 12);
    }
    if (regen > blockMax) fail('corrupt', `${regen} literals exceed the block maximum`, pos);
    const p = pos + hdr;
    if (type === 0) {
      if (regen > end - p) fail('truncated', 'raw literals are cut off', pos);
      state.litBuf = src;
      state.litPos = p;
      state.litEnd = p + regen;
      return p + regen;
    }
    if (p >= end) fail('truncated', 'RLE literal byte is missing', pos);
    state.litScratch.fill(src[p]!, 0, regen);
    state.litBuf = state.litScratch;
    state.litPos = 0;
    state.litEnd = regen;
    return p + 1;
  }
  // Compressed (2) or treeless (3) literals.
  let hdr: number;
  let regen: number;
  let comp: number;
  let streams = 4;
  if (sizeFormat <= 1) {
    hdr = 3;
    if (end - pos < 3) fail('truncated', 'literals header is cut off', pos);
    const h = b0 | (src[pos + 1]! << 8) | (src[pos + 2]! << 16);
    regen = (h >>> 4) & 0x3ff;
    comp = (h >>> 14) & 0x3ff;
    if (sizeFormat === 0) streams = 1;
  } else if (sizeFormat === 2) {
    hdr = 4;
    if (end - pos < 4) fail('truncated', 'literals header is cut off', pos);
    const h = readU32LE(src, pos);
    regen = (h >>> 4) & 0x3fff;
    comp = (h >>> 18) & 0x3fff;
  } else {
    hdr = 5;
    if (end - pos < 5) fail('truncated', 'literals header is cut off', pos);
    const h = readU32LE(src, pos);
    regen = (h >>> 4) & 0x3ffff;
    comp = (h >>> 22) + (src[pos + 4]! << 10);
  }
  if (regen > blockMax) fail('corrupt', `${regen} literals exceed the block maximum`, pos);
  let p = pos + hdr;
  if (comp > end - p) fail('truncated', 'compressed literals are cut off', pos);
  const cEnd = p + comp;
  if (type === 2) {
    p = readHuffmanTree(src, p, cEnd, state.hufOwn);
    state.huf = state.hufOwn;
  } else if (state.huf === null) {
    fail('corrupt', 'treeless literals without a previous Huffman table', pos);
  }
  const t = state.huf;
  const out = state.litScratch;
  if (state.wasm) zstdWasmHufTable(t.entries, t.log);
  if (streams === 1) {
    decodeHuffmanStream(src, p, cEnd, t, out, 0, regen);
  } else {
    // Four streams behind a 6-byte jump table of the first three compressed sizes.
    if (cEnd - p < 10) fail('corrupt', 'four-stream literals are too short', p);
    const s1 = src[p]! | (src[p + 1]! << 8);
    const s2 = src[p + 2]! | (src[p + 3]! << 8);
    const s3 = src[p + 4]! | (src[p + 5]! << 8);
    const a = p + 6;
    const b = a + s1;
    const c = b + s2;
    const d = c + s3;
    if (d >= cEnd) fail('corrupt', 'jump table sizes exceed the literals section', p);
    const seg = (regen + 3) >>> 2;
    const lastSeg = regen - 3 * seg;
    if (lastSeg < 0) fail('corrupt', `${regen} literals cannot be split in four streams`, pos);
    if (state.wasm) {
      const r = zstdWasmHuffman4(t.log, a, b, c, d, cEnd, 0, seg, lastSeg);
      if (r < 0) fail('corrupt', HUF_WASM_ERRORS[r] ?? `Huffman decoder failed (${r})`, a);
      state.litBuf = out;
      state.litPos = 0;
      state.litEnd = regen;
      return cEnd;
    }
    decodeHuffmanStream(src, a, b, t, out, 0, seg);
    decodeHuffmanStream(src, b, c, t, out, seg, seg);
    decodeHuffmanStream(src, c, d, t, out, 2 * seg, seg);
    decodeHuffmanStream(src, d, cEnd, t, out, 3 * seg, lastSeg);
  }
  state.litBuf = out;
  state.litPos = 0;
  state.litEnd = regen;
  return cEnd;
}

// --- Sequences section, RFC 8878 sections 3.1.1.3.2 and 3.1.1.4 --------------------------------------

function selectTable(
  src: Uint8Array,
  pos: number,
  end: number,
  mode: number,
  prev: FseTable | null,
  own: FseTable,
  predef: FseTable,
  maxLog: number,
  maxSymbol: number,
  which: string,
  base: Uint32Array | null,
  bits: Uint8Array | null,
): [FseTable, number] {
  switch (mode) {
    case 0:
      return [predef, pos];
    case 1: {
      if (pos >= end) fail('truncated', `${which} RLE symbol is missing`, pos);
      const s = src[pos]!;
      if (s > maxSymbol) fail('corrupt', `${which} RLE symbol ${s} is out of range`, pos);
      own.symbol[0] = s;
      own.nbBits[0] = 0;
      own.baseline[0] = 0;
      own.log = 0;
      packFseTable(own, base, bits);
      return [own, pos + 1];
    }
    case 2: {
      const next = readFseTable(src, pos, end, maxLog, maxSymbol, own);
      packFseTable(own, base, bits);
      return [own, next];
    }
    default:
      if (prev === null) fail('corrupt', `${which} repeat mode without a previous table`, pos);
      return [prev, pos];
  }
}

/**
 * Decodes and executes the sequences of one compressed block (src[pos, end)) into out.buf from
 * out.pos, producing at most `limit - out.pos` bytes in total with the remaining literals.
 */
function decodeSequences(
  src: Uint8Array,
  pos: number,
  end: number,
  out: OutputBuffer,
  frameStart: number,
  limit: number,
  limitReason: CompressionFailure,
): void {
  if (pos >= end) fail('truncated', 'sequences section is missing', pos);
  const b0 = src[pos]!;
  let nbSeq: number;
  let p: number;
  if (b0 < 128) {
    nbSeq = b0;
    p = pos + 1;
  } else if (b0 < 255) {
    if (end - pos < 2) fail('truncated', 'sequence count is cut off', pos);
    nbSeq = ((b0 - 128) << 8) + src[pos + 1]!;
    p = pos + 2;
  } else {
    if (end - pos < 3) fail('truncated', 'sequence count is cut off', pos);
    nbSeq = src[pos + 1]! + (src[pos + 2]! << 8) + 0x7f00;
    p = pos + 3;
  }
  const buf = out.buf;
  const outView = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const outCap = buf.length;
  let op = out.pos;
  const lits = state.litBuf;
  const litView = new DataView(lits.buffer, lits.byteOffset, lits.length);
  const litCap = lits.length;
  let lp = state.litPos;
  const litEnd = state.litEnd;
  if (nbSeq === 0) {
    // The block is its literals alone; tables used by Repeat_Mode stay as they were.
    if (p !== end) fail('corrupt', 'data after an empty sequences section', p);
  } else {
    if (p >= end) fail('truncated', 'symbol compression modes are missing', p);
    const modes = src[p++]!;
    if ((modes & 3) !== 0) fail('corrupt', 'reserved bits of the compression modes are set', p - 1);
    let r = selectTable(src, p, end, modes >>> 6, state.llTable, state.llOwn, LL_PREDEFINED, MAX_LL_LOG, MAX_LL_SYMBOL, 'literal length', LL_BASE, LL_BITS);
    const ll = r[0];
    r = selectTable(src, r[1], end, (modes >>> 4) & 3, state.ofTable, state.ofOwn, OF_PREDEFINED, MAX_OF_LOG, MAX_OF_SYMBOL, 'offset', null, null);
    const of = r[0];
    r = selectTable(src, r[1], end, (modes >>> 2) & 3, state.mlTable, state.mlOwn, ML_PREDEFINED, MAX_ML_LOG, MAX_ML_SYMBOL, 'match length', ML_BASE, ML_BITS);
    const ml = r[0];
    p = r[1];
    state.llTable = ll;
    state.ofTable = of;
    state.mlTable = ml;
    if (p >= end) fail('truncated', 'sequence bitstream is missing', p);
    const last = src[end - 1]!;
    if (last === 0) fail('corrupt', 'sequence bitstream has no end marker', end - 1);
    if (state.wasm) {
      const reps = state.reps;
      reps[0] = state.rep1;
      reps[1] = state.rep2;
      reps[2] = state.rep3;
      const r = zstdWasmSequences(p, end, nbSeq, ll, of, ml, lits === src, lp, litEnd, op, limit, frameStart, reps);
      if (r < 0) {
        const [why, message] = ZSTD_WASM_ERRORS[r] ?? ['corrupt', `sequence decoder failed (${r})`];
        fail(why === 'limit' ? limitReason : why, message, p);
      }
      op = r;
      lp = reps[3]!;
      state.rep1 = reps[0]!;
      state.rep2 = reps[1]!;
      state.rep3 = reps[2]!;
      const rest = litEnd - lp;
      if (rest > limit - op) fail(limitReason, 'block output exceeds its limit', pos);
      buf.set(lits.subarray(lp, litEnd), op);
      out.pos = op + rest;
      return;
    }
    const streamLen = end - p;
    seqBytes.set(src.subarray(p, end), SEQ_PAD);
    seqBytes.fill(0, SEQ_PAD + streamLen, SEQ_PAD + streamLen + 8);
    const startBit = SEQ_PAD * 8;
    let bp = (SEQ_PAD + streamLen - 1) * 8 + highBit(last);
    const llCell = ll.cell;
    const llValue = ll.value;
    const ofCell = of.cell;
    const mlCell = ml.cell;
    const mlValue = ml.value;
    // Initial states: literal length, then offset, then match length (RFC 8878 section 3.1.1.3.2,
    // "Decoding Sequences", "Starting states").
    bp -= ll.log;
    let llState = seqBits(bp, ll.log);
    bp -= of.log;
    let ofState = seqBits(bp, of.log);
    bp -= ml.log;
    let mlState = seqBits(bp, ml.log);
    if (bp < startBit) fail('corrupt', 'sequence bitstream too short for the initial states', p);
    let rep1 = state.rep1;
    let rep2 = state.rep2;
    let rep3 = state.rep3;
    for (let s = 0; s < nbSeq; s++) {
      // Extra bits are read offset, match length, literal length (RFC 8878 section 3.1.1.3.2,
      // "Decoding a sequence").
      const llE = llCell[llState]!;
      const mlE = mlCell[mlState]!;
      const ofE = ofCell[ofState]!;
      const ofCode = ofE >>> 24;
      let ofValue: number;
      if (ofCode <= 24) {
        bp -= ofCode;
        ofValue = (1 << ofCode) + seqBits(bp, ofCode);
      } else {
        bp -= ofCode;
        ofValue = 2 ** ofCode + seqBits(bp, 24) + seqBits(bp + 24, ofCode - 24) * 0x1000000;
      }
      let v = mlValue[mlState]!;
      let n = v >>> 24;
      bp -= n;
      const matchLen = (v & 0xffffff) + seqBits(bp, n);
      v = llValue[llState]!;
      n = v >>> 24;
      bp -= n;
      const litLen = (v & 0xffffff) + seqBits(bp, n);
      // Repeat offsets, RFC 8878 section 3.1.1.5.
      let offset: number;
      if (ofValue > 3) {
        offset = ofValue - 3;
        rep3 = rep2;
        rep2 = rep1;
        rep1 = offset;
      } else {
        const idx = ofValue - 1 + (litLen === 0 ? 1 : 0);
        if (idx === 0) {
          offset = rep1;
        } else if (idx === 1) {
          offset = rep2;
          rep2 = rep1;
          rep1 = offset;
        } else if (idx === 2) {
          offset = rep3;
          rep3 = rep2;
          rep2 = rep1;
          rep1 = offset;
        } else {
          offset = rep1 - 1;
          if (offset === 0) fail('corrupt', 'repeat offset 1 minus 1 is zero', end);
          rep3 = rep2;
          rep2 = rep1;
          rep1 = offset;
        }
      }
      // State updates (not after the last sequence): literal length, match length, offset.
      if (s + 1 < nbSeq) {
        n = (llE >>> 16) & 0xff;
        bp -= n;
        llState = (llE & 0xffff) + seqBits(bp, n);
        n = (mlE >>> 16) & 0xff;
        bp -= n;
        mlState = (mlE & 0xffff) + seqBits(bp, n);
        n = (ofE >>> 16) & 0xff;
        bp -= n;
        ofState = (ofE & 0xffff) + seqBits(bp, n);
      }
      if (bp < startBit) fail('corrupt', 'sequence bitstream overflow', p);
      // Execute: literals, then the match (RFC 8878 section 3.1.1.4).
      if (litLen > litEnd - lp) fail('corrupt', 'sequence uses more literals than decoded', p);
      if (litLen + matchLen > limit - op) fail(limitReason, 'block output exceeds its limit', p);
      if (litLen <= 16 && lp + 16 <= litCap && op + 16 <= outCap) {
        // "Wild copy": always move 16 bytes; the excess lands past `op` where later output
        // overwrites it, and both buffers were checked to have the room.
        outView.setUint32(op, litView.getUint32(lp, true), true);
        outView.setUint32(op + 4, litView.getUint32(lp + 4, true), true);
        outView.setUint32(op + 8, litView.getUint32(lp + 8, true), true);
        outView.setUint32(op + 12, litView.getUint32(lp + 12, true), true);
      } else if (litLen <= 32) {
        for (let i = 0; i < litLen; i++) buf[op + i] = lits[lp + i]!;
      } else {
        buf.set(lits.subarray(lp, lp + litLen), op);
      }
      op += litLen;
      lp += litLen;
      if (offset > op - frameStart) fail('corrupt', `match offset ${offset} reaches before the frame start`, p);
      let from = op - offset;
      if (offset >= matchLen && matchLen > COPY_WITHIN_MIN) {
        buf.copyWithin(op, from, from + matchLen);
        op += matchLen;
      } else if (offset >= 8 && op + matchLen + 8 <= outCap) {
        // Wild copy in 8-byte steps: with the source 8+ bytes behind, every word read is
        // already final, and the overshoot (< 8 bytes) is overwritten by later output.
        const stop = op + matchLen;
        do {
          outView.setUint32(op, outView.getUint32(from, true), true);
          outView.setUint32(op + 4, outView.getUint32(from + 4, true), true);
          op += 8;
          from += 8;
        } while (op < stop);
        op = stop;
      } else if (offset >= 4) {
        // Word copies are safe once the source is 4+ bytes behind: every word read is complete.
        const stop = op + matchLen;
        while (op + 4 <= stop) {
          outView.setUint32(op, outView.getUint32(from, true), true);
          op += 4;
          from += 4;
        }
        while (op < stop) buf[op++] = buf[from++]!;
      } else if (offset === 1) {
        buf.fill(buf[from]!, op, op + matchLen);
        op += matchLen;
      } else {
        // Overlapping match: each byte may be one this match just wrote.
        const stop = op + matchLen;
        while (op < stop) buf[op++] = buf[from++]!;
      }
    }
    if (bp !== startBit) fail('corrupt', 'sequence bitstream not consumed exactly', p);
    state.rep1 = rep1;
    state.rep2 = rep2;
    state.rep3 = rep3;
  }
  const rest = litEnd - lp;
  if (rest > limit - op) fail(limitReason, 'block output exceeds its limit', pos);
  buf.set(lits.subarray(lp, litEnd), op);
  out.pos = op + rest;
}

// --- Frames --------------------------------------------------------------------------------------

/**
 * Walks the block headers of a frame from `pos` to compute an upper bound of its output and the
 * position after its last block, without decoding. Lets the output be sized once even when the
 * frame does not declare its content size (zstd-jni's streaming writer, which Kafka uses, does not).
 */
function scanBlocks(src: Uint8Array, pos: number, blockMax: number): [number, number, number] {
  const end = src.length;
  let bound = 0;
  // Raw and RLE blocks produce exactly their Block_Size: a lower bound that lets a bomb made of
  // RLE blocks fail before anything is allocated.
  let exact = 0;
  for (;;) {
    if (end - pos < 3) fail('truncated', 'block header is cut off', pos);
    const h = src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16);
    const type = (h >>> 1) & 3;
    const size = h >>> 3;
    if (type === 3) fail('corrupt', 'reserved block type', pos);
    if (size > blockMax) fail('corrupt', `block size ${size} exceeds Block_Maximum_Size ${blockMax}`, pos);
    const content = type === 1 ? 1 : size;
    if (content > end - pos - 3) fail('truncated', 'block content is cut off', pos);
    bound += type === 2 ? blockMax : size;
    if (type !== 2) exact += size;
    pos += 3 + content;
    if ((h & 1) !== 0) return [bound, exact, pos];
  }
}

function decodeFrame(input: Uint8Array, frameStart: number, output: OutputBuffer, verify: boolean): number {
  let src = input;
  let out = output;
  const end = src.length;
  const pos = frameStart + 4;
  if (pos >= end) fail('truncated', 'frame header is cut off', pos);
  const fhd = src[pos]!;
  const fcsFlag = fhd >>> 6;
  const single = (fhd & 0x20) !== 0;
  const hasChecksum = (fhd & 0x04) !== 0;
  if ((fhd & 0x08) !== 0) fail('corrupt', 'reserved frame header bit is set', pos);
  const didSize = [0, 1, 2, 4][fhd & 3]!;
  const fcsSize = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  const headerSize = 1 + (single ? 0 : 1) + didSize + fcsSize;
  if (end - pos < headerSize) fail('truncated', 'frame header is cut off', pos);
  let p = pos + 1;
  let windowSize = 0;
  if (!single) {
    const wd = src[p++]!;
    const windowLog = 10 + (wd >>> 3);
    const windowBase = 2 ** windowLog;
    windowSize = windowBase + (windowBase / 8) * (wd & 7);
  }
  if (didSize > 0) {
    let did = 0;
    for (let i = didSize - 1; i >= 0; i--) did = did * 256 + src[p + i]!;
    // RFC 8878 section 3.1.1.1.3: a Dictionary_ID of 0 means "no id"; any other needs a dictionary.
    if (did !== 0) fail('unsupported', `dictionaries unsupported (Dictionary_ID ${did})`, p);
    p += didSize;
  }
  let contentSize = -1;
  if (fcsSize === 1) contentSize = src[p]!;
  else if (fcsSize === 2) contentSize = (src[p]! | (src[p + 1]! << 8)) + 256;
  else if (fcsSize === 4) contentSize = readU32LE(src, p);
  else if (fcsSize === 8) {
    const hi = readU32LE(src, p + 4);
    contentSize = hi >= 0x200000 ? Infinity : hi * 0x100000000 + readU32LE(src, p);
  }
  p += fcsSize;
  if (single) windowSize = contentSize;
  const blockMax = Math.min(windowSize, BLOCK_SIZE_MAX);
  const [bound, exact, blocksEnd] = scanBlocks(src, p, blockMax);
  if (contentSize > bound) fail('corrupt', `content size ${contentSize} exceeds what the blocks can hold`, pos);
  const allowed = out.remainingAllowed();
  if (contentSize > allowed) fail('limit', `content size ${contentSize} exceeds maxOutputBytes ${out.max}`, pos);
  if (exact > allowed) fail('limit', `raw and RLE blocks alone exceed maxOutputBytes ${out.max}`, pos);
  const outMax = Math.min(contentSize >= 0 ? contentSize : bound, allowed);
  // With the WebAssembly module (wasm.ts), the frame is decoded in its memory: a copy of the input,
  // the literals scratch and the output all live there, the sequences run in wasm/codecs.c, and
  // the output is copied out once at the end. Everything else below is the same code either way.
  // The copy reaches past the blocks to the content checksum, if any.
  const w = zstdWasmFrame(src, Math.min(end, blocksEnd + 4), outMax, BLOCK_SIZE_MAX);
  const final = out;
  if (w === undefined) {
    out.reserve(outMax, pos, contentSize >= 0);
  } else {
    src = w.src;
    out = new OutputBuffer('zstd', final.max);
    out.buf = w.out;
    state.litScratch = w.lits;
    state.wasm = true;
  }
  const outStart = out.pos;
  const frameLimit = contentSize >= 0 ? outStart + contentSize : outStart + allowed;
  const frameReason: CompressionFailure = contentSize >= 0 ? 'corrupt' : 'limit';
  resetFrameState();
  for (;;) {
    const h = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16);
    const type = (h >>> 1) & 3;
    const size = h >>> 3;
    const c = p + 3;
    const op = out.pos;
    // Capacity covers min(bound, frameLimit), so only blockMax or frameLimit can bind here.
    let limit = op + (type === 2 ? blockMax : size);
    let reason: CompressionFailure = 'corrupt';
    if (frameLimit < limit) {
      limit = frameLimit;
      reason = frameReason;
    }
    if (out.buf.length < limit) limit = out.buf.length;
    if (type === 0) {
      if (size > limit - op) fail(reason, 'raw block exceeds the output limit', p);
      out.buf.set(src.subarray(c, c + size), op);
      out.pos = op + size;
      p = c + size;
    } else if (type === 1) {
      if (size > limit - op) fail(reason, 'RLE block exceeds the output limit', p);
      out.buf.fill(src[c]!, op, op + size);
      out.pos = op + size;
      p = c + 1;
    } else {
      const blockEnd = c + size;
      if (size === 0) fail('corrupt', 'empty compressed block', p);
      const q = decodeLiterals(src, c, blockEnd, blockMax);
      decodeSequences(src, q, blockEnd, out, outStart, limit, reason);
      p = blockEnd;
    }
    if ((h & 1) !== 0) break;
  }
  if (p !== blocksEnd) fail('corrupt', 'block chain mismatch', p);
  const produced = out.pos - outStart;
  if (contentSize >= 0 && produced !== contentSize) {
    fail('corrupt', `frame produced ${produced} bytes, header declared ${contentSize}`, pos);
  }
  if (hasChecksum) {
    if (end - p < 4) fail('truncated', 'content checksum is cut off', p);
    // RFC 8878 section 3.1.1: the low 32 bits of xxHash64(content, seed 0), little-endian.
    const sum = !verify ? 0 : w !== undefined ? zstdWasmChecksum(outStart, out.pos) : wasmXxh64Low32(out.buf, outStart, out.pos) ?? xxHash64Low32(out.buf, outStart, out.pos);
    if (verify && sum !== readU32LE(src, p)) fail('checksum', 'content checksum mismatch', p);
    p += 4;
  }
  if (w !== undefined) {
    final.reserve(produced, pos, true);
    final.buf.set(w.out.subarray(outStart, out.pos), final.pos);
    final.pos += produced;
    endWasmFrame();
  }
  return p;
}

/**
 * Decompresses zstd data: one or more frames, skippable frames ignored (RFC 8878 section 3.1).
 * @throws CompressionError (`KWIRE_ERR_COMPRESSION`) on corrupt or truncated input, a content
 *   checksum mismatch, or a frame that needs a dictionary (reason 'unsupported');
 *   (`KWIRE_ERR_COMPRESSION_LIMIT`) if the output would exceed `maxOutputBytes`
 */
export function decodeZstd(input: Uint8Array, opts?: ZstdDecodeOptions): Buffer {
  const max = resolveMaxOutput('zstd', opts?.maxOutputBytes);
  const verify = opts?.verifyChecksum ?? true;
  const out = new OutputBuffer('zstd', max, opts?.alloc);
  const end = input.length;
  if (end === 0) fail('truncated', 'empty input', 0);
  let pos = 0;
  try {
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
      if (magic !== ZSTD_MAGIC) fail('corrupt', `bad frame magic 0x${magic.toString(16)}`, pos);
      pos = decodeFrame(input, pos, out, verify);
    }
  } finally {
    if (state.wasm) endWasmFrame();
    // Raw literals are read in place; do not keep the caller's input alive after returning.
    state.litBuf = LIT_SCRATCH;
  }
  return out.finish();
}
