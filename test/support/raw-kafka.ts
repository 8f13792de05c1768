import { connect, type Socket } from 'node:net';
import {
  decodeResponseFrame, encodeRequestFrame, type ApiSpec, type DecodedResponse, type Input, type Fields,
} from '../../src/kafka-wire/index.js';

/**
 * A deliberately small request/response exchange over one plaintext socket, for protocol tests
 * that want to see real broker bytes without the client layer. Not pipelined; one frame at a time.
 */
export class RawKafka {
  private socket: Socket;
  private chunks: Buffer[] = [];
  private waiting: ((frame: Buffer | Error) => void) | undefined;
  private correlationId = 1;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.deliver();
    });
    socket.on('error', (e) => this.waiting?.(e));
    socket.on('close', () => this.waiting?.(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<RawKafka> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new RawKafka(s)));
      s.once('error', reject);
    });
  }

  private deliver(): void {
    const all = Buffer.concat(this.chunks);
    if (all.length < 4 || all.length < 4 + all.readInt32BE(0) || this.waiting === undefined) return;
    const size = all.readInt32BE(0);
    this.chunks = [all.subarray(4 + size)];
    const w = this.waiting;
    this.waiting = undefined;
    w(Buffer.from(all.subarray(4, 4 + size)));
  }

  /** Sends raw frame bytes (with size prefix) and resolves with the next response frame (without it). */
  exchangeRaw(frame: Buffer, timeoutMs = 10_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response in time')), timeoutMs);
      this.waiting = (f) => {
        clearTimeout(timer);
        if (f instanceof Error) reject(f);
        else resolve(f);
      };
      this.socket.write(frame);
      this.deliver();
    });
  }

  nextCorrelationId(): number {
    return this.correlationId++;
  }

  async request<Q extends Fields, S extends Fields>(
    api: ApiSpec<Q, S>,
    version: number,
    body: Input<Q>,
  ): Promise<DecodedResponse<S> & { frame: Buffer; requestFrame: Buffer }> {
    const correlationId = this.nextCorrelationId();
    const requestFrame = Buffer.from(encodeRequestFrame(api, version, correlationId, 'kafka-ws-proxy-test', body));
    const frame = await this.exchangeRaw(requestFrame);
    const decoded = decodeResponseFrame(api, version, frame);
    if (decoded.header.correlationId !== correlationId) throw new Error(`correlation id ${decoded.header.correlationId} != ${correlationId}`);
    return { ...decoded, frame, requestFrame };
  }

  close(): void {
    this.socket.destroy();
  }
}
