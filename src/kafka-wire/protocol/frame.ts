import { KafkaProtocolError, KafkaWireError } from '../errors.js';
import { Reader } from '../primitives/reader.js';
import { Writer } from '../primitives/writer.js';
import { decodeMessage, encodeMessage, type Input } from './codec.js';
import { ErrorCode, kafkaError } from './error-codes.js';
import {
  decodeRequestHeader, decodeResponseHeader, encodeRequestHeader,
  type RequestHeaderValue, type ResponseHeaderValue,
} from './header.js';
import type { Fields, Infer } from './schema.js';
import { API_VERSIONS_KEY, apiByKey, type ApiSpec } from './versions.js';

const UNSUPPORTED_VERSION = 35;

/**
 * Encodes a complete request frame: int32 size, header, body. The size is back-patched so the
 * body is written once.
 */
export function encodeRequestFrame<F extends Fields>(
  api: ApiSpec<F, Fields>,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: Input<F>,
  w = new Writer(),
): Buffer {
  const sizeAt = w.reserveInt32();
  encodeRequestHeader(w, { requestApiKey: api.key, requestApiVersion: version, correlationId, clientId });
  encodeMessage(api.request, version, body, w);
  w.patchInt32(sizeAt, w.pos - sizeAt - 4);
  return w.finish();
}

export interface DecodedRequest {
  header: RequestHeaderValue;
  api: ApiSpec;
  body: Record<string, unknown>;
}

/** Decodes a request frame without its size prefix. Throws KWIRE_ERR_UNKNOWN_API for keys we do not speak. */
export function decodeRequestFrame(frame: Buffer): DecodedRequest {
  const r = new Reader(frame);
  const header = decodeRequestHeader(r);
  const api = apiByKey(header.requestApiKey);
  if (api === undefined) throw new KafkaWireError('KWIRE_ERR_UNKNOWN_API', `unknown api key ${header.requestApiKey}`);
  const body = decodeMessage(api.request, header.requestApiVersion, r) as Record<string, unknown>;
  checkConsumed(r, api.request.name, header.requestApiVersion);
  return { header, api, body };
}

export interface DecodedResponse<F extends Fields = Fields> {
  header: ResponseHeaderValue;
  /** The version the body was decoded at (0 for an ApiVersions UNSUPPORTED_VERSION reply). */
  version: number;
  body: Infer<F>;
}

/**
 * Decodes a response frame (without its size prefix) to a request of `api` at `version`.
 * An ApiVersions reply with UNSUPPORTED_VERSION is decoded as v0, because that is how a broker
 * answers a version it does not know (KIP-511).
 */
export function decodeResponseFrame<F extends Fields>(
  api: ApiSpec<Fields, F>,
  version: number,
  frame: Buffer,
): DecodedResponse<F> {
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, api.key, version);
  if (api.key === API_VERSIONS_KEY && version > 0 && r.remaining >= 2 && frame.readInt16BE(r.pos) === UNSUPPORTED_VERSION) {
    const bodyStart = r.pos;
    try {
      const body = decodeMessage(api.response, 0, r);
      checkConsumed(r, api.response.name, 0);
      return { header, version: 0, body };
    } catch {
      r.pos = bodyStart;
    }
  }
  const body = decodeMessage(api.response, version, r);
  checkConsumed(r, api.response.name, version);
  return { header, version, body };
}

function checkConsumed(r: Reader, name: string, version: number): void {
  if (r.remaining !== 0) {
    throw new KafkaWireError('KWIRE_ERR_TRAILING_BYTES', `${name} v${version}: ${r.remaining} bytes left after the message (at byte ${r.pos})`);
  }
}

/** Throws KafkaProtocolError if `errorCode` is not NONE. */
export function throwIfError(api: string, version: number, errorCode: number, where: string, detail?: string | null): void {
  if (errorCode === ErrorCode.NONE) return;
  throw kafkaErrorOf(api, version, errorCode, where, detail);
}

/** The KafkaProtocolError for a non-zero error code, for callers that report it instead of throwing. */
export function kafkaErrorOf(api: string, version: number, errorCode: number, where: string, detail?: string | null): KafkaProtocolError {
  const info = kafkaError(errorCode);
  return new KafkaProtocolError({ api, version, errorCode, errorName: info.name, retriable: info.retriable, where, detail: detail ?? null });
}
