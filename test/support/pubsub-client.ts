import { WebSocket } from 'ws';
import { decodeResp, encodeReq, type DecodedResp } from './pubsub-proto.js';

/**
 * A PubSub client as an APISIX user would write one: `ws` for the socket, protobufjs compiled from
 * proto/pubsub.proto for the frames. Nothing of our own codec is used, so tests check the wire.
 */
export class TestPubSubClient {
  readonly ws: WebSocket;
  private seq = 0;
  private readonly replies: DecodedResp[] = [];
  /** Byte size of every reply frame received, in order. */
  readonly frameSizes: number[] = [];
  private readonly waiters: Array<(r: DecodedResp) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error('the proxy sent a text frame');
      this.frameSizes.push(data.length);
      const r = decodeResp(data);
      const w = this.waiters.shift();
      if (w !== undefined) w(r);
      else this.replies.push(r);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static connect(url: string, headers?: Record<string, string>): Promise<TestPubSubClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, headers !== undefined ? { headers } : {});
      ws.once('open', () => resolve(new TestPubSubClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** The next reply in arrival order. */
  next(timeoutMs = 30_000): Promise<DecodedResp> {
    const r = this.replies.shift();
    if (r !== undefined) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (x: DecodedResp) => {
        clearTimeout(timer);
        resolve(x);
      };
      this.waiters.push(done);
    });
  }

  /** Sends `body` (a PubSubReq without sequence) with the next sequence number and returns it. */
  send(body: Record<string, unknown>): string {
    const sequence = String(++this.seq);
    this.ws.send(encodeReq({ sequence, ...body }));
    return sequence;
  }

  async request(body: Record<string, unknown>): Promise<DecodedResp> {
    const sequence = this.send(body);
    const r = await this.next();
    if (r.sequence !== sequence) throw new Error(`reply sequence ${r.sequence}, expected ${sequence}`);
    return r;
  }

  ping(state: Buffer): Promise<DecodedResp> {
    return this.request({ cmdPing: { state } });
  }

  listOffset(topic: string, partition: number, timestamp: bigint | number): Promise<DecodedResp> {
    return this.request({ cmdKafkaListOffset: { topic, partition, timestamp: String(timestamp) } });
  }

  fetch(topic: string, partition: number, offset: bigint | number): Promise<DecodedResp> {
    return this.request({ cmdKafkaFetch: { topic, partition, offset: String(offset) } });
  }

  /** Whether nothing arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    if (this.replies.length > 0) return false;
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close(1000);
    return this.closed;
  }
}
