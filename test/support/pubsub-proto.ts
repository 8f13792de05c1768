import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * proto/pubsub.proto compiled at run time by protobufjs: an independent implementation of the
 * protocol, so tests encode requests and decode replies the way an APISIX client would instead of
 * with our own codec. int64 values come out as exact decimal strings.
 */
const root = protobuf.loadSync(join(dirname(fileURLToPath(import.meta.url)), '../../../proto/pubsub.proto'));
export const PubSubReq = root.lookupType('PubSubReq');
export const PubSubResp = root.lookupType('PubSubResp');

export function encodeReq(req: Record<string, unknown>): Buffer {
  return Buffer.from(PubSubReq.encode(PubSubReq.fromObject(req)).finish());
}

export interface DecodedPartitionOffset {
  partition?: number;
  offset?: string;
}

export interface DecodedMessage {
  offset?: string;
  timestamp?: string;
  key?: Buffer;
  value?: Buffer;
  headers?: Array<{ key?: string; value?: Buffer }>;
}

export interface DecodedResp {
  sequence?: string;
  resp?: 'errorResp' | 'pongResp' | 'kafkaFetchResp' | 'kafkaListOffsetResp' | 'subscribeResp' | 'kafkaRecordsPush' | 'subscriptionEnd' | 'produceResp' | 'authenticateResp' | 'commitOffsetsResp' | 'committedOffsetsResp';
  subscribeResp?: { subscription?: number; start?: DecodedPartitionOffset[]; maxFrameBytes?: string };
  kafkaRecordsPush?: { subscription?: number; partition?: number; messages?: DecodedMessage[]; highWatermark?: string; nextOffset?: string };
  subscriptionEnd?: {
    subscription?: number; reason?: string; message?: string; cursor?: DecodedPartitionOffset[]; partition?: number; logStartOffset?: string;
  };
  errorResp?: { code?: number; message?: string };
  pongResp?: { state?: Buffer };
  kafkaFetchResp?: {
    messages?: Array<{ offset?: string; timestamp?: string; key?: Buffer; value?: Buffer; headers?: Array<{ key?: string; value?: Buffer }> }>;
    highWatermark?: string;
    logStartOffset?: string;
  };
  kafkaListOffsetResp?: { offset?: string };
  produceResp?: { records?: Array<{ partition?: number; offset?: string; timestamp?: string; error?: string }> };
  authenticateResp?: { subject?: string; expiresAtMs?: string };
  commitOffsetsResp?: Record<string, never>;
  committedOffsetsResp?: { offsets?: DecodedPartitionOffset[] };
}

export function decodeResp(frame: Uint8Array): DecodedResp {
  const msg = PubSubResp.decode(frame);
  return PubSubResp.toObject(msg, { longs: String, bytes: Buffer, oneofs: true, enums: String }) as DecodedResp;
}

export function encodeResp(resp: Record<string, unknown>): Buffer {
  return Buffer.from(PubSubResp.encode(PubSubResp.fromObject(resp)).finish());
}
