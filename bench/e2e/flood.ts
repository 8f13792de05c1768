/**
 * The hostile client of the isolation phase (isolation.ts), run inside a ws-worker process. It
 * floods one connection until told to stop, in bursts:
 *
 *   pipelined  `burst` fetch commands (issue 16: 20,000) on a route with 1 MiB replies, written to
 *              the socket back to back without waiting for a reply.
 *   fuzz       `burst` mutated PubSubReq frames (fuzz-frames.ts; issue 16: 200,000), written as
 *              fast as the socket takes them.
 *
 * Every burst ends with a ping; replies come in request order, so its pong means the proxy has
 * answered the whole burst, and the next one starts. The flooder reads every reply (a client that
 * stops reading is another test: test/server/slow-client.kafka.test.ts). A connection the proxy
 * closes is counted, with its close code, and opened again.
 */
import { WebSocket } from 'ws';
import { encodeFetch, encodePing, scanReply, topicBytes, type Scan } from './frames.js';
import { fuzzFrames } from './fuzz-frames.js';
import type { FloodResult, FloodSpec } from './ipc.js';
import { sleep } from './window.js';
import { open } from './ws-open.js';

/**
 * Bytes the flooder lets wait in its socket's buffer before it waits for the socket to take them.
 * A 20,000 fetch burst (about 800 KB) goes out in one go; a 200,000 frame fuzz burst in steps.
 */
const HIGH_WATER = 1 << 20;
/** Sequence of the ping that ends burst n is MARKER + n: no frame of a burst carries one that high. */
const MARKER = 2 ** 40;
const CLOSE_REASONS_KEPT = 5;
const REOPEN_BACKOFF_MS = 100;

let current: Flood | undefined;

/** Floods until stopFlood(); resolves with what the flooder sent and got. */
export async function runFlood(spec: FloodSpec): Promise<FloodResult> {
  if (current !== undefined) throw new Error('a flood is already running in this process');
  const f = new Flood(spec);
  current = f;
  try {
    return await f.run();
  } finally {
    current = undefined;
  }
}

export function stopFlood(): void {
  current?.stop();
}

/**
 * The fetches of a pipelined burst, encoded once and sent again every burst. Offsets are spread
 * over the first half of each partition, so every reply is as full as the route allows.
 */
function pipelinedFrames(spec: FloodSpec): Buffer[] {
  const topics = spec.assignments.map((a) => topicBytes(a.topic));
  return Array.from({ length: spec.burst }, (_, k) => {
    const i = k % spec.assignments.length;
    const a = spec.assignments[i]!;
    const half = Math.max(1, Math.floor((a.end - a.start) / 2));
    return encodeFetch(k + 1, topics[i]!, a.partition, a.start + ((k * 7919) % half));
  });
}

class Flood {
  private readonly spec: FloodSpec;
  private readonly frames: Buffer[];
  private readonly r: FloodResult;
  private stopped = false;
  private onStop: (() => void) | undefined;

  constructor(spec: FloodSpec) {
    this.spec = spec;
    this.frames = spec.kind === 'fuzz' ? fuzzFrames(spec.seed, spec.burst, spec.assignments) : pipelinedFrames(spec);
    this.r = {
      kind: spec.kind, bursts: 0, sent: 0, replies: 0, replyBytes: 0, answered: 0, refused: 0, undecodable: 0, errors: 0, unreadable: 0,
      closes: 0, closeReasons: [], elapsedMs: 0, cpuMs: 0,
    };
  }

  stop(): void {
    this.stopped = true;
    this.onStop?.();
  }

  async run(): Promise<FloodResult> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    while (!this.stopped) {
      let ws: WebSocket;
      try {
        ws = await open(this.spec.target);
      } catch (e) {
        this.error(`open: ${(e as Error).message}`);
        await sleep(REOPEN_BACKOFF_MS);
        continue;
      }
      await this.connection(ws);
      // Cut, not closed: a close frame would queue behind thousands of frames the proxy has not
      // read yet, and it would go on working through them after the victim's window.
      ws.terminate();
    }
    const cpu = process.cpuUsage(cpu0);
    return { ...this.r, elapsedMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  }

  private error(message: string): void {
    this.r.errors++;
    this.r.firstError ??= message;
  }

  /** Bursts on one connection; resolves when stopped or when the proxy closed it. */
  private connection(ws: WebSocket): Promise<void> {
    return new Promise((resolve) => {
      let next = 0;
      let marker = -1;
      const done = (): void => {
        this.onStop = undefined;
        resolve();
      };
      this.onStop = done;
      const write = (): void => {
        const f = this.frames;
        while (!this.stopped && ws.readyState === WebSocket.OPEN) {
          if (next === f.length) {
            marker = MARKER + this.r.bursts;
            ws.send(encodePing(marker, Buffer.alloc(0)));
            return;
          }
          this.r.sent++;
          if (ws.bufferedAmount < HIGH_WATER) {
            ws.send(f[next++]!);
          } else {
            // The callback runs once the socket has taken this frame (or failed to).
            ws.send(f[next++]!, () => write());
            return;
          }
        }
      };
      ws.on('message', (data: Buffer) => {
        if (this.stopped) return;
        const r = this.r;
        r.replies++;
        r.replyBytes += data.length;
        let s: Scan;
        try {
          s = scanReply(data);
        } catch (e) {
          // The proxy's reply to a hostile frame must still be a PubSubResp: report it, keep flooding.
          r.unreadable++;
          r.firstError ??= `unreadable reply (${(e as Error).message}): ${data.subarray(0, 64).toString('hex')}`;
          return;
        }
        if (s.kind === 'error') {
          if (s.error.startsWith('too many commands in flight')) r.refused++;
          else if (s.error === 'wrong command') r.undecodable++;
          else this.error(s.error);
        } else if (s.kind === 'none') this.error('a reply with no member');
        else r.answered++;
        if (s.kind === 'pong' && s.sequence === marker) {
          r.bursts++;
          next = 0;
          // Not from inside the socket's read: the next burst starts on a turn of its own.
          setImmediate(write);
        }
      });
      ws.once('close', (code: number, reason: Buffer) => {
        if (!this.stopped) {
          this.r.closes++;
          if (this.r.closeReasons.length < CLOSE_REASONS_KEPT) this.r.closeReasons.push(`${code} ${reason.toString()}`.trim());
        }
        done();
      });
      write();
    });
  }
}
