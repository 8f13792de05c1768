import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real broker that can be told to misbehave, so transport failures
 * are produced with real Kafka on the far side: swallow the broker's replies, cut connections
 * when the next request arrives, or slip extra bytes to the client.
 */
export class FaultProxy {
  /** When true, bytes from the broker are dropped: requests arrive, nothing comes back. */
  blackhole = false;
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
