/**
 * The measurement window every client process uses: loops start, run `warmupMs` unmeasured (JIT,
 * connection set-up, page cache), then `durationMs` measured, then stop. Replies, and their round
 * trips, count when they arrive inside the window (at 1,000 clients a round trip can take longer
 * than the window, so counting only requests sent inside it left no samples).
 */
import { Histogram } from './histogram.js';
import type { LoopResult, WindowEvent } from './ipc.js';

export class Window {
  measuring = false;
  stopped = false;
  private t0 = 0;
  private t1 = 0;
  private cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
  private cpuMs = 0;
  messages = 0;
  payloadBytes = 0;
  replies = 0;
  errors = 0;
  firstError: string | undefined;
  readonly latency = new Histogram();

  /** One reply: `sentAt` is performance.now() when its request left. */
  reply(sentAt: number, messages: number, payloadBytes: number): void {
    if (!this.measuring) return;
    this.replies++;
    this.messages += messages;
    this.payloadBytes += payloadBytes;
    this.latency.record((performance.now() - sentAt) * 1000);
  }

  error(message: string): void {
    if (!this.measuring) return;
    this.errors++;
    this.firstError ??= message;
  }

  /**
   * Runs the window around `loops` (started by the caller before this is called) and resolves when
   * every loop has seen `stopped` and finished its last request.
   */
  async run(warmupMs: number, durationMs: number, clients: number, loops: Array<Promise<void>>): Promise<LoopResult> {
    await sleep(warmupMs);
    this.cpu0 = process.cpuUsage();
    this.t0 = performance.now();
    this.measuring = true;
    notify({ event: 'window-start' });
    await sleep(durationMs);
    this.measuring = false;
    this.stopped = true;
    this.t1 = performance.now();
    const cpu = process.cpuUsage(this.cpu0);
    this.cpuMs = (cpu.user + cpu.system) / 1000;
    notify({ event: 'window-end' });
    await Promise.all(loops);
    return this.result(clients);
  }

  private result(clients: number): LoopResult {
    return {
      clients,
      messages: this.messages,
      payloadBytes: this.payloadBytes,
      replies: this.replies,
      errors: this.errors,
      ...(this.firstError !== undefined ? { firstError: this.firstError } : {}),
      elapsedMs: this.t1 - this.t0,
      latency: this.latency.toJSON(),
      cpuMs: this.cpuMs,
    };
  }
}

/** Tells the orchestrator (when there is one) that the window opened or closed. */
function notify(e: WindowEvent): void {
  process.send?.(e);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
