import { createServer, type Server, type Socket } from 'node:net';
import {
  ApiVersionsApi, decodeRequestFrame, encodeMessage, encodeResponseHeader, FindCoordinatorApi, FrameReader, MetadataApi,
  SaslHandshakeApi, Writer, type ApiSpec,
} from '../../../src/kafka-wire/index.js';

/**
 * A loopback "broker" for the recorder's tests: answers ApiVersions, Metadata (naming itself and
 * a peer), FindCoordinator (naming the peer), SaslHandshake v0 followed by one raw PLAIN token,
 * and api key 21 (DeleteRecords, which our codec does not declare) with opaque bytes. Keeps every
 * response frame it sent, to compare with what the recorder wrote. `reverse` holds pipelined
 * responses and sends them in reverse order.
 */
export class FakeBroker {
  readonly sent: Buffer[] = [];
  port = 0;
  peer = { host: '127.0.0.1', port: 0 };
  reverse = 0;
  private server: Server;
  private sockets = new Set<Socket>();

  readonly nodeId: number;

  constructor(nodeId: number) {
    this.nodeId = nodeId;
    this.server = createServer((s) => this.serve(s));
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const frames = new FrameReader(1 << 20, () => socket.destroy());
    let rawSasl = false;
    let held: Buffer[] = [];
    const send = (payload: Buffer) => {
      this.sent.push(payload);
      const size = Buffer.alloc(4);
      size.writeInt32BE(payload.length);
      socket.write(Buffer.concat([size, payload]));
    };
    socket.on('data', (chunk: Buffer) => frames.push(chunk, (frame) => {
      if (rawSasl) {
        rawSasl = false;
        send(Buffer.alloc(0)); // PLAIN in SaslHandshake v0 framing: an empty server token
        return;
      }
      const out = this.answer(frame);
      if (frame.readInt16BE(0) === SaslHandshakeApi.key && frame.readInt16BE(2) === 0) rawSasl = true;
      if (this.reverse > 0) {
        held.push(out);
        if (held.length === this.reverse) {
          for (const f of held.reverse()) send(f);
          held = [];
        }
      } else send(out);
    }));
  }

  private answer(frame: Buffer): Buffer {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    if (apiKey === 21) {
      const b = Buffer.from('00000000deadbeef', 'hex');
      b.writeInt32BE(correlationId, 0);
      return b;
    }
    const { api } = decodeRequestFrame(frame);
    const self = { nodeId: this.nodeId, host: '127.0.0.1', port: this.port };
    const peer = { nodeId: 9, host: this.peer.host, port: this.peer.port };
    const bodies: Record<number, unknown> = {
      [ApiVersionsApi.key]: { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] },
      [MetadataApi.key]: { brokers: [self, peer], clusterId: 'fake', controllerId: this.nodeId, topics: [] },
      [FindCoordinatorApi.key]: version < 4
        ? { errorCode: 0, errorMessage: null, nodeId: peer.nodeId, host: peer.host, port: peer.port }
        : { coordinators: [{ key: 'g', nodeId: peer.nodeId, host: peer.host, port: peer.port, errorCode: 0, errorMessage: null }, { key: 'h', nodeId: -1, host: '', port: -1, errorCode: 15, errorMessage: 'none' }] },
      [SaslHandshakeApi.key]: { errorCode: 0, mechanisms: ['PLAIN'] },
    };
    return responseFrame(api, version, correlationId, bodies[apiKey] ?? {});
  }
}

function responseFrame(api: ApiSpec, version: number, correlationId: number, body: unknown): Buffer {
  const w = new Writer();
  encodeResponseHeader(w, api.key, version, { correlationId });
  encodeMessage(api.response, version, body as never, w);
  return Buffer.from(w.finish());
}
