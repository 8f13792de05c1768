/**
 * The codec kernels compiled to WebAssembly (wasm/codecs.c, built by scripts/wasm/build.sh) and the
 * memory they work in: the LZ4 block decoder, XXH32 and XXH64. lz4.ts copies a frame into the
 * module's memory, decodes and checksums it there and copies the output out once; zstd.ts copies
 * its output in to checksum it. Both are several times as fast as the TypeScript they replace
 * (BENCHMARKS.md, "Codec decoding"), which stays for inputs that do not fit and for runtimes
 * without WebAssembly (e.g. node --jitless).
 *
 * Costs: compiling the 2.2 KiB module takes about a millisecond, once, on first use. Its memory
 * starts at 128 KiB and grows to what the largest frame needs, at most MAX_MEMORY, and is kept
 * (WebAssembly memory cannot shrink). Everything here is synchronous, so one memory serves every call.
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
    x.memory.grow(Math.ceil((need - x.memory.buffer.byteLength) / PAGE));
    mem = new Uint8Array(x.memory.buffer, base);
  }
  return true;
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
  if (!enabled) return undefined;
  const x = load();
  if (x === null) return undefined;
  const outBase = ((to - from) + INPUT_SLACK + 15) & ~15;
  if (!room(x, outBase + outBytes + OUTPUT_SLACK)) return undefined;
  mem.set(src.subarray(from, to), 0);
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
  if (!enabled) return undefined;
  const x = load();
  if (x === null || !room(x, end - start)) return undefined;
  mem.set(data.subarray(start, end), 0);
  return x.xxh64_low32(base, 0, end - start) >>> 0;
}
