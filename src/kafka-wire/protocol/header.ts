import type { Reader } from '../primitives/reader.js';
import type { Writer } from '../primitives/writer.js';
import { decodeMessage, defineMessage, encodeMessage, type Input } from './codec.js';
import { int16, int32, string, type Infer } from './schema.js';
import { API_VERSIONS_KEY, apiByKey } from './versions.js';
import { inRange } from './schema.js';

/**
 * Request header, versions 1-2 (v0 was ControlledShutdown v0 only). Schema: RequestHeader.json.
 *   RequestApiKey int16, RequestApiVersion int16, CorrelationId int32,
 *   ClientId nullable string (1+), then (v2) the tagged-field section.
 * ClientId is never compact ("flexibleVersions": "none") so any broker can read the header of an
 * ApiVersions request it does not understand.
 */
export const RequestHeader = defineMessage('RequestHeader', '0-2', '2+', {
  requestApiKey: int16('0+'),
  requestApiVersion: int16('0+'),
  correlationId: int32('0+'),
  clientId: string('1+', { nullable: '1+', neverCompact: true }),
});

/** Response header, versions 0-1. Schema: ResponseHeader.json. CorrelationId int32, then (v1) tagged fields. */
export const ResponseHeader = defineMessage('ResponseHeader', '0-1', '1+', {
  correlationId: int32('0+'),
});

export type RequestHeaderValue = Infer<typeof RequestHeader.fields>;
export type ResponseHeaderValue = Infer<typeof ResponseHeader.fields>;

function isFlexibleApi(apiKey: number, apiVersion: number): boolean {
  const api = apiByKey(apiKey);
  return api !== undefined && inRange(apiVersion, api.request.flexibleVersions);
}

/** Header v2 for flexible request versions, else v1. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  return isFlexibleApi(apiKey, apiVersion) ? 2 : 1;
}

/**
 * Header v1 for flexible response versions, else v0, except ApiVersions whose response header is
 * always v0 so a client can read the reply to a version the broker does not know (KIP-511).
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return isFlexibleApi(apiKey, apiVersion) ? 1 : 0;
}

export function encodeRequestHeader(w: Writer, h: Input<typeof RequestHeader.fields>): void {
  const version = requestHeaderVersion(h.requestApiKey ?? -1, h.requestApiVersion ?? 0);
  encodeMessage(RequestHeader, version, h, w);
}

/** Reads a request header; its version follows from the api key and version it starts with. */
export function decodeRequestHeader(r: Reader): RequestHeaderValue {
  const start = r.pos;
  const apiKey = r.int16();
  const apiVersion = r.int16();
  r.pos = start;
  return decodeMessage(RequestHeader, requestHeaderVersion(apiKey, apiVersion), r);
}

export function decodeResponseHeader(r: Reader, apiKey: number, apiVersion: number): ResponseHeaderValue {
  return decodeMessage(ResponseHeader, responseHeaderVersion(apiKey, apiVersion), r);
}

export function encodeResponseHeader(w: Writer, apiKey: number, apiVersion: number, h: Input<typeof ResponseHeader.fields>): void {
  encodeMessage(ResponseHeader, responseHeaderVersion(apiKey, apiVersion), h, w);
}
