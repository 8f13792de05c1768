import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

let binary: string | undefined;

/**
 * Debian's haproxy, installed by scripts/setup-haproxy.sh on a fresh Debian machine when missing
 * (KWP_HAPROXY names another binary). Asked once per test process.
 * @throws Error with the script's message when none can be found or installed
 */
export function haproxyBinary(): string {
  if (binary !== undefined) return binary;
  const r = spawnSync('bash', [join(process.cwd(), 'scripts/setup-haproxy.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`no HAProxy for the replica tests: ${r.stderr.trim()}`);
  binary = r.stdout.trim().split('\n').pop()!;
  return binary;
}

/** A server's state as HAProxy's checks see it: the first word of `show stat`'s status (UP, DOWN, MAINT, ...). */
export type ServerState = string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** HAProxy in the foreground (`-db`) as a child process, with its runtime API on a Unix socket. */
export class HaproxyProcess {
  private readonly child: ChildProcess;
  private readonly socket: string;
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, socket: string) {
    this.child = child;
    this.socket = socket;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Writes `config` to `dir`/haproxy.cfg and runs it; resolves once the runtime API answers.
   * `statsSocket` must be the config's `stats socket` path.
   * @throws Error with HAProxy's output when it exits or does not answer within 10 s
   */
  static async start(dir: string, config: string, statsSocket: string): Promise<HaproxyProcess> {
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    const child = spawn(haproxyBinary(), ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const h = new HaproxyProcess(child, statsSocket);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${h.output}`);
      try {
        await h.command('show info');
        return h;
      } catch (e) {
        if (Date.now() > deadline) {
          await h.stop();
          throw new Error(`haproxy's runtime API did not answer within 10 s (${(e as Error).message}): ${h.output}`);
        }
        await sleep(50);
      }
    }
  }

  /** What HAProxy printed (warnings such as "Server replicas/r1 is DOWN"). */
  get log(): string {
    return this.output;
  }

  /** One runtime API command; resolves with its whole answer. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(this.socket);
      let out = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (out += d));
      s.on('error', reject);
      s.on('end', () => resolve(out));
      s.write(`${line}\n`);
    });
  }

  /** State of every server of `backend`, by server name. */
  async servers(backend: string): Promise<Map<string, ServerState>> {
    const [head, ...rows] = (await this.command('show stat')).trim().split('\n');
    const cols = (head ?? '').replace(/^# /, '').split(',');
    const px = cols.indexOf('pxname');
    const sv = cols.indexOf('svname');
    const status = cols.indexOf('status');
    const out = new Map<string, ServerState>();
    for (const row of rows) {
      const f = row.split(',');
      if (f[px] !== backend || f[sv] === 'BACKEND') continue;
      out.set(f[sv]!, (f[status] ?? '').split(' ')[0]!);
    }
    return out;
  }

  /**
   * Resolves once HAProxy's checks put `server` of `backend` in `state` (UP or DOWN).
   * @throws Error naming the state it was in when `timeoutMs` passes
   */
  async waitServer(backend: string, server: string, state: 'UP' | 'DOWN', timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = (await this.servers(backend)).get(server);
      if (now === state) return;
      if (Date.now() > deadline) throw new Error(`haproxy: ${backend}/${server} is ${String(now)}, not ${state}, after ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** SIGTERM (HAProxy's hard stop: it closes every connection and exits); resolves on its exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
