import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real broker that can be told to misbehave, so transport failures
 * are produced with real Kafka on the far side: swallow the broker's replies, cut connections
 * when the next request arrives, or slip extra bytes to the client.
 */
export class FaultProxy {
  /** When true, bytes from the broker are dropped: requests arrive, nothing comes back. */
  blackhole = false;
  /** Requests clients sent through the relay, by Kafka API key (ApiVersions, Metadata, ...). */
  readonly requests = new Map<number, number>();
  private cutOnNextRequest = false;
  private readonly pairs = new Set<{ client: Socket; broker: Socket }>();

  private readonly server: Server;
  readonly port: number;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static start(targetHost: string, targetPort: number): Promise<FaultProxy> {
    return new Promise((resolve) => {
      let proxy: FaultProxy;
      const server = createServer((client) => {
        const broker = connect({ host: targetHost, port: targetPort });
        const pair = { client, broker };
        proxy.pairs.add(pair);
        let unread: Buffer = Buffer.alloc(0);
        const end = (): void => {
          proxy.pairs.delete(pair);
          client.destroy();
          broker.destroy();
        };
        client.on('data', (d) => {
          if (proxy.cutOnNextRequest) {
            proxy.cutOnNextRequest = false;
            end();
            return;
          }
          broker.write(d);
          unread = proxy.count(Buffer.concat([unread, d]));
        });
        broker.on('data', (d) => {
          if (!proxy.blackhole) client.write(d);
        });
        client.on('error', end).on('close', end);
        broker.on('error', end).on('close', end);
      });
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        proxy = new FaultProxy(server, typeof addr === 'object' && addr !== null ? addr.port : 0);
        resolve(proxy);
      });
    });
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Counts the whole request frames at the start of `bytes` and returns the rest. */
  private count(bytes: Buffer): Buffer {
    let at = 0;
    while (bytes.length - at >= 6) {
      const size = bytes.readInt32BE(at);
      if (bytes.length - at < 4 + size) break;
      const apiKey = bytes.readInt16BE(at + 4);
      this.requests.set(apiKey, (this.requests.get(apiKey) ?? 0) + 1);
      at += 4 + size;
    }
    return bytes.subarray(at);
  }

  /** The next request bytes any client sends are not forwarded; its connection is closed instead. */
  cutOnNext(): void {
    this.cutOnNextRequest = true;
  }

  /**
   * Stops reading what clients send (as a broker that has stopped reading would), so their
   * socket buffers fill; returns the function that starts reading again.
   */
  stall(): () => void {
    const clients = [...this.pairs].map((p) => p.client);
    for (const c of clients) c.pause();
    return () => {
      for (const c of clients) c.resume();
    };
  }

  /** Cuts every connection open now (both sides); new ones are relayed as before. */
  cutAll(): void {
    for (const p of this.pairs) {
      p.client.destroy();
      p.broker.destroy();
    }
    this.pairs.clear();
  }

  /** Writes raw bytes to every connected client, as if the broker had sent them. */
  inject(bytes: Buffer): void {
    for (const p of this.pairs) p.client.write(bytes);
  }

  close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.broker.destroy();
    }
    this.pairs.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
