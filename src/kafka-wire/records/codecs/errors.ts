import { constants as bufferConstants } from 'node:buffer';

import { KafkaWireError } from '../../errors.js';

/** Codec names as they appear in {@link CompressionError.codec}. */
/** `codec` is used for failures before a codec is chosen (unknown codec id). */
export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'codec';

/**
 * Why a codec gave up. `truncated`: input ended inside a structure. `corrupt`: a value that is
 * impossible for the format. `checksum`: a checksum carried by the format did not match.
 * `limit`: output would exceed `maxOutputBytes`. `unsupported`: a feature we do not implement or
 * a value we do not accept (zstd and lz4 dictionaries, the legacy lz4 format, lz4 frame versions
 * other than 01, unknown codec ids, invalid options such as a negative `maxOutputBytes`).
 */
export type CompressionFailure = 'truncated' | 'corrupt' | 'checksum' | 'limit' | 'unsupported';

/** Stable code for corrupt, truncated or unsupported compressed input. */
export const KWIRE_ERR_COMPRESSION = 'KWIRE_ERR_COMPRESSION';
/**
 * Stable code for output that would exceed `maxOutputBytes`. A separate code because every input
 * limit gets its own code (docs/errors.md), so callers can tell "raise the limit" from "corrupt".
 */
export const KWIRE_ERR_COMPRESSION_LIMIT = 'KWIRE_ERR_COMPRESSION_LIMIT';

/**
 * The only error the codecs throw. `codec` names the codec, `offset` is the byte offset in the
 * compressed input where the problem was found (best effort: for gzip it is always 0 because
 * node:zlib does not report one), `reason` classifies the failure.
 */
export class CompressionError extends KafkaWireError {
  readonly codec: CodecName;
  readonly offset: number;
  readonly reason: CompressionFailure;

  constructor(
    codec: CodecName,
    reason: CompressionFailure,
    message: string,
    offset: number,
    options?: { cause?: unknown },
  ) {
    super(
      reason === 'limit' ? KWIRE_ERR_COMPRESSION_LIMIT : KWIRE_ERR_COMPRESSION,
      `${codec}: ${message} (at input offset ${offset})`,
      options,
    );
    this.name = 'CompressionError';
    this.codec = codec;
    this.offset = offset;
    this.reason = reason;
  }
}

/** Default cap on decompressed bytes: 64 MiB, well above Kafka's default 1 MiB batch limit. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Validates a caller-supplied `maxOutputBytes`. Not a CompressionError: a bad option is a caller
 * bug, but it still must be a KafkaWireError so callers only ever see one error family.
 */
export function resolveMaxOutput(codec: CodecName, value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_OUTPUT_BYTES;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CompressionError(codec, 'unsupported', `invalid maxOutputBytes ${String(value)}`, 0);
  }
  // Buffer.allocUnsafe cannot go past buffer.constants.MAX_LENGTH; clamp rather than fail later.
  return Math.min(value, bufferConstants.MAX_LENGTH);
}
