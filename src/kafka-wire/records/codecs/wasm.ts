/**
 * The codec kernels compiled to WebAssembly (wasm/codecs.c, built by scripts/wasm/build.sh) and the
 * memory they work in: the LZ4 and Snappy block decoders, zstd's sequences loop and Huffman
 * literals, XXH32 and XXH64. The decoders copy a frame into the module's memory, decode (and checksum) it there and
 * copy the output out once. That is faster than the TypeScript they replace, copies included
 * (BENCHMARKS.md, "Codec decoding"), which stays for inputs that do not fit and for runtimes
 * without WebAssembly (e.g. node --jitless).
 *
 * Costs (measured in BENCHMARKS.md, "Codec decoding"): the module is compiled once, on first use.
 * Its memory starts at the size build.sh declares and grows to what the largest frame needs, at
 * most MAX_MEMORY, and is kept (WebAssembly memory cannot shrink). Everything here is synchronous, so one memory serves every call.
 */
import { CODECS_WASM_BASE64 } from './wasm/codecs-wasm.js';

/** The module's declared maximum memory (build.sh, --max-memory); frames that need more decode in TypeScript. */
const MAX_MEMORY = 32 * 1024 * 1024;
/** Bytes after a block's input the module may read past its end (16-byte literal copies). */
const INPUT_SLACK = 16;
/** Bytes after the output limit the module may write (16-byte literal copies, 8-byte match steps). */
const OUTPUT_SLACK = 32;
const PAGE = 65536;

/** The parts of the WebAssembly API used here (our TypeScript lib setting has no WebAssembly types). */
interface Wasm {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly lz4_block: (mem: number, ip: number, end: number, op: number, opLimit: number, windowStart: number) => number;
  /** Address of the C variable lz4_error_pos. */
  readonly lz4_error_pos: { readonly value: number };
  readonly xxh32: (mem: number, p: number, len: number) => number;
  readonly xxh64_low32: (mem: number, p: number, len: number) => number;
  readonly huf_stream: (mem: number, table: number, log: number, start: number, end: number, op: number, count: number) => number;
  readonly huf_4streams: (
    mem: number, table: number, log: number, start: number, end1: number, end2: number, end3: number, end4: number, op: number, seg: number, lastSeg: number,
  ) => number;
  readonly snappy_block: (mem: number, ip: number, end: number, op: number, opEnd: number) => number;
  /** Address of the C variable snappy_error_pos. */
  readonly snappy_error_pos: { readonly value: number };
  readonly zstd_sequences: (
    mem: number, p: number, end: number, nbSeq: number,
    llCell: number, llValue: number, llLog: number, ofCell: number, ofLog: number, mlCell: number, mlValue: number, mlLog: number,
    lit: number, litEnd: number, op: number, limit: number, frameStart: number, io: number,
  ) => number;
  readonly __heap_base: { readonly value: number };
}

/** Error codes of lz4_block (wasm/codecs.c) and the same failures as lz4.ts reports them. */
export const LZ4_WASM_ERRORS: Readonly<Record<number, readonly ['truncated' | 'corrupt' | 'limit', string]>> = {
  [-1]: ['truncated', 'block ends before a sequence token'],
  [-2]: ['truncated', 'literal length is cut off'],
  [-3]: ['truncated', 'literal run runs past the block'],
  [-4]: ['limit', 'block output exceeds its limit'],
  [-5]: ['truncated', 'match offset is cut off'],
  [-6]: ['corrupt', 'match offset 0'],
  [-7]: ['corrupt', 'match offset reaches before the window'],
  [-8]: ['truncated', 'match length is cut off'],
};

let exports: Exports | null | undefined;
let enabled = true;
/**
 * The module's memory from `base` (its heap start, past the C stack and data) on, as bytes:
 * every position the functions below take or give is an offset into this view. Replaced after
 * every growth, which detaches the old view.
 */
let mem = new Uint8Array(0);
let base = 0;

function load(): Exports | null {
  if (exports !== undefined) return exports;
  const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;
  try {
    if (wasm === undefined) throw new Error('no WebAssembly');
    const module = new wasm.Module(Buffer.from(CODECS_WASM_BASE64, 'base64'));
    exports = new wasm.Instance(module, {}).exports as Exports;
    base = (exports.__heap_base.value + 15) & ~15;
    mem = new Uint8Array(exports.memory.buffer, base);
  } catch {
    // No WebAssembly (node --jitless) or a runtime that refuses the module: TypeScript it is.
    exports = null;
  }
  return exports;
}

/** Whether the module loaded (false on runtimes without WebAssembly). */
export function wasmLoaded(): boolean {
  return load() !== null;
}

/** Turns the WebAssembly paths off or on (tests decode every input on both paths). */
export function setWasm(on: boolean): void {
  enabled = on;
}

/** Makes the module's memory at least `bytes` long past `base`; false if that is over MAX_MEMORY. */
function room(x: Exports, bytes: number): boolean {
  const need = base + bytes;
  if (need > MAX_MEMORY) return false;
  if (need > x.memory.buffer.byteLength) {
    try {
      x.memory.grow(Math.ceil((need - x.memory.buffer.byteLength) / PAGE));
    } catch {
      // The engine could not map more memory: decode this one in TypeScript.
      return false;
    }
    mem = new Uint8Array(x.memory.buffer, base);
  }
  return true;
}

/**
 * Set while a decoder works in module memory (from a *WasmFrame call to wasmRelease). The
 * caller's `alloc` runs in that window, before the output is copied out; if it decoded something
 * itself, that decode must not reuse the memory, so it is refused the module and runs in TypeScript.
 */
let busy = false;

/** Ends the use of module memory that a successful *WasmFrame call began. */
export function wasmRelease(): void {
  busy = false;
}

/**
 * A frame copied into the module's memory: input byte `i` of the caller's array is at
 * `i + inDelta` of `mem`, and output goes from `outBase` on.
 */
export interface Lz4WasmFrame {
  readonly mem: Uint8Array;
  readonly inDelta: number;
  readonly outBase: number;
}

/**
 * Copies src[from, to) into the module's memory and makes room for `outBytes` of output after it.
 * @returns the frame's layout, or undefined when the module is unavailable, turned off, or the
 *   frame needs more than MAX_MEMORY (the caller then decodes in TypeScript)
 */
export function lz4WasmFrame(src: Uint8Array, from: number, to: number, outBytes: number): Lz4WasmFrame | undefined {
  if (!enabled || busy) return undefined;
  const x = load();
  if (x === null) return undefined;
  const outBase = ((to - from) + INPUT_SLACK + 15) & ~15;
  if (!room(x, outBase + outBytes + OUTPUT_SLACK)) return undefined;
  mem.set(src.subarray(from, to), 0);
  busy = true;
  return { mem, inDelta: -from, outBase };
}

/**
 * Decodes one block in module memory (lz4_block in wasm/codecs.c).
 * @returns the new output position, or a negative code of {@link LZ4_WASM_ERRORS}
 */
export function lz4WasmBlock(ip: number, end: number, op: number, opLimit: number, windowStart: number): number {
  return exports!.lz4_block(base, ip, end, op, opLimit, windowStart);
}

/** Position (as given to lz4WasmBlock) of the input byte where the last failing call stopped. */
export function lz4WasmErrorPos(): number {
  return new Int32Array(exports!.memory.buffer, exports!.lz4_error_pos.value, 1)[0]!;
}

/** XXH32 (seed 0) of module memory [p, p + len), positions as for lz4WasmBlock. */
export function wasmXxh32(p: number, len: number): number {
  return exports!.xxh32(base, p, len) >>> 0;
}

/**
 * Low 32 bits of XXH64 (seed 0) of data[start, end), computed in the module after copying the
 * bytes in (a zstd Content_Checksum).
 * @returns the checksum, or undefined when the module is unavailable, turned off or too small
 */
export function wasmXxh64Low32(data: Uint8Array, start: number, end: number): number | undefined {
  if (!enabled || busy) return undefined;
  const x = load();
  if (x === null || !room(x, end - start)) return undefined;
  mem.set(data.subarray(start, end), 0);
  return x.xxh64_low32(base, 0, end - start) >>> 0;
}

// --- zstd ----------------------------------------------------------------------------------------

/** The tables of one sequences section, as zstd.ts packs them (its FseTable). */
export interface PackedTable {
  readonly log: number;
  readonly cell: Int32Array;
  readonly value: Int32Array;
}

/** Error codes of zstd_sequences (wasm/codecs.c) and the failures zstd.ts reports for them. */
export const ZSTD_WASM_ERRORS: Readonly<Record<number, readonly ['corrupt' | 'limit', string]>> = {
  [-1]: ['corrupt', 'sequence bitstream too short for the initial states'],
  [-2]: ['corrupt', 'repeat offset 1 minus 1 is zero'],
  [-3]: ['corrupt', 'sequence bitstream overflow'],
  [-4]: ['corrupt', 'sequence uses more literals than decoded'],
  [-5]: ['limit', 'block output exceeds its limit'],
  [-6]: ['corrupt', 'match offset reaches before the frame start'],
  [-7]: ['corrupt', 'sequence bitstream not consumed exactly'],
};

/**
 * A zstd frame laid out in the module's memory: `src` holds a copy of the caller's input (same
 * indices), `lits` is the literals scratch and `out` the frame's output, all views of module
 * memory, valid until the next call that may grow it (the next frame).
 */
export interface ZstdWasmFrame {
  readonly src: Buffer;
  readonly lits: Uint8Array;
  readonly out: Buffer;
}

const TABLE_CELLS = 512;
/** Cells of a Huffman decoding table (11-bit codes at most). */
const HUF_CELLS = 2048;
let zIn = 0;
let zHuf = 0;
let zTables = 0;
let zLits = 0;
let zOut = 0;
let zFrame: ZstdWasmFrame | undefined;

/**
 * Copies src[0, end) into module memory and lays out a literals scratch of `litBytes` and an
 * output of `outBytes` after it (output last, so that its slack is the end of what is used).
 * @returns the views, or undefined (module unavailable or off, or over MAX_MEMORY)
 */
export function zstdWasmFrame(src: Uint8Array, end: number, outBytes: number, litBytes: number): ZstdWasmFrame | undefined {
  if (!enabled || busy) return undefined;
  const x = load();
  if (x === null) return undefined;
  // 16 zero bytes before the input: bit reads that run below a stream's start stay in place.
  zIn = 16;
  zTables = (zIn + end + INPUT_SLACK + 15) & ~15;
  const io = zTables + 5 * TABLE_CELLS * 4;
  zHuf = io + 16;
  zLits = (zHuf + HUF_CELLS * 2 + 15) & ~15;
  zOut = (zLits + litBytes + OUTPUT_SLACK + 15) & ~15;
  if (!room(x, zOut + outBytes + OUTPUT_SLACK)) return undefined;
  mem.fill(0, 0, zIn);
  mem.set(src.subarray(0, end), zIn);
  const ab = mem.buffer;
  const at = mem.byteOffset;
  zFrame = {
    src: Buffer.from(ab, at + zIn, end + INPUT_SLACK),
    lits: new Uint8Array(ab, at + zLits, litBytes + OUTPUT_SLACK),
    out: Buffer.from(ab, at + zOut, outBytes),
  };
  busy = true;
  return zFrame;
}

/** `mem` as 32-bit words (base is 16-aligned), made again only when `mem` is (small frames made a view per call visible). */
let words = new Int32Array(0);

function wordsOfMem(): Int32Array {
  if (words.buffer !== mem.buffer || words.byteOffset !== mem.byteOffset) words = new Int32Array(mem.buffer, mem.byteOffset);
  return words;
}

function putTable(w: Int32Array, t: PackedTable, slot: number, withValue: boolean): void {
  const n = 1 << t.log;
  const at = (zTables >> 2) + slot * TABLE_CELLS;
  const cell = t.cell;
  for (let i = 0; i < n; i++) w[at + i] = cell[i]!;
  if (withValue) {
    const value = t.value;
    for (let i = 0; i < n; i++) w[at + TABLE_CELLS + i] = value[i]!;
  }
}

/**
 * Runs zstd_sequences (wasm/codecs.c) on the frame of the last zstdWasmFrame call. `p`/`end` are
 * indices into its `src`; `lit`/`litEnd` into `src` (raw literals) or `lits`; `op`, `limit` and
 * `frameStart` into `out`. `reps` holds the repeat offsets, in and out, and gets the literal
 * position after the last sequence at index 3.
 * @returns the new output position, or a negative code of {@link ZSTD_WASM_ERRORS}
 */
export function zstdWasmSequences(
  p: number, end: number, nbSeq: number, ll: PackedTable, of: PackedTable, ml: PackedTable,
  litInSrc: boolean, lit: number, litEnd: number, op: number, limit: number, frameStart: number, reps: Uint32Array,
): number {
  const w = wordsOfMem();
  putTable(w, ll, 0, true);
  putTable(w, ml, 2, true);
  putTable(w, of, 4, false);
  const io = zTables + 5 * TABLE_CELLS * 4;
  const ioAt = io >> 2;
  w[ioAt] = reps[0]!;
  w[ioAt + 1] = reps[1]!;
  w[ioAt + 2] = reps[2]!;
  const litAt = litInSrc ? zIn : zLits;
  // Positions are offsets from `base` (the C function's `mem`); the table and io pointers are
  // plain addresses in module memory.
  const t = base + zTables;
  const r = exports!.zstd_sequences(
    base, zIn + p, zIn + end, nbSeq,
    t, t + TABLE_CELLS * 4, ll.log, t + 4 * TABLE_CELLS * 4, of.log, t + 2 * TABLE_CELLS * 4, t + 3 * TABLE_CELLS * 4, ml.log,
    litAt + lit, litAt + litEnd, zOut + op, zOut + limit, zOut + frameStart, base + io,
  );
  if (r < 0) return r;
  reps[0] = w[ioAt]!;
  reps[1] = w[ioAt + 1]!;
  reps[2] = w[ioAt + 2]!;
  reps[3] = w[ioAt + 3]! - litAt;
  return r - zOut;
}

/** Low 32 bits of XXH64 of the current zstd frame's out[start, end), in place. */
export function zstdWasmChecksum(start: number, end: number): number {
  return exports!.xxh64_low32(base, zOut + start, end - start) >>> 0;
}

// --- snappy --------------------------------------------------------------------------------------

/** Error codes of snappy_block (wasm/codecs.c) and the failures snappy.ts reports for them. */
export const SNAPPY_WASM_ERRORS: Readonly<Record<number, readonly ['truncated' | 'corrupt', string]>> = {
  [-1]: ['truncated', 'literal length is cut off'],
  [-2]: ['truncated', 'literal runs past the end of the block'],
  [-3]: ['corrupt', 'literal overflows the declared uncompressed length'],
  [-4]: ['truncated', 'copy offset is cut off'],
  [-5]: ['corrupt', 'copy offset is out of range'],
  [-6]: ['corrupt', 'copy overflows the declared uncompressed length'],
  [-7]: ['truncated', 'block produced fewer bytes than declared'],
};

let sOut = 0;

/**
 * Copies src into module memory with room for `outBytes` of output after it.
 * @returns a view of the output region, or undefined (module unavailable or off, or over MAX_MEMORY)
 */
export function snappyWasmFrame(src: Uint8Array, outBytes: number): Buffer | undefined {
  if (!enabled || busy) return undefined;
  const x = load();
  if (x === null) return undefined;
  sOut = (src.length + INPUT_SLACK + 15) & ~15;
  if (!room(x, sOut + outBytes + OUTPUT_SLACK)) return undefined;
  mem.set(src, 0);
  busy = true;
  return Buffer.from(mem.buffer, mem.byteOffset + sOut, outBytes);
}

/**
 * Decodes the elements src[ip, end) of one raw block into output [op, opEnd) of the frame from
 * the last snappyWasmFrame call (snappy_block in wasm/codecs.c).
 * @returns opEnd, or a negative code of {@link SNAPPY_WASM_ERRORS}
 */
export function snappyWasmBlock(ip: number, end: number, op: number, opEnd: number): number {
  const r = exports!.snappy_block(base, ip, end, sOut + op, sOut + opEnd);
  return r < 0 ? r : r - sOut;
}

/** Input index where the last failing snappyWasmBlock call stopped. */
export function snappyWasmErrorPos(): number {
  return new Int32Array(exports!.memory.buffer, exports!.snappy_error_pos.value, 1)[0]!;
}

/** Error codes of huf_stream (wasm/codecs.c) and the failures zstd.ts reports for them. */
export const HUF_WASM_ERRORS: Readonly<Record<number, string>> = {
  [-1]: 'empty Huffman stream',
  [-2]: 'Huffman stream has no end marker',
  [-3]: 'Huffman stream not consumed exactly',
};

/** Copies a Huffman decoding table (its first 2^log cells) into module memory for zstdWasmHuffman. */
export function zstdWasmHufTable(entries: Uint16Array, log: number): void {
  new Uint16Array(mem.buffer, mem.byteOffset + zHuf, HUF_CELLS).set(entries.subarray(0, 1 << log));
}

/**
 * Decodes `count` literals of the Huffman stream src[start, end) into lits[op...] of the current
 * zstd frame with the table of the last zstdWasmHufTable call (huf_stream in wasm/codecs.c).
 * @returns 0, or a negative code of {@link HUF_WASM_ERRORS}
 */
export function zstdWasmHuffman(log: number, start: number, end: number, op: number, count: number): number {
  return exports!.huf_stream(base, base + zHuf, log, zIn + start, zIn + end, zLits + op, count);
}

/**
 * The four Huffman streams src[start, end1), [end1, end2), [end2, end3), [end3, end4) into
 * lits[op...] (seg symbols each, lastSeg for the fourth), decoded in step (huf_4streams).
 * @returns 0, or a negative code of {@link HUF_WASM_ERRORS}
 */
export function zstdWasmHuffman4(log: number, start: number, end1: number, end2: number, end3: number, end4: number, op: number, seg: number, lastSeg: number): number {
  return exports!.huf_4streams(base, base + zHuf, log, zIn + start, zIn + end1, zIn + end2, zIn + end3, zIn + end4, zLits + op, seg, lastSeg);
}
