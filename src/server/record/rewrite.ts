import {
  apiByKey, decodeResponseFrame, encodeMessage, encodeResponseHeader, ErrorCode, FetchApi, FIND_COORDINATOR_BATCHED_SINCE,
  FindCoordinatorApi, MetadataApi, ProduceApi, Writer,
} from '../../kafka-wire/index.js';

/** A broker address as the cluster advertises it, and the recorder's listener that stands for it. */
export interface Address {
  host: string;
  port: number;
}

/** Maps a broker's advertised address to the local listener fronting it (opened on first use). */
export type AddressMap = (broker: Address) => Promise<Address>;

export interface RewriteResult {
  /** The frame to pass on to the client: a new one if an address changed, else the original. */
  frame: Buffer;
  rewritten: boolean;
  /** Set when the frame should have been rewritten but could not be decoded or encoded. */
  error?: string;
}

/**
 * The APIs whose responses name brokers a client connects to next. Metadata lists every broker
 * (all versions); FindCoordinator names the group or transaction coordinator (Host/Port in v0-3,
 * Coordinators[] from v4, KIP-699); Fetch v16+ and Produce v10+ may carry NodeEndpoints with the
 * new leader of a partition (KIP-951). Without rewriting them the client would bypass the
 * recorder after bootstrap.
 */
const ADDRESS_APIS = new Set([MetadataApi.key, FindCoordinatorApi.key, FetchApi.key, ProduceApi.key]);

export function carriesAddresses(apiKey: number): boolean {
  return ADDRESS_APIS.has(apiKey);
}

interface HostPort {
  host: string;
  port: number;
}

/** The host/port objects inside a decoded response body that name brokers. */
function addressesIn(apiKey: number, version: number, body: Record<string, unknown>): HostPort[] {
  const list = (v: unknown): HostPort[] => (Array.isArray(v) ? (v as HostPort[]) : []);
  switch (apiKey) {
    case MetadataApi.key: return list(body.brokers);
    case FindCoordinatorApi.key:
      // v0-3: one coordinator at the top level; an error reply carries no usable address.
      if (version < FIND_COORDINATOR_BATCHED_SINCE) return body.errorCode === ErrorCode.NONE ? [body as unknown as HostPort] : [];
      return list(body.coordinators).filter((c) => (c as unknown as { errorCode: number }).errorCode === ErrorCode.NONE);
    default: return list(body.nodeEndpoints);
  }
}

/**
 * Decodes a response to a request of `apiKey`/`version` with our codec, replaces every broker
 * address with the recorder's listener for it, and encodes the result. The fixture keeps the
 * original bytes; only the client sees the rewritten ones.
 */
export async function rewriteAddresses(apiKey: number, version: number, frame: Buffer, map: AddressMap): Promise<RewriteResult> {
  const api = apiByKey(apiKey);
  if (api === undefined || !carriesAddresses(apiKey)) return { frame, rewritten: false };
  let decoded: ReturnType<typeof decodeResponseFrame>;
  try {
    decoded = decodeResponseFrame(api, version, frame);
  } catch (err) {
    return { frame, rewritten: false, error: `cannot decode to rewrite addresses: ${(err as Error).message}` };
  }
  const body = decoded.body as Record<string, unknown>;
  const targets = addressesIn(apiKey, decoded.version, body);
  if (targets.length === 0) return { frame, rewritten: false };
  let changed = false;
  for (const t of targets) {
    const local = await map({ host: t.host, port: t.port });
    if (local.host !== t.host || local.port !== t.port) changed = true;
    t.host = local.host;
    t.port = local.port;
  }
  if (!changed) return { frame, rewritten: false };
  try {
    const w = new Writer(frame.length + 64);
    encodeResponseHeader(w, apiKey, version, decoded.header);
    encodeMessage(api.response, decoded.version, body as never, w);
    return { frame: w.finish(), rewritten: true };
  } catch (err) {
    return { frame, rewritten: false, error: `cannot encode the rewritten response: ${(err as Error).message}` };
  }
}
