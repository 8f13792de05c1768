/**
 * The proxy under test, run as users run it: the CLI (`dist/src/server/cli.js start`) in its own
 * process, routes added through the admin API, memory and event-loop delay read from /metrics,
 * CPU time from /proc. Nothing of the proxy runs inside the orchestrator or the clients.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProxyStartOptions {
  /** The repository root (dist/src/server/cli.js is found there). */
  root: string;
  maxConnections: number;
  /** Connections per Kafka broker (--kafka-connections); the direct client gets the same. */
  kafkaConnections: number;
  /** Extra node flags, e.g. --cpu-prof for profiling runs. */
  nodeArgs?: readonly string[];
  /**
   * --max-sockets-per-address (the proxy's default when absent, 1024): every client process of
   * the benchmark connects from 127.0.0.1 unless told otherwise, so holding more sockets than
   * that at once needs it raised (0: no cap).
   */
  maxSocketsPerAddress?: number;
}

/** A route's plugin settings (docs/admin-api.md, "A route"): fetch limits and the reply frame cap. */
export interface RoutePlugin {
  fetch?: { max_wait_ms?: number; min_bytes?: number; max_bytes?: number };
  max_frame_bytes?: number;
  /** Client identity (docs/security.md): token verification and topic rules. */
  auth?: Record<string, unknown>;
  authorize?: { consume?: readonly string[]; produce?: readonly string[] };
}

const CLK_TCK = clockTicks();

export class ProxyServer {
  readonly child: ChildProcess;
  readonly url: string;
  private readonly adminKey: string;
  private readonly dataDir: string;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, url: string, adminKey: string, dataDir: string, exited: Promise<void>) {
    this.child = child;
    this.url = url;
    this.adminKey = adminKey;
    this.dataDir = dataDir;
    this.exited = exited;
  }

  /** Starts the CLI with the file-descriptor limit raised to the hard limit; resolves on its "ready" line. */
  static async start(o: ProxyStartOptions): Promise<ProxyServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'kwp-bench-proxy-'));
    const adminKey = randomBytes(16).toString('hex');
    // As docs/operations.md runs it: the bin's shebang and `npm start` pass --single-threaded-gc.
    const args = ['--single-threaded-gc', ...(o.nodeArgs ?? []), join(o.root, 'dist/src/server/cli.js'), 'start', '--port', '0', '--host', '127.0.0.1',
      '--data-dir', dataDir, '--max-connections', String(o.maxConnections), '--kafka-connections', String(o.kafkaConnections), '--log-level', 'info',
      ...(o.maxSocketsPerAddress !== undefined ? ['--max-sockets-per-address', String(o.maxSocketsPerAddress)] : [])];
    const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$@"', 'bash', process.execPath, ...args], {
      // The key goes through the environment: flags show in ps (docs/configuration.md).
      env: { ...process.env, KAFKA_WS_PROXY_ADMIN_KEY: adminKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      process.stderr.write(`[proxy] ${s}`);
    });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (s: string): void => {
        buf += s;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          try {
            const j = JSON.parse(line) as { msg?: string; url?: string; level?: string };
            if (j.msg === 'ready' && typeof j.url === 'string') resolve(j.url);
            // Info lines (ready, route set) are expected; warnings and errors are worth seeing.
            else if (j.level !== 'info') process.stderr.write(`[proxy] ${line}\n`);
          } catch {
            process.stderr.write(`[proxy] ${line}\n`);
          }
        }
      };
      child.stdout!.setEncoding('utf8').on('data', onData);
      child.once('exit', (code) => reject(new Error(`proxy exited ${code} before ready: ${stderr}`)));
      setTimeout(() => reject(new Error(`proxy not ready within 15 s: ${stderr}`)), 15_000).unref();
    }).catch((e: unknown) => {
      // A proxy that never became ready must not outlive the run.
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    });
    return new ProxyServer(child, url, adminKey, dataDir, exited);
  }

  get pid(): number {
    return this.child.pid!;
  }

  ws(path: string): string {
    return this.url.replace(/^http/, 'ws') + path;
  }

  /** PUT /apisix/admin/routes/{id} with a Kafka route to `bootstrap`. */
  async route(id: string, uri: string, bootstrap: string, plugin: RoutePlugin = {}): Promise<void> {
    const body = {
      uri,
      upstream: { nodes: { [bootstrap]: 1 }, type: 'none', scheme: 'kafka' },
      ...(Object.keys(plugin).length > 0 ? { plugins: { 'kafka-proxy': plugin } } : {}),
    };
    const res = await fetch(`${this.url}/apisix/admin/routes/${id}`, {
      method: 'PUT',
      headers: { 'x-api-key': this.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200 && res.status !== 201) throw new Error(`route ${id}: HTTP ${res.status} ${await res.text()}`);
  }

  /** /metrics as "name{labels}" → value. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const sp = line.lastIndexOf(' ');
      out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
    }
    return out;
  }

  /** Open WebSockets, from /readyz. */
  async connections(): Promise<number> {
    const j = await (await fetch(`${this.url}/readyz`)).json() as { connections?: number };
    return j.connections ?? -1;
  }

  /** User plus system CPU seconds the proxy process has used (Linux /proc; NaN elsewhere). */
  cpuSeconds(): number {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / CLK_TCK;
    } catch {
      return NaN;
    }
  }

  /** The proxy process's resident memory now, in bytes (Linux /proc; NaN elsewhere). Costs no scrape. */
  rssBytes(): number {
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m === null ? NaN : Number(m[1]) * 1024;
    } catch {
      return NaN;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(kill);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
