import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist/src/server/cli.js');

/** `kafka-ws-proxy` run as a user runs it: a child process, JSON log lines on stdout. */
export class ProxyProcess {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>> = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess) {
    this.child = child;
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ raw: line });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts the CLI and waits for its "ready" line. */
  static async start(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<ProxyProcess> {
    const p = ProxyProcess.spawn(args, env);
    await p.waitFor((l) => l['msg'] === 'ready', timeoutMs);
    return p;
  }

  /** Starts the CLI without waiting for anything. */
  static spawn(args: string[], env: Record<string, string> = {}): ProxyProcess {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ProxyProcess(child);
  }

  get ready(): Record<string, unknown> {
    return this.lines.find((l) => l['msg'] === 'ready')!;
  }

  async waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(match);
      if (hit !== undefined) return hit;
      if (this.child.exitCode !== null) throw new Error(`proxy exited ${this.child.exitCode}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`proxy: no matching line within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  stop(signal: NodeJS.Signals = 'SIGTERM') {
    this.child.kill(signal);
    return this.exited;
  }
}
