import { connect, type Socket } from 'node:net';
import {
  ApiVersionsApi, apiByKey, CLIENT_SOFTWARE_SINCE, decodeRequestFrame, decodeResponseFrame, ErrorCode, FrameReader, ProduceApi,
  SaslHandshakeApi,
} from '../../kafka-wire/index.js';
import type { Logger } from '../log.js';
import { apiName } from './api-names.js';
import { appendNote, type Exchange, type FixtureWriter } from './fixture-writer.js';
import { carriesAddresses, rewriteAddresses, type Address, type AddressMap } from './rewrite.js';

/** Frames are only recorded, never interpreted beyond headers, so any size a broker sends is passed on. */
const MAX_FRAME_BYTES = 0x7fffffff;
const SASL_TOKEN = -1;

/**
 * Token round trips of a SASL exchange in SaslHandshake v0 framing (raw tokens: no header, no
 * correlation id), by mechanism: PLAIN one (RFC 4616; the broker answers an empty token), SCRAM two
 * (RFC 5802: client-first/server-first, client-final/server-final). An unknown mechanism keeps
 * the rest of the connection in raw mode.
 */
const RAW_SASL_ROUNDS: Readonly<Record<string, number>> = { PLAIN: 1, 'SCRAM-SHA-256': 2, 'SCRAM-SHA-512': 2, OAUTHBEARER: 1 };

export interface ConnectionContext {
  readonly id: number;
  readonly writer: FixtureWriter;
  readonly map: AddressMap;
  readonly logger: Logger;
}

interface Pending {
  entry: Exchange;
  apiKey: number;
  version: number;
  /** Our codec declares this API at this version. */
  declared: boolean;
  /** SaslHandshake: the mechanism asked for. */
  mechanism?: string;
}

/**
 * One client connection forwarded to one broker. Requests go to the broker as they arrive; each
 * response is matched to its request by correlation id (clients pipeline), recorded with its
 * original bytes, and passed to the client — rewritten when it names brokers (see rewrite.ts).
 * Responses are handled one after another, so the client sees them in the broker's order even
 * while a listener for a newly seen broker is being opened.
 */
export class RecordedConnection {
  private readonly client: Socket;
  private readonly broker: Socket;
  private readonly target: string;
  private readonly ctx: ConnectionContext;
  private readonly pending = new Map<number, Pending>();
  /** Raw SASL tokens sent by the client and not answered yet, in order. */
  private readonly rawTokens: Exchange[] = [];
  /** Round trips left in SaslHandshake v0 raw-token mode; 0 when off. */
  private rawRounds = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  readonly done: Promise<void>;

  constructor(client: Socket, target: Address, ctx: ConnectionContext) {
    this.client = client;
    this.ctx = ctx;
    this.target = `${target.host}:${target.port}`;
    this.broker = connect({ host: target.host, port: target.port });
    this.client.setNoDelay(true);
    this.broker.setNoDelay(true);
    const requests = new FrameReader(MAX_FRAME_BYTES, () => this.close('oversized request frame'));
    const responses = new FrameReader(MAX_FRAME_BYTES, () => this.close('oversized response frame'));
    let resolveDone!: () => void;
    this.done = new Promise((r) => (resolveDone = r));
    let open = 2;
    const closed = () => {
      if (--open === 0) this.chain.then(() => this.finish(), () => this.finish()).then(resolveDone, resolveDone);
    };
    client.on('data', (chunk: Buffer) => requests.push(chunk, (f) => this.onRequest(f)));
    this.broker.on('data', (chunk: Buffer) => responses.push(chunk, (f) => this.onResponse(f)));
    client.on('error', (err) => ctx.logger.debug('client socket error', { connection: ctx.id, error: err }));
    this.broker.on('error', (err) => ctx.logger.warn('broker socket error', { connection: ctx.id, broker: this.target, error: err }));
    // A side that ends makes us end the other once every response before it has been passed on.
    client.on('close', () => {
      this.broker.destroy();
      closed();
    });
    this.broker.on('close', () => {
      void this.chain.then(() => client.end());
      closed();
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.logger.debug('closing connection', { connection: this.ctx.id, reason });
    this.client.destroy();
    this.broker.destroy();
  }

  private onRequest(frame: Buffer): void {
    const { writer, id } = this.ctx;
    if (this.rawRounds > 0) {
      const entry = writer.request(frame, { connection: id, broker: this.target, apiKey: SASL_TOKEN, api: 'SaslToken', version: SASL_TOKEN, correlationId: null, clientId: null, raw: true, note: 'SASL token in SaslHandshake v0 framing (no request header)' });
      this.rawTokens.push(entry);
      forward(this.broker, frame);
      return;
    }
    if (frame.length < 8) {
      writer.request(frame, { connection: id, broker: this.target, apiKey: -1, api: 'Unparsable', version: -1, correlationId: null, clientId: null, raw: true, note: 'shorter than a request header' });
      forward(this.broker, frame);
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const api = apiByKey(apiKey);
    const declared = api !== undefined && version >= api.min && version <= api.max;
    const entry = writer.request(frame, { connection: id, broker: this.target, apiKey, api: apiName(apiKey), version, correlationId, clientId: clientIdOf(frame) });
    if (!declared) {
      entry.raw = true;
      entry.note = api === undefined ? `api key ${apiKey} is not declared by our codec: passed through` : `version ${version} is outside our codec's ${api.min}-${api.max}: passed through`;
    }
    const p: Pending = { entry, apiKey, version, declared };
    if (declared) this.inspectRequest(frame, p);
    if (this.pending.has(correlationId)) appendNote(entry, `correlation id ${correlationId} reused while a request with it was in flight`);
    this.pending.set(correlationId, p);
    forward(this.broker, frame);
  }

  /** Reads what the recorder needs from a request it can decode; a failure only becomes a note. */
  private inspectRequest(frame: Buffer, p: Pending): void {
    if (p.apiKey !== ApiVersionsApi.key && p.apiKey !== SaslHandshakeApi.key && p.apiKey !== ProduceApi.key) return;
    try {
      const body = decodeRequestFrame(frame).body;
      if (p.apiKey === ApiVersionsApi.key && p.version >= CLIENT_SOFTWARE_SINCE) this.ctx.writer.noteClientSoftware(String(body.clientSoftwareName), String(body.clientSoftwareVersion));
      if (p.apiKey === SaslHandshakeApi.key) p.mechanism = String(body.mechanism);
      if (p.apiKey === ProduceApi.key && body.acks === 0) appendNote(p.entry, 'acks=0: the broker sends no response');
    } catch (err) {
      appendNote(p.entry, `request does not decode: ${(err as Error).message}`);
    }
  }

  private onResponse(frame: Buffer): void {
    this.chain = this.chain.then(() => this.handleResponse(frame)).catch((err: unknown) => {
      this.ctx.logger.error('passing a response on failed', { connection: this.ctx.id, error: err });
      this.close('internal error');
    });
  }

  private async handleResponse(frame: Buffer): Promise<void> {
    const { writer } = this.ctx;
    if (this.rawRounds > 0 && this.rawTokens.length > 0) {
      writer.response(this.rawTokens.shift()!, frame);
      this.rawRounds--;
      forward(this.client, frame);
      return;
    }
    const p = frame.length >= 4 ? this.pending.get(frame.readInt32BE(0)) : undefined;
    if (p === undefined) {
      this.ctx.logger.warn('response matches no request in flight; passed on unrecorded', { connection: this.ctx.id, bytes: frame.length });
      forward(this.client, frame);
      return;
    }
    this.pending.delete(frame.readInt32BE(0));
    writer.response(p.entry, frame);
    if (p.declared && p.apiKey === SaslHandshakeApi.key && p.version === 0) this.startRawSasl(frame, p);
    let out = frame;
    if (p.declared && carriesAddresses(p.apiKey)) {
      const r = await rewriteAddresses(p.apiKey, p.version, frame, this.ctx.map);
      if (r.error !== undefined) {
        appendNote(p.entry, r.error);
        this.ctx.logger.warn('response not rewritten: the client may bypass the recorder', { connection: this.ctx.id, api: p.entry.api, version: p.version, error: r.error });
      }
      p.entry.rewritten = r.rewritten;
      out = r.frame;
    }
    forward(this.client, out);
  }

  /** After a successful SaslHandshake v0 the tokens travel as bare frames (sasl.md, step 4). */
  private startRawSasl(frame: Buffer, p: Pending): void {
    try {
      const res = decodeResponseFrame(SaslHandshakeApi, 0, frame);
      if (res.body.errorCode === ErrorCode.NONE) this.rawRounds = RAW_SASL_ROUNDS[p.mechanism ?? ''] ?? Number.POSITIVE_INFINITY;
    } catch (err) {
      appendNote(p.entry, `response does not decode: ${(err as Error).message}`);
    }
  }

  private finish(): void {
    for (const p of this.pending.values()) {
      if (p.entry.note?.includes('acks=0') !== true) appendNote(p.entry, 'no response before the connection closed');
    }
    for (const e of this.rawTokens) appendNote(e, 'no response before the connection closed');
    this.pending.clear();
  }
}

function forward(to: Socket, frame: Buffer): void {
  if (to.destroyed) return;
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(frame.length, 0);
  to.write(size);
  to.write(frame);
}

/** Request header v1/v2: ClientId is a classic nullable string at byte 8 in both. */
function clientIdOf(frame: Buffer): string | null {
  if (frame.length < 10) return null;
  const n = frame.readInt16BE(8);
  if (n < 0 || 10 + n > frame.length) return null;
  return frame.toString('utf8', 10, 10 + n);
}
