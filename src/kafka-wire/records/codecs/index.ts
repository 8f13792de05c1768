/**
 * Kafka compression codecs by their attribute id (record batch `attributes` bits 0-2; legacy
 * message `attributes` bits 0-2): see ../shared/kafka-protocol/record-format.md, "Compression
 * codecs: exact bytes". Everything here is synchronous and uses only node:* modules.
 */
import * as zlib from 'node:zlib';

import { CompressionError, resolveMaxOutput } from './errors.js';
import { decodeGzip, encodeGzip } from './gzip.js';
import { decodeLz4Frame, encodeLz4Frame, type Lz4EncodeOptions, type Lz4HeaderChecksumMode } from './lz4.js';
import { decodeSnappy, encodeSnappyRaw, encodeSnappyXerial } from './snappy.js';
import { decodeZstd } from './zstd.js';
import { encodeZstd } from './zstd-encoder.js';

export { CompressionError, DEFAULT_MAX_OUTPUT_BYTES, KWIRE_ERR_COMPRESSION, KWIRE_ERR_COMPRESSION_LIMIT } from './errors.js';
export type { CodecName, CompressionFailure } from './errors.js';
export type { Lz4EncodeOptions, Lz4HeaderChecksumMode } from './lz4.js';

/** Codec ids as carried in the attributes field. */
export const CODEC = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** One of the values of {@link CODEC}. */
export type CodecId = (typeof CODEC)[keyof typeof CODEC];

/** Options for {@link decompress}. */
export interface DecompressOptions {
  /** Largest decompressed size accepted, in bytes (default 64 MiB). Applies to every codec. */
  readonly maxOutputBytes?: number | undefined;
  /**
   * lz4 header checksum policy (default 'either': the correct HC or Kafka's magic-0 one).
   * Pass 'ignore' for magic-0 wrapper messages and 'strict' for magic 1/2 to copy Java exactly.
   */
  readonly lz4HeaderChecksum?: Lz4HeaderChecksumMode;
  /** Verify the lz4 block/content and zstd content checksums when present (default true). */
  readonly verifyChecksums?: boolean;
  /**
   * Memory for snappy, lz4 and zstd output (default: a Buffer of its own each time), e.g. a
   * BufferArena's `take`, so that many batches share pooled memory released together.
   */
  readonly alloc?: ((size: number) => Buffer) | undefined;
}

/** Options for {@link compress}. */
export interface CompressOptions {
  /** gzip level 0-9 (default: zlib's default, 6). */
  readonly gzipLevel?: number;
  /** snappy framing: 'xerial' (default, what Java clients write) or 'raw' (what librdkafka writes). */
  readonly snappyFraming?: 'xerial' | 'raw';
  /** lz4 frame options (defaults match Java Kafka: FLG 0x60, BD 0x40). */
  readonly lz4?: Lz4EncodeOptions;
}

/**
 * Decompresses a Kafka record payload.
 * @param codec the codec id (attributes & 7)
 * @returns the decompressed bytes; for codec 0 a Buffer view of `input` (no copy)
 * @throws CompressionError: `KWIRE_ERR_COMPRESSION` for corrupt, truncated or unsupported input
 *   (including unknown codec ids 5-7 and zstd dictionaries), `KWIRE_ERR_COMPRESSION_LIMIT` when
 *   the output would exceed `maxOutputBytes`
 */
export function decompress(codec: number, input: Uint8Array, opts?: DecompressOptions): Buffer {
  const maxOutputBytes = opts?.maxOutputBytes;
  const limit = maxOutputBytes === undefined ? {} : { maxOutputBytes };
  switch (codec) {
    case CODEC.none: {
      const max = resolveMaxOutput('codec', maxOutputBytes);
      if (input.length > max) throw new CompressionError('codec', 'limit', `output would exceed maxOutputBytes ${max}`, 0);
      return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    }
    case CODEC.gzip:
      return decodeGzip(input, limit);
    case CODEC.snappy:
      return decodeSnappy(input, { ...limit, alloc: opts?.alloc });
    case CODEC.lz4:
      return decodeLz4Frame(input, {
        ...limit,
        ...(opts?.lz4HeaderChecksum === undefined ? {} : { headerChecksum: opts.lz4HeaderChecksum }),
        ...(opts?.verifyChecksums === undefined ? {} : { verifyChecksums: opts.verifyChecksums }),
        alloc: opts?.alloc,
      });
    case CODEC.zstd:
      return decodeZstd(input, {
        ...limit,
        ...(opts?.verifyChecksums === undefined ? {} : { verifyChecksum: opts.verifyChecksums }),
        alloc: opts?.alloc,
      });
    default:
      throw new CompressionError('codec', 'unsupported', `unknown compression codec id ${codec}`, 0);
  }
}

type ZstdCompressSync = (input: Uint8Array) => Buffer;

/** node:zlib gained zstd in Node 22.15/23.8; Node 20 (our floor) has none. */
function zlibZstdCompress(): ZstdCompressSync | undefined {
  const fn: unknown = (zlib as unknown as Record<string, unknown>)['zstdCompressSync'];
  return typeof fn === 'function' ? (fn as ZstdCompressSync) : undefined;
}

/**
 * Compresses `input` with a Kafka codec. gzip uses node:zlib; snappy and lz4 use the encoders in
 * this folder; zstd uses node:zlib when the running Node has it (better ratio) and otherwise the
 * small encoder in zstd-encoder.ts.
 * @returns the compressed bytes; for codec 0 a Buffer view of `input` (no copy)
 * @throws CompressionError (reason 'unsupported') for unknown codec ids
 */
export function compress(codec: number, input: Uint8Array, opts?: CompressOptions): Buffer {
  switch (codec) {
    case CODEC.none:
      return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    case CODEC.gzip:
      return encodeGzip(input, opts?.gzipLevel === undefined ? {} : { level: opts.gzipLevel });
    case CODEC.snappy:
      return opts?.snappyFraming === 'raw' ? encodeSnappyRaw(input) : encodeSnappyXerial(input);
    case CODEC.lz4:
      return encodeLz4Frame(input, opts?.lz4);
    case CODEC.zstd: {
      const fn = zlibZstdCompress();
      return fn === undefined ? encodeZstd(input) : fn(input);
    }
    default:
      throw new CompressionError('codec', 'unsupported', `unknown compression codec id ${codec}`, 0);
  }
}
