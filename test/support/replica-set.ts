import type { IncomingMessage } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '../../src/client/index.js';
import { haproxyConfig, REPLICA_HEADER } from './haproxy-config.js';
import { HaproxyProcess } from './haproxy-process.js';
import { freePortBelowEphemeral } from './ports.js';
import { ProxyProcess } from './proxy-process.js';

const HOST = '127.0.0.1';
const BACKEND = 'replicas';
/** Every replica's admin key (KAFKA_WS_PROXY_ADMIN_KEY). */
export const ADMIN_KEY = 'replica-set-admin-key-0123456789';

export interface ReplicaSetOptions {
  /** How many proxy processes (default 3). */
  replicas?: number;
  /** Static routes every replica loads from the same `--config` file. */
  routes: ReadonlyArray<Record<string, unknown>>;
  /** Extra CLI arguments of replica `index`, after the set's own (e.g. a shared route store). */
  args?: (index: number) => readonly string[];
  /** Extra environment of replica `index`. */
  env?: (index: number) => Readonly<Record<string, string>>;
}

export interface Replica {
  /** HAProxy's server name: `r<index>`. */
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  /** The running process; undefined while killed. */
  process: ProxyProcess | undefined;
}

/**
 * N real `kafka-ws-proxy start` processes, each on its own port and data directory, behind one
 * HAProxy (test/support/haproxy-config.ts) in the foreground: the deployment of
 * docs/deployment.md on one machine. Ports lie below the ephemeral range, so a replica restarted
 * on its port cannot find it taken by an outgoing connection.
 */
export class ReplicaSet {
  readonly replicas: Replica[];
  /** HAProxy's frontend port. */
  readonly port: number;
  readonly haproxy: HaproxyProcess;
  private readonly dir: string;
  private readonly config: string;
  private readonly options: ReplicaSetOptions;

  private constructor(dir: string, config: string, options: ReplicaSetOptions, replicas: Replica[], port: number, haproxy: HaproxyProcess) {
    this.dir = dir;
    this.config = config;
    this.options = options;
    this.replicas = replicas;
    this.port = port;
    this.haproxy = haproxy;
  }

  /**
   * Starts the replicas, then HAProxy, and resolves once HAProxy sees every replica UP.
   * @throws Error when a replica or HAProxy does not start (everything started is stopped)
   */
  static async start(options: ReplicaSetOptions): Promise<ReplicaSet> {
    const dir = mkdtempSync(join(tmpdir(), 'kwp-replicas-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ routes: options.routes }));
    const replicas: Replica[] = [];
    for (let i = 0; i < (options.replicas ?? 3); i++) {
      const dataDir = join(dir, `r${i}`);
      mkdirSync(dataDir);
      replicas.push({ name: `r${i}`, port: await freePortBelowEphemeral(HOST), dataDir, process: undefined });
    }
    const port = await freePortBelowEphemeral(HOST);
    const socket = join(dir, 'haproxy.sock');
    const cfg = haproxyConfig({
      bind: `${HOST}:${port}`,
      servers: replicas.map((r) => ({ name: r.name, address: `${HOST}:${r.port}` })),
      checkInterval: '200ms', fall: 1, rise: 1, maxconn: 4000, statsSocket: socket,
    });
    let haproxy: HaproxyProcess | undefined;
    try {
      haproxy = await HaproxyProcess.start(dir, cfg, socket);
      const set = new ReplicaSet(dir, config, options, replicas, port, haproxy);
      try {
        await Promise.all(replicas.map((_, i) => set.restart(i)));
      } catch (e) {
        await set.stop();
        throw e;
      }
      return set;
    } catch (e) {
      await haproxy?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** A WebSocket URL through HAProxy. */
  url(path: string): string {
    return `ws://${HOST}:${this.port}${path}`;
  }

  /** A URL of replica `index` itself, bypassing HAProxy (`ws` or `http`). */
  direct(index: number, path: string, scheme: 'ws' | 'http' = 'ws'): string {
    return `${scheme}://${HOST}:${this.replica(index).port}${path}`;
  }

  /** `kill -9` of replica `index`; resolves once the process is gone (HAProxy may not know yet: waitSeen). */
  async kill(index: number): Promise<void> {
    const r = this.replica(index);
    const p = r.process;
    r.process = undefined;
    await p?.stop('SIGKILL');
  }

  /**
   * Starts replica `index` again on its port and data directory and resolves once HAProxy's
   * checks see it UP. A running replica is killed first.
   */
  async restart(index: number): Promise<void> {
    const r = this.replica(index);
    if (r.process !== undefined) await this.kill(index);
    const args = ['start', '--host', HOST, '--port', String(r.port), '--data-dir', r.dataDir, '--config', this.config,
      // Behind HAProxy every client has its address.
      '--max-sockets-per-address', '0', ...(this.options.args?.(index) ?? [])];
    r.process = await ProxyProcess.start(args, { KAFKA_WS_PROXY_ADMIN_KEY: ADMIN_KEY, ...this.options.env?.(index) });
    await this.waitSeen(index, 'UP');
  }

  /** Resolves once HAProxy's health checks (GET /readyz) put replica `index` in `state`. */
  waitSeen(index: number, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void> {
    return this.haproxy.waitServer(BACKEND, this.replica(index).name, state, timeoutMs);
  }

  /** The replica that answered an upgrade through HAProxy, from the header HAProxy adds. @throws Error without one */
  servedBy(res: IncomingMessage): number {
    const name = res.headers[REPLICA_HEADER];
    const i = this.replicas.findIndex((r) => r.name === name);
    if (i < 0) throw new Error(`upgrade answered without a known ${REPLICA_HEADER} header: ${String(name)}`);
    return i;
  }

  /**
   * A `ws` WebSocket class for the SDK (`connect(url, { WebSocket })`) that reports the replica
   * behind each connection it opens through HAProxy, and when that connection closes.
   */
  trackingWebSocket(onUpgrade: (replica: number) => void, onClose?: (replica: number) => void): WebSocketConstructor {
    const set = this;
    return class TrackedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.once('upgrade', (res) => {
          const replica = set.servedBy(res);
          onUpgrade(replica);
          if (onClose !== undefined) this.once('close', () => onClose(replica));
        });
      }
    };
  }

  /** Replica `index`'s running process. @throws Error while it is killed */
  process(index: number): ProxyProcess {
    const p = this.replica(index).process;
    if (p === undefined) throw new Error(`replica ${index} is not running`);
    return p;
  }

  /** Replica `index`'s /metrics text, read from its own port. */
  async metrics(index: number): Promise<string> {
    const res = await fetch(this.direct(index, '/metrics', 'http'));
    if (res.status !== 200) throw new Error(`replica ${index}: /metrics answered ${res.status}`);
    return res.text();
  }

  /** Stops HAProxy and every replica (SIGTERM) and removes the directory. */
  async stop(): Promise<void> {
    await this.haproxy.stop();
    await Promise.all(this.replicas.map(async (r) => {
      const p = r.process;
      r.process = undefined;
      await p?.stop();
    }));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private replica(index: number): Replica {
    const r = this.replicas[index];
    if (r === undefined) throw new RangeError(`no replica ${index}`);
    return r;
  }
}
