/**
 * The proxy under test, run as users run it: the CLI (`dist/src/server/cli.js start`) in its own
 * process, routes added through the admin API, memory and event-loop delay read from /metrics,
 * CPU time from /proc. Nothing of the proxy runs inside the orchestrator or the clients.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
   * Worker processes (--workers; default 1, one process as before the flag existed). A checkout
   * from before --workers (--proxy-root) runs one process and refuses more.
   */
  workers?: number;
}

/** A route's plugin settings (docs/admin-api.md, "A route"): fetch limits and the reply frame cap. */
export interface RoutePlugin {
  fetch?: { max_wait_ms?: number; min_bytes?: number; max_bytes?: number };
  max_frame_bytes?: number;
  /** Client identity (docs/security.md): token verification and topic rules. */
  auth?: Record<string, unknown>;
  authorize?: { consume?: readonly string[]; produce?: readonly string[] };
  produce?: { topics: string[]; acks?: number | 'all'; linger_ms?: number };
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
    const workers = o.workers ?? 1;
    // The CLI's default is one worker per core: a run says how many it measures.
    const knowsWorkers = existsSync(join(o.root, 'dist/src/server/workers/primary.js'));
    if (!knowsWorkers && workers > 1) throw new Error(`the proxy of ${o.root} has no --workers: it runs one process`);
    const dataDir = mkdtempSync(join(tmpdir(), 'kwp-bench-proxy-'));
    const adminKey = randomBytes(16).toString('hex');
    // As docs/operations.md runs it: the bin's shebang and `npm start` pass --single-threaded-gc.
    const args = ['--single-threaded-gc', ...(o.nodeArgs ?? []), join(o.root, 'dist/src/server/cli.js'), 'start', '--port', '0', '--host', '127.0.0.1',
      '--data-dir', dataDir, '--max-connections', String(o.maxConnections), '--kafka-connections', String(o.kafkaConnections), '--log-level', 'info',
      // Every benchmark client is on this machine: the per-address cap (1,024 by default) would
      // refuse the footprint's and the fan-out's thousands of sockets from a few loopback addresses.
      '--max-sockets-per-address', '0',
      ...(knowsWorkers ? ['--workers', String(workers)] : [])];
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
    const text = await (await retried(() => fetch(`${this.url}/metrics`))).text();
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
    const j = await (await retried(() => fetch(`${this.url}/readyz`))).json() as { connections?: number };
    return j.connections ?? -1;
  }

  /**
   * User plus system CPU seconds the proxy has used, its worker processes included (Linux /proc;
   * NaN elsewhere). A worker that died and was replaced takes its seconds with it.
   */
  cpuSeconds(): number {
    try {
      let sum = 0;
      for (const pid of processTree(this.pid)) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        sum += (Number(f[11]) + Number(f[12])) / CLK_TCK;
      }
      return sum;
    } catch {
      return NaN;
    }
  }

  /** The resident memory of the proxy's processes now, in bytes (Linux /proc; NaN elsewhere). Costs no scrape. */
  rssBytes(): number {
    try {
      let sum = 0;
      for (const pid of processTree(this.pid)) {
        const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m === null) return NaN;
        sum += Number(m[1]) * 1024;
      }
      return sum;
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

const SCRAPE_ATTEMPTS = 5;
const SCRAPE_BACKOFF_MS = 1000;

/**
 * A scrape retried a few times: under ten thousand sockets the proxy's event loop can be seconds
 * late, and a scrape then fails (reset by the socket cap while thousands of closes are pending,
 * or a full accept queue) without anything being wrong with the proxy.
 */
async function retried(f: () => Promise<Response>): Promise<Response> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= SCRAPE_ATTEMPTS) throw e;
      await new Promise((resolve) => setTimeout(resolve, SCRAPE_BACKOFF_MS * i));
    }
  }
}

/** `pid` and its children: a primary's workers (they fork nothing themselves). */
function processTree(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number);
  return [pid, ...children];
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
