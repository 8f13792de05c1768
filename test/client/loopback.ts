import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PubSubReq, encodeResp } from '../support/pubsub-proto.js';

/** A request as the test's own protobufjs (not the SDK's codec) decodes it: int64 as decimal strings. */
export interface DecodedReq {
  sequence?: string;
  cmdPing?: { state?: Buffer };
  cmdKafkaFetch?: { topic?: string; partition?: number; offset?: string };
  cmdKafkaListOffset?: { topic?: string; partition?: number; timestamp?: string };
  cmdEmpty?: Record<string, never>;
  cmdSubscribe?: { subscription?: number; topic?: string; partitions?: number[]; start?: number };
  cmdUnsubscribe?: { subscription?: number };
  cmdCredit?: { subscription?: number; bytes?: string };
}

export interface Peer {
  ws: WebSocket;
  /** Sends a PubSubResp given as a protobufjs object (int64 as decimal strings). */
  reply(resp: Record<string, unknown>): void;
}

/**
 * A scripted PubSub server on a loopback port: `onRequest` sees every decoded request and answers
 * (or not) through `peer.reply`. Lets unit tests drive reply order, silence and socket drops.
 */
export class LoopbackServer {
  readonly wss: WebSocketServer;
  readonly requests: DecodedReq[] = [];
  connections = 0;
  onRequest: (req: DecodedReq, peer: Peer) => void = () => {};

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on('connection', (ws) => {
      this.connections++;
      const peer: Peer = { ws, reply: (resp) => ws.send(encodeResp(resp)) };
      ws.on('message', (data: Buffer) => {
        const req = PubSubReq.toObject(PubSubReq.decode(data), { longs: String, bytes: Buffer }) as DecodedReq;
        this.requests.push(req);
        this.onRequest(req, peer);
      });
    });
  }

  static async start(): Promise<LoopbackServer> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new LoopbackServer(wss);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/kafka`;
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
