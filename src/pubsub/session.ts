import type { PubSubBackend } from './backend.js';
import type { FramePool } from './frame-pool.js';
import { FrameDecodeError, RecordTooLargeError } from './errors.js';
import { COMMANDS, INVALID, type CommandLabel, type KafkaOperation } from './protocol/commands.js';
import { decodeRequest, type Command, type PubSubRequest } from './protocol/request.js';
import { encodeFetchReply } from './protocol/fetch-reply.js';
import { encodeErrorReply, encodeListOffsetReply, encodePongReply } from './protocol/response.js';

/** A command the backend serves. */
type BackendCommand = Extract<Command, { type: KafkaOperation }>;

/** Hooks for metrics and logs; every one is optional and must not throw. */
export interface SessionObserver {
  command?(type: CommandLabel, ok: boolean): void;
  sent?(bytes: number): void;
  /** A failed command: our code (e.g. KWIRE_ERR_UNKNOWN_TOPIC) and the error. */
  failed?(code: string, err: unknown): void;
}

/** What a session writes to: a WebSocket in production, a recorder in unit tests. */
export interface SessionChannel {
  /**
   * `done` is called once the frame has left for the socket (or failed to); with a `framePool`,
   * the frame's memory is reused after that, so the channel must not read it any more.
   */
  send(frame: Buffer, done: () => void): void;
  close(code: number, reason: string): void;
  /** Stop and restart reading frames from the peer (TCP backpressure). */
  pause(): void;
  resume(): void;
}

export interface SessionOptions {
  backend: PubSubBackend;
  /** Largest reply frame; fetch replies carry fewer records to stay under it (default 1 MiB). */
  maxFrameBytes?: number;
  /** Commands waiting for the backend; more get an error reply (default 64). */
  maxInFlight?: number;
  observer?: SessionObserver;
  /** Reuses large fetch reply frames once `channel.send` reports them written. */
  framePool?: FramePool;
}

interface Slot {
  frame: Buffer | undefined;
}

/**
 * One WebSocket's PubSub conversation. Commands run concurrently but replies leave in request order,
 * each echoing its request's sequence (APISIX clients match on it and some assume order).
 *
 * Memory is bounded two ways: more than `maxInFlight` commands waiting on Kafka get an error reply,
 * and reading from the peer pauses while too many replies wait in order or too many bytes wait to be
 * written (a client that stops reading cannot make us buffer without end).
 */
export class Session {
  private readonly channel: SessionChannel;
  private readonly backend: PubSubBackend;
  private readonly maxFrameBytes: number;
  private readonly maxInFlight: number;
  private readonly observer: SessionObserver;
  private readonly queue: Slot[] = [];
  private inFlight = 0;
  private unsentBytes = 0;
  private paused = false;
  private closed = false;
  private draining: { code: number; reason: string } | undefined;
  private readonly highWaterBytes: number;
  private readonly pool: FramePool | undefined;
  private readonly alloc: (size: number) => Buffer;

  constructor(channel: SessionChannel, options: SessionOptions) {
    this.channel = channel;
    this.backend = options.backend;
    this.maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
    this.maxInFlight = options.maxInFlight ?? 64;
    this.observer = options.observer ?? {};
    this.highWaterBytes = Math.max(4 * this.maxFrameBytes, 4 * 1024 * 1024);
    this.pool = options.framePool;
    this.alloc = this.pool?.take ?? Buffer.allocUnsafe;
  }

  /** Commands accepted and not yet answered. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * One WebSocket message. Text frames are ignored, as APISIX does; an undecodable binary frame is
   * answered with "wrong command" under sequence 0 (the sequence is unreadable) and the connection
   * stays open.
   */
  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed || this.draining !== undefined || !isBinary) return;
    let request: PubSubRequest;
    try {
      request = decodeRequest(data);
    } catch (e) {
      // Anything but FrameDecodeError would be our bug; it still must not take the process down.
      this.observer.command?.(INVALID, false);
      this.observer.failed?.(e instanceof FrameDecodeError ? e.code : 'ERR_UNEXPECTED', e);
      this.push().frame = encodeErrorReply(0n, 'wrong command');
      this.flush();
      return;
    }
    const { sequence, command } = request;
    if (command === undefined) return;
    const slot = this.push();
    switch (command.type) {
      case 'ping':
        this.observer.command?.('ping', true);
        slot.frame = encodePongReply(sequence, command.state);
        break;
      case 'empty':
        this.observer.command?.('empty', false);
        slot.frame = encodeErrorReply(sequence, 'unknown command');
        break;
      case 'fetch':
      case 'list_offset':
        if (this.inFlight >= this.maxInFlight) {
          this.observer.command?.(command.type, false);
          this.observer.failed?.('PUBSUB_ERR_TOO_MANY_IN_FLIGHT', undefined);
          slot.frame = encodeErrorReply(sequence, `too many commands in flight (limit ${this.maxInFlight})`);
          break;
        }
        this.inFlight++;
        void this.run(slot, sequence, command).finally(() => {
          this.inFlight--;
          this.flush();
        });
        return;
      default:
        unhandled(command);
    }
    this.flush();
  }

  /**
   * Stops taking commands, lets the ones accepted finish and be answered, then closes with `code`.
   * Used when a route is updated: old connections end gracefully.
   */
  drain(code: number, reason: string): void {
    if (this.closed) return;
    this.draining = { code, reason };
    this.flush();
  }

  /** Closes at once; replies still pending are dropped. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.channel.close(code, reason);
  }

  /** The peer went away: forget everything. */
  dispose(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private async run(slot: Slot, sequence: bigint, command: BackendCommand): Promise<void> {
    const { topic, partition } = command;
    try {
      switch (command.type) {
        case 'fetch': {
          const batch = await this.backend.fetch(topic, partition, command.offset);
          try {
            slot.frame = encodeFetchReply(sequence, batch, this.maxFrameBytes, this.alloc).frame;
          } finally {
            // The records are in the frame now: drop them. The promises that carried this batch were
            // made when the request left and, under load, lived long enough to be promoted to V8's old
            // generation; a dead old object still counts as a root for the young-generation collector
            // until the next full GC, so without this every scavenge in between copied (and then
            // promoted) what it points to. When records were objects, that made GC a large share of the
            // proxy's CPU at 100 clients (BENCHMARKS.md, "Earlier changes", 1.).
            batch.batches.length = 0;
            batch.release?.();
          }
          break;
        }
        case 'list_offset':
          slot.frame = encodeListOffsetReply(sequence, await this.backend.listOffset(topic, partition, command.timestamp));
          break;
        default:
          unhandled(command);
      }
      this.observer.command?.(command.type, true);
    } catch (e) {
      this.observer.command?.(command.type, false);
      this.observer.failed?.(codeOf(e), e);
      const what = COMMANDS[command.type].errorPrefix;
      const err = e instanceof RecordTooLargeError ? e.message : this.backend.describeError(e);
      slot.frame = encodeErrorReply(sequence, `${what}, topic: ${topic}, partition: ${partition}, err: ${err}`);
    }
  }

  private push(): Slot {
    const slot: Slot = { frame: undefined };
    this.queue.push(slot);
    if (this.queue.length >= 2 * this.maxInFlight) this.setPaused(true);
    return slot;
  }

  private flush(): void {
    if (this.closed) return;
    const q = this.queue;
    let n = 0;
    while (n < q.length && q[n]!.frame !== undefined) {
      const frame = q[n]!.frame!;
      n++;
      this.unsentBytes += frame.length;
      this.channel.send(frame, () => this.sent(frame));
    }
    if (n > 0) q.splice(0, n);
    if (this.draining !== undefined && q.length === 0) {
      const { code, reason } = this.draining;
      this.close(code, reason);
      return;
    }
    this.updatePause();
  }

  private sent(frame: Buffer): void {
    this.unsentBytes -= frame.length;
    this.observer.sent?.(frame.length);
    this.pool?.release(frame);
    this.updatePause();
  }

  private updatePause(): void {
    if (this.closed) return;
    const over = this.unsentBytes > this.highWaterBytes || this.queue.length >= 2 * this.maxInFlight;
    const under = this.unsentBytes <= this.highWaterBytes / 2 && this.queue.length < this.maxInFlight;
    if (over) this.setPaused(true);
    else if (under) this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (paused) this.channel.pause();
    else this.channel.resume();
  }
}

/** The `default` of an exhaustive switch: a command added to COMMANDS but not handled fails to compile here. */
function unhandled(command: never): never {
  throw new Error(`unhandled command ${(command as { type: string }).type}`);
}

function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_UNEXPECTED';
}
