/**
 * A small zstd compressor (RFC 8878), so Kafka codec 4 can be produced on Node 20, whose zlib has
 * no zstd. It favours simplicity over ratio: a greedy hash matcher, raw literals, and the
 * predefined / RLE / repeat sequence table modes only (no Huffman literals, no custom FSE tables).
 * Output is a single frame with Single_Segment_flag and Frame_Content_Size, readable by any
 * conforming decoder (zstd CLI, zstd-jni in Java Kafka); typically between lz4 and gzip in size.
 *
 * FSE encoding here is the decoding table run backwards (RFC 8878 section 4.1): for a decoder state
 * y that must follow symbol s, the previous state is the cell u holding s whose range
 * [Baseline(u), Baseline(u) + 2^Num_Bits(u)) contains y, and y - Baseline(u) is written in
 * Num_Bits(u) bits. The cells of one symbol partition the state space, so u always exists.
 */
import { CompressionError } from './errors.js';
import { xxHash64Low32 } from './xxhash.js';
import {
  BLOCK_SIZE_MAX,
  LL_BASE,
  LL_BITS,
  LL_PREDEFINED,
  ML_BASE,
  ML_BITS,
  ML_PREDEFINED,
  OF_PREDEFINED,
  ZSTD_MAGIC,
  type FseTable,
} from './zstd.js';

/** Options for {@link encodeZstd}. */
export interface ZstdEncodeOptions {
  /** Append the xxHash64 Content_Checksum (default false, as zstd-jni writes Kafka batches). */
  readonly checksum?: boolean;
}

const HASH_LOG = 16;
/** Offset_Value must stay below 2^28: the predefined offset table stops at code 28. */
const MAX_OFFSET = (1 << 27) - 4;
const MODE_PREDEFINED = 0;
const MODE_RLE = 1;
const MODE_REPEAT = 3;

/** A decoding table inverted for encoding: cellFor[symbol * size + y] is the cell to come from. */
interface FseEncoder {
  readonly table: FseTable;
  readonly size: number;
  readonly cellFor: Int16Array;
}

function invert(t: FseTable, numSymbols: number): FseEncoder {
  const size = 1 << t.log;
  const cellFor = new Int16Array(numSymbols * size).fill(-1);
  for (let u = 0; u < size; u++) {
    const base = t.baseline[u]!;
    const row = t.symbol[u]! * size;
    for (let y = base; y < base + (1 << t.nbBits[u]!); y++) cellFor[row + y] = u;
  }
  return { table: t, size, cellFor };
}

let predefined: { ll: FseEncoder; of: FseEncoder; ml: FseEncoder } | undefined;

function predefinedEncoders(): { ll: FseEncoder; of: FseEncoder; ml: FseEncoder } {
  predefined ??= { ll: invert(LL_PREDEFINED, 36), of: invert(OF_PREDEFINED, 29), ml: invert(ML_PREDEFINED, 53) };
  return predefined;
}

function rleEncoder(symbol: number): FseEncoder {
  const table: FseTable = {
    log: 0, symbol: Uint8Array.of(symbol), nbBits: Uint8Array.of(0), baseline: Uint16Array.of(0), cell: Int32Array.of(symbol << 24), value: new Int32Array(1),
  };
  const cellFor = new Int16Array(symbol + 1).fill(-1);
  cellFor[symbol] = 0;
  return { table, size: 1, cellFor };
}

/** Forward little-endian bit writer; a zstd bitstream is read back from its end. */
class BitWriter {
  readonly buf: Uint8Array;
  pos = 0;
  private acc = 0;
  private n = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  /** Appends the low `bits` (0..24) bits of `value`. */
  write(value: number, bits: number): void {
    this.acc |= value << this.n;
    this.n += bits;
    while (this.n >= 8) {
      this.buf[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.n -= 8;
    }
  }

  /** Writes the end-of-stream 1 bit and pads the last byte with zeros (RFC 8878 section 4.1). */
  finish(): Uint8Array {
    this.write(1, 1);
    if (this.n > 0) this.buf[this.pos++] = this.acc & 0xff;
    return this.buf.subarray(0, this.pos);
  }
}

function highBit(v: number): number {
  return 31 - Math.clz32(v);
}

function llCode(ll: number): number {
  if (ll < 16) return ll;
  if (ll >= 64) return highBit(ll) + 19;
  let c = 16;
  while (LL_BASE[c + 1]! <= ll) c++;
  return c;
}

function mlCode(ml: number): number {
  const v = ml - 3;
  if (v < 32) return v;
  if (v >= 128) return highBit(v) + 36;
  let c = 32;
  while (ML_BASE[c + 1]! <= ml) c++;
  return c;
}

/** Per-kind table choice for one block, and what the decoder will remember for Repeat_Mode. */
type TableMemory = 'predefined' | number | null;

interface FrameState {
  rep1: number;
  rep2: number;
  rep3: number;
  ll: TableMemory;
  of: TableMemory;
  ml: TableMemory;
}

function chooseTable(codes: Int32Array, count: number, prev: TableMemory, pre: FseEncoder): [number, FseEncoder, TableMemory] {
  let same = true;
  for (let i = 1; i < count && same; i++) same = codes[i] === codes[0];
  if (same) {
    const s = codes[0]!;
    return [prev === s ? MODE_REPEAT : MODE_RLE, rleEncoder(s), s];
  }
  return [prev === 'predefined' ? MODE_REPEAT : MODE_PREDEFINED, pre, 'predefined'];
}

function literalsHeader(size: number): Uint8Array {
  // Raw_Literals_Block with the shortest Size_Format (RFC 8878 section 3.1.1.3.1.1).
  if (size < 32) return Uint8Array.of(size << 3);
  if (size < 4096) return Uint8Array.of(((size & 15) << 4) | 0x04, size >>> 4);
  return Uint8Array.of(((size & 15) << 4) | 0x0c, (size >>> 4) & 0xff, size >>> 12);
}

function sequenceCount(n: number): Uint8Array {
  if (n < 128) return Uint8Array.of(n);
  if (n < 0x7f00) return Uint8Array.of((n >>> 8) + 128, n & 0xff);
  return Uint8Array.of(255, (n - 0x7f00) & 0xff, (n - 0x7f00) >>> 8);
}

function blockHeader(last: boolean, type: number, size: number): Uint8Array {
  const h = (last ? 1 : 0) | (type << 1) | (size << 3);
  return Uint8Array.of(h & 0xff, (h >>> 8) & 0xff, h >>> 16);
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * Compressed block content for input[start, end), or undefined when it would not be smaller than
 * the input (the caller then writes a Raw_Block). Updates `st` only when it returns content.
 */
function compressBlock(input: Uint8Array, start: number, end: number, table: Int32Array, st: FrameState): Uint8Array[] | undefined {
  const maxSeq = ((end - start) >>> 2) + 1;
  const lls = new Int32Array(maxSeq);
  const mls = new Int32Array(maxSeq);
  const offs = new Int32Array(maxSeq);
  const lits = new Uint8Array(end - start);
  let nLits = 0;
  let nSeq = 0;
  let ip = start;
  let anchor = start;
  let skip = 64;
  while (ip + 4 <= end) {
    const v = load32(input, ip);
    const h = Math.imul(v, 0x9e3779b1) >>> (32 - HASH_LOG);
    const cand = table[h]!;
    table[h] = ip;
    if (cand >= 0 && ip - cand <= MAX_OFFSET && load32(input, cand) === v) {
      let len = 4;
      while (ip + len < end && input[cand + len] === input[ip + len]) len++;
      lits.set(input.subarray(anchor, ip), nLits);
      nLits += ip - anchor;
      lls[nSeq] = ip - anchor;
      mls[nSeq] = len;
      offs[nSeq] = ip - cand;
      nSeq++;
      ip += len;
      anchor = ip;
      skip = 64;
    } else {
      ip += skip++ >>> 6;
    }
  }
  lits.set(input.subarray(anchor, end), nLits);
  nLits += end - anchor;

  // Offset values with repeat codes (RFC 8878 section 3.1.1.5), mirroring the decoder's updates.
  let { rep1, rep2, rep3 } = st;
  const llCodes = new Int32Array(nSeq);
  const mlCodes = new Int32Array(nSeq);
  const ofCodes = new Int32Array(nSeq);
  const ofValues = new Int32Array(nSeq);
  for (let i = 0; i < nSeq; i++) {
    const ll = lls[i]!;
    const off = offs[i]!;
    let ov: number;
    if (ll > 0 && off === rep1) {
      ov = 1; // Repeated_Offset1: no change
    } else {
      if (ll > 0 && off === rep2) {
        ov = 2;
      } else if (ll === 0 && off === rep2) {
        ov = 1; // literals_length 0 shifts the repeat codes by one
      } else if (off === rep3) {
        ov = ll > 0 ? 3 : 2;
        rep3 = rep2;
      } else {
        // A new offset, or (literals_length 0 only) Repeated_Offset1 - 1, both of which push all
        // three repeat offsets back.
        ov = ll === 0 && off === rep1 - 1 ? 3 : off + 3;
        rep3 = rep2;
      }
      rep2 = rep1;
      rep1 = off;
    }
    ofValues[i] = ov;
    ofCodes[i] = highBit(ov);
    llCodes[i] = llCode(ll);
    mlCodes[i] = mlCode(mls[i]!);
  }

  const parts: Uint8Array[] = [literalsHeader(nLits), lits.subarray(0, nLits), sequenceCount(nSeq)];
  let size = parts[0]!.length + nLits + parts[2]!.length;
  let memory: [TableMemory, TableMemory, TableMemory] = [st.ll, st.of, st.ml];
  if (nSeq > 0) {
    const pre = predefinedEncoders();
    const [llMode, llEnc, llMem] = chooseTable(llCodes, nSeq, st.ll, pre.ll);
    const [ofMode, ofEnc, ofMem] = chooseTable(ofCodes, nSeq, st.of, pre.of);
    const [mlMode, mlEnc, mlMem] = chooseTable(mlCodes, nSeq, st.ml, pre.ml);
    memory = [llMem, ofMem, mlMem];
    const desc: number[] = [(llMode << 6) | (ofMode << 4) | (mlMode << 2)];
    // RLE tables are described by their symbol, in the order LL, OF, ML.
    if (llMode === MODE_RLE) desc.push(llCodes[0]!);
    if (ofMode === MODE_RLE) desc.push(ofCodes[0]!);
    if (mlMode === MODE_RLE) desc.push(mlCodes[0]!);
    const bits = encodeSequences(nSeq, llCodes, mlCodes, ofCodes, ofValues, lls, mls, llEnc, ofEnc, mlEnc);
    parts.push(Uint8Array.from(desc), bits);
    size += desc.length + bits.length;
  }
  if (size >= end - start) return undefined;
  st.rep1 = rep1;
  st.rep2 = rep2;
  st.rep3 = rep3;
  [st.ll, st.of, st.ml] = memory;
  return parts;
}

function encodeSequences(
  n: number,
  llCodes: Int32Array,
  mlCodes: Int32Array,
  ofCodes: Int32Array,
  ofValues: Int32Array,
  lls: Int32Array,
  mls: Int32Array,
  llEnc: FseEncoder,
  ofEnc: FseEncoder,
  mlEnc: FseEncoder,
): Uint8Array {
  const w = new BitWriter(n * 12 + 16);
  const extras = (i: number): void => {
    // Read order is offset, match length, literal length, so they are written reversed.
    const lc = llCodes[i]!;
    w.write(lls[i]! - LL_BASE[lc]!, LL_BITS[lc]!);
    const mc = mlCodes[i]!;
    w.write(mls[i]! - ML_BASE[mc]!, ML_BITS[mc]!);
    const oc = ofCodes[i]!;
    const extra = ofValues[i]! - (1 << oc);
    if (oc > 16) {
      w.write(extra & 0xffff, 16);
      w.write(extra >>> 16, oc - 16);
    } else {
      w.write(extra, oc);
    }
  };
  const first = (enc: FseEncoder, sym: number): number => {
    for (let y = 0; y < enc.size; y++) if (enc.table.symbol[y] === sym) return y;
    throw new CompressionError('zstd', 'corrupt', `symbol ${sym} missing from its table`, 0);
  };
  // The last sequence may sit in any cell of its symbol; earlier states follow from later ones.
  let llState = first(llEnc, llCodes[n - 1]!);
  let ofState = first(ofEnc, ofCodes[n - 1]!);
  let mlState = first(mlEnc, mlCodes[n - 1]!);
  extras(n - 1);
  const step = (enc: FseEncoder, sym: number, y: number): number => {
    const u = enc.cellFor[sym * enc.size + y]!;
    w.write(y - enc.table.baseline[u]!, enc.table.nbBits[u]!);
    return u;
  };
  for (let i = n - 2; i >= 0; i--) {
    // Updates are read LL, ML, OF; written OF, ML, LL.
    ofState = step(ofEnc, ofCodes[i]!, ofState);
    mlState = step(mlEnc, mlCodes[i]!, mlState);
    llState = step(llEnc, llCodes[i]!, llState);
    extras(i);
  }
  // Initial states are read LL, OF, ML; written ML, OF, LL.
  w.write(mlState, mlEnc.table.log);
  w.write(ofState, ofEnc.table.log);
  w.write(llState, llEnc.table.log);
  return w.finish();
}

/**
 * Compresses `input` into one zstd frame (Single_Segment, Frame_Content_Size, optional checksum).
 * @throws CompressionError (reason 'limit') for inputs of 2^32 bytes or more
 */
export function encodeZstd(input: Uint8Array, opts?: ZstdEncodeOptions): Buffer {
  const n = input.length;
  if (n > 0xffffffff) throw new CompressionError('zstd', 'limit', 'zstd encoder input must be below 4 GiB', 0);
  const checksum = opts?.checksum ?? false;
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(9);
  header.writeUInt32LE(ZSTD_MAGIC, 0);
  let fcsFlag: number;
  let hdrLen: number;
  if (n < 256) {
    fcsFlag = 0;
    header[5] = n;
    hdrLen = 6;
  } else if (n < 65536 + 256) {
    fcsFlag = 1;
    header.writeUInt16LE(n - 256, 5);
    hdrLen = 7;
  } else {
    fcsFlag = 2;
    header.writeUInt32LE(n, 5);
    hdrLen = 9;
  }
  // Single_Segment: Window_Size = Frame_Content_Size, so every earlier byte may be referenced.
  header[4] = (fcsFlag << 6) | 0x20 | (checksum ? 0x04 : 0);
  parts.push(header.subarray(0, hdrLen));
  const blockSize = Math.min(n, BLOCK_SIZE_MAX);
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  const st: FrameState = { rep1: 1, rep2: 4, rep3: 8, ll: null, of: null, ml: null };
  if (n === 0) parts.push(blockHeader(true, 0, 0));
  for (let start = 0; start < n; start += blockSize) {
    const end = Math.min(n, start + blockSize);
    const last = end === n;
    let rle = true;
    for (let i = start + 1; i < end && rle; i++) rle = input[i] === input[start];
    if (rle && end - start > 1) {
      parts.push(blockHeader(last, 1, end - start), input.subarray(start, start + 1));
      continue;
    }
    const content = compressBlock(input, start, end, table, st);
    if (content === undefined) {
      parts.push(blockHeader(last, 0, end - start), input.subarray(start, end));
    } else {
      let size = 0;
      for (const c of content) size += c.length;
      parts.push(blockHeader(last, 2, size), ...content);
    }
  }
  if (checksum) {
    const c = Buffer.allocUnsafe(4);
    c.writeUInt32LE(xxHash64Low32(input), 0);
    parts.push(c);
  }
  return Buffer.concat(parts);
}
