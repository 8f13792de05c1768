/**
 * gzip (Kafka codec 1): RFC 1952 streams via node:zlib. Java writes one member and reads with
 * GZIPInputStream, which also accepts several members in a row; zlib's gunzip does the same
 * (record-format.md, "gzip (codec 1)"). Raw deflate and zlib (RFC 1950) streams are rejected, as
 * Java rejects them. One difference: Java ignores bytes after the last member that do not start a
 * new member, zlib reports them as corrupt; no Kafka client writes such trailers.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

import { CompressionError, resolveMaxOutput } from './errors.js';

/** Options for {@link decodeGzip}. */
export interface GzipDecodeOptions {
  /** Largest decompressed size accepted, in bytes (default 64 MiB). */
  readonly maxOutputBytes?: number | undefined;
}

/** Options for {@link encodeGzip}. */
export interface GzipEncodeOptions {
  /** zlib level 0-9 (default 6, zlib's default; Java Kafka also uses the zlib default). */
  readonly level?: number;
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return '';
}

/**
 * Decompresses one or more concatenated gzip members.
 * @throws CompressionError (`KWIRE_ERR_COMPRESSION`) on corrupt or truncated input (reason
 *   'truncated' for zlib's "unexpected end of file", 'corrupt' otherwise; offset is always 0
 *   because zlib does not report one); (`KWIRE_ERR_COMPRESSION_LIMIT`) if the output would
 *   exceed `maxOutputBytes`
 */
export function decodeGzip(input: Uint8Array, opts?: GzipDecodeOptions): Buffer {
  const max = resolveMaxOutput('gzip', opts?.maxOutputBytes);
  let out: Buffer;
  // Note: when gunzipSync fails, Node emits the engine's 'error'/'close' on process.nextTick and
  // keeps the engine (16 KiB output buffer) alive until then. Callers decode one response per
  // callback, so that is freed at once; a loop that never yields would grow (test/fuzz/fuzz-engine.ts).
  try {
    // zlib rejects maxOutputLength 0; a 0 limit is enforced by the length check below instead.
    out = gunzipSync(input, { maxOutputLength: Math.max(1, max) });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CompressionError('gzip', 'limit', `output would exceed maxOutputBytes ${max}`, 0, { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    const reason = code === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt';
    throw new CompressionError('gzip', reason, message, 0, { cause: err });
  }
  if (out.length > max) throw new CompressionError('gzip', 'limit', `output would exceed maxOutputBytes ${max}`, 0);
  return out;
}

/**
 * Compresses `input` as a single gzip member.
 * @throws CompressionError (reason 'unsupported') for an invalid level
 */
export function encodeGzip(input: Uint8Array, opts?: GzipEncodeOptions): Buffer {
  try {
    return opts?.level === undefined ? gzipSync(input) : gzipSync(input, { level: opts.level });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CompressionError('gzip', 'unsupported', message, 0, { cause: err });
  }
}
