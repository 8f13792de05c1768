import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { RecordedConnection } from './connection.js';
import { RecordError } from './errors.js';
import { FixtureWriter, type RecordingLabels } from './fixture-writer.js';
import type { Address } from './rewrite.js';

export interface RecorderOptions {
  /** Address of the first listener (the one clients bootstrap from); port 0 picks a free one. */
  listen: Address;
  /** Host written into rewritten responses; default `listen.host`. */
  advertisedHost?: string;
  /** The broker the first listener forwards to. */
  broker: Address;
  /** Directory for the frames and manifest.json; created, must be empty. */
  outDir: string;
  labels?: RecordingLabels;
  /** Frames larger than this are passed on but not written (noted in the manifest). */
  maxFileBytes?: number;
  logger: Logger;
}

interface Listener {
  server: Server;
  local: Address;
  broker: Address;
}

/** How many ports after the last one to try when --listen gave a fixed port and the next is taken. */
const PORT_TRIES = 50;

/**
 * A recording proxy between Kafka clients and brokers. Each broker it learns of (the bootstrap one,
 * then every one named in a Metadata, FindCoordinator, Fetch or Produce response) gets a listener
 * of its own: the next port after the previous listener's (or a free one when --listen said 0).
 * Every request/response pair is written to the output directory as the broker and client sent it.
 */
export class Recorder {
  private readonly opts: RecorderOptions;
  private readonly writer: FixtureWriter;
  private readonly listeners = new Map<string, Promise<Listener>>();
  private readonly connections = new Set<RecordedConnection>();
  private readonly sockets = new Set<Socket>();
  private nextPort: number;
  private connectionCount = 0;
  private closing = false;
  private flushTimer: NodeJS.Timeout | undefined;

  private constructor(opts: RecorderOptions) {
    this.opts = opts;
    this.writer = new FixtureWriter(opts.outDir, key(opts.broker), opts.labels ?? {}, opts.maxFileBytes ?? 256 * 1024);
    this.nextPort = opts.listen.port;
  }

  /** @throws RecordError when the output directory or the first listener cannot be set up. */
  static async start(opts: RecorderOptions): Promise<Recorder> {
    const r = new Recorder(opts);
    await r.listenerFor(opts.broker);
    r.writer.flush();
    return r;
  }

  /** The bootstrap listener's address. */
  get address(): Promise<Address> {
    return this.listeners.get(key(this.opts.broker))!.then((l) => l.local);
  }

  get manifestPath(): string {
    return `${this.writer.dir}/manifest.json`;
  }

  /** The local listener standing for `broker`, opened on first use. */
  listenerFor(broker: Address): Promise<Address> {
    const k = key(broker);
    let l = this.listeners.get(k);
    if (l === undefined) {
      l = this.open(broker);
      this.listeners.set(k, l);
    }
    return l.then((x) => ({ host: this.opts.advertisedHost ?? x.local.host, port: x.local.port }));
  }

  private async open(broker: Address): Promise<Listener> {
    const host = this.opts.listen.host;
    for (let i = 0; ; i++) {
      const port = this.nextPort === 0 ? 0 : this.nextPort + i;
      const server = createServer((socket) => this.accept(socket, broker));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' && this.nextPort !== 0 && i < PORT_TRIES) continue;
        throw new RecordError(`cannot listen on ${host}:${port} for broker ${key(broker)}: ${(err as Error).message}`, { cause: err });
      }
      const a = server.address();
      const local = { host, port: typeof a === 'object' && a !== null ? a.port : port };
      if (this.nextPort !== 0) this.nextPort = local.port + 1;
      this.writer.noteListener(key(local), key(broker));
      this.opts.logger.info('listening', { listen: key(local), broker: key(broker) });
      return { server, local, broker };
    }
  }

  private accept(socket: Socket, broker: Address): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const id = ++this.connectionCount;
    this.opts.logger.debug('connection', { connection: id, from: `${socket.remoteAddress}:${socket.remotePort}`, broker: key(broker) });
    const conn = new RecordedConnection(socket, broker, {
      id, writer: this.writer, logger: this.opts.logger,
      map: (b) => this.listenerFor(b),
    });
    this.connections.add(conn);
    this.sockets.add(socket);
    void conn.done.then(() => {
      this.connections.delete(conn);
      this.sockets.delete(socket);
      this.scheduleFlush();
    });
  }

  /** The manifest is rewritten a moment after each connection ends, so a killed recorder loses little. */
  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.closing) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.writer.flush();
    }, 200);
  }

  /**
   * Stops the listeners, closes every connection (requests still waiting are noted as unanswered)
   * and writes manifest.json.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    const listeners = await Promise.allSettled(this.listeners.values());
    for (const l of listeners) if (l.status === 'fulfilled') l.value.server.close();
    for (const c of this.connections) c.close('recorder stopping');
    await Promise.all([...this.connections].map((c) => c.done));
    try {
      this.writer.flush();
    } catch (err) {
      throw new RecordError(`cannot write ${this.manifestPath}: ${(err as Error).message}`, { cause: err });
    }
  }

  get exchanges(): number {
    return this.writer.manifest.exchanges.length;
  }
}

function key(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
