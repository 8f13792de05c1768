import { AccessError, CLOSE_UNAUTHENTICATED, type ConnectionAccess, type Grant } from './access.js';
import type { PubSubBackend } from './backend.js';
import type { FramePool } from './frame-pool.js';
import { FrameDecodeError, GroupNotAllowedError, ProduceDisabledError, ProduceTooLargeError, RecordTooLargeError, SubscribeError } from './errors.js';
import { COMMANDS, INVALID, type CommandLabel, type KafkaOperation } from './protocol/commands.js';
import { decodeRequest, type Command, type PubSubRequest } from './protocol/request.js';
import { encodeFetchReply } from './protocol/fetch-reply.js';
import {
  encodeAuthenticateReply, encodeCommitOffsetsReply, encodeCommittedOffsetsReply, encodeErrorReply, encodeListOffsetReply, encodePongReply, encodeProduceReply,
} from './protocol/response.js';
import type { BudgetMember, ReplyBudget } from './reply-budget.js';
import { pushPrefixSize, type EndReason } from './protocol/subscription-replies.js';
import { Subscriptions, type SubscriptionRoute } from './subscribe/subscriptions.js';

/** A command the backend serves. */
type BackendCommand = Extract<Command, { type: KafkaOperation }>;

/** Hooks for metrics and logs; every one is optional and must not throw. */
export interface SessionObserver {
  command?(type: CommandLabel, ok: boolean): void;
  sent?(bytes: number): void;
  /** A failed command: our code (e.g. KWIRE_ERR_UNKNOWN_TOPIC) and the error. */
  failed?(code: string, err: unknown): void;
  /** The connection was closed because the process was over its reply budget. */
  overloaded?(): void;
  /** A subscription opened. */
  subscribed?(): void;
  /** A subscription ended: an EndReason, or 'disconnected' when the connection went first. */
  subscriptionEnded?(reason: EndReason | 'disconnected'): void;
  /** A push of `bytes` (the WebSocket message's payload) was handed to the socket. */
  pushed?(bytes: number): void;
  /** Produce command bytes held by the connection went up (positive) or down (negative). */
  produceBytes?(delta: number): void;
  /** A cmd_authenticate was accepted (`refresh`: the connection already had a grant). */
  authenticated?(refresh: boolean): void;
  /** A command was refused for want of a grant, a permission or rate ('unauthenticated', 'forbidden', 'rate_limited'). */
  refused?(reason: 'unauthenticated' | 'forbidden' | 'rate_limited'): void;
}

/** What a session writes to: a WebSocket in production, a recorder in unit tests. */
export interface SessionChannel {
  /**
   * `done` is called once the frame has left for the socket (or failed to); with a `framePool`,
   * the frame's memory is reused after that, so the channel must not read it any more. Pushes
   * handed over before it leave before it.
   */
  send(frame: Buffer, done: () => void): void;
  /**
   * A KafkaRecordsPush of `subscription` whose fields after the subscription are `body`. The
   * body is shared with other connections: the channel must never change it, and should write it
   * as it is, behind its own prefix, rather than copy it.
   */
  push(subscription: number, body: Buffer): void;
  /** Bytes handed to the socket (replies and pushes) that it has not taken yet. */
  readonly unsentBytes: number;
  /** Bytes of pushes the socket has taken since the start: grows while the client reads. */
  readonly takenBytes: number;
  /** `listener` is called each time the socket has taken pushes (one listener; a new one replaces it). */
  onTaken(listener: () => void): void;
  /**
   * Starts the closing handshake; with `cutAfterMs`, cuts the connection if the peer has not
   * finished it by then (a peer that does not read never would).
   */
  close(code: number, reason: string, cutAfterMs?: number): void;
  /** Stop and restart reading frames from the peer (TCP backpressure). */
  pause(): void;
  resume(): void;
}

/** Close code of a connection closed because the process was over its reply budget (RFC 6455: try again later). */
export const CLOSE_OVERLOADED = 1013;

/** Defaults of the limits below; the server's settings table shows the same values. */
export const SESSION_DEFAULTS = Object.freeze({
  maxFrameBytes: 1024 * 1024,
  maxInFlight: 64,
  maxRunning: 4,
  maxUnsentBytes: 4 * 1024 * 1024,
  maxProduceBytes: 1024 * 1024,
});

export interface SessionOptions {
  backend: PubSubBackend;
  /** Largest reply frame; fetch replies carry fewer records to stay under it (default 1 MiB). */
  maxFrameBytes?: number;
  /** Commands accepted and not answered yet; more get an error reply (default 64). */
  maxInFlight?: number;
  /**
   * Commands of this connection running on the backend at once (default 4); the rest of those in
   * flight wait their turn. Backend connections are shared by every client, and a broker serves
   * the requests of one connection in order, so without this cap one client's pipelined commands
   * would queue ahead of everyone else's.
   */
  maxRunning?: number;
  /**
   * Reply bytes this connection may hold (default 4 MiB): replies encoded and not yet taken by its
   * socket, plus the room reserved for replies being fetched (`maxFrameBytes` per fetch). A command
   * starts only when its room fits, so a client that stops reading costs at most this much.
   */
  maxUnsentBytes?: number;
  /**
   * Bytes of produce commands this connection may hold, accepted and not yet answered (default
   * 1 MiB): their records are views of the frames, held until Kafka acknowledges them. Past it
   * the session stops reading from the peer until half of it is answered, so a producer faster
   * than the brokers is paced by TCP instead of growing the proxy's memory; a single command
   * larger than this is refused (PUBSUB_ERR_PRODUCE_TOO_LARGE).
   */
  maxProduceBytes?: number;
  /** The process-wide bound across connections (see ReplyBudget); none by default. */
  budget?: ReplyBudget;
  /** Live subscriptions on this connection's route; without it, subscribe is refused. */
  subscriptions?: SubscriptionRoute;
  observer?: SessionObserver;
  /** Reuses large fetch reply frames once `channel.send` reports them written. */
  framePool?: FramePool;
  /**
   * Who the connection is and what it may do; absent on a route without authentication or
   * limits, where every command the route allows is served.
   */
  access?: ConnectionAccess;
}

interface Slot {
  frame: Buffer | undefined;
  /** Called once the frame is handed to the channel (a subscribe starts pushing only then). */
  onSent?: (() => void) | undefined;
}

/** A backend command accepted and waiting for its turn (maxRunning) and its room (maxUnsentBytes). */
interface Waiting {
  slot: Slot;
  sequence: bigint;
  command: BackendCommand;
}

/** Room reserved for a reply that is not a fetch's: a list offset reply or an error text. */
const SMALL_REPLY_BYTES = 512;

/** Close code of a connection that did not read the pushes it granted credit for (private-use range). */
export const CLOSE_SLOW_CONSUMER = 4001;
/**
 * A slow consumer's connection is cut this long after its close frame was queued: the frame waits
 * behind the pushes it did not read, and the memory they hold must go (issue 17: within 1 s).
 */
const SLOW_CONSUMER_CUT_MS = 500;

/**
 * One WebSocket's PubSub conversation. Commands run concurrently but replies leave in request order,
 * each echoing its request's sequence (APISIX clients match on it and some assume order).
 *
 * What one connection can cost is bounded: more than `maxInFlight` unanswered commands get an
 * error reply; at most `maxRunning` of them run on the backend at once; a command starts only when
 * the room for its reply fits in `maxUnsentBytes` (and in the process's ReplyBudget); and reading
 * from the peer pauses while its replies are not being taken or too many commands wait, so the
 * commands a client that stops reading keeps sending are never even decoded.
 */
export class Session implements BudgetMember {
  private readonly channel: SessionChannel;
  private readonly backend: PubSubBackend;
  private readonly maxFrameBytes: number;
  private readonly maxInFlight: number;
  private readonly maxRunning: number;
  private readonly maxUnsentBytes: number;
  private readonly maxProduceBytes: number;
  private readonly budget: ReplyBudget | undefined;
  private readonly observer: SessionObserver;
  private readonly queue: Slot[] = [];
  private readonly waiting: Waiting[] = [];
  /** Backend commands accepted and not answered: waiting or running. */
  private inFlight = 0;
  private running = 0;
  /** Room reserved for the replies of running commands. */
  private reserved = 0;
  /** Bytes of replies made and not yet taken by the socket (in `queue`, or handed to the channel). */
  private held = 0;
  /** The part of `held` handed to the channel. */
  private handed = 0;
  /** Frame bytes of produce commands accepted and not answered (see maxProduceBytes). */
  private producing = 0;
  /** When the socket last took bytes, or when bytes were handed to it after none waited. */
  private lastTaken = 0;
  private paused = false;
  private closed = false;
  private draining: { code: number; reason: string } | undefined;
  private readonly pool: FramePool | undefined;
  private readonly alloc: (size: number) => Buffer;
  private readonly subscriptionRoute: SubscriptionRoute | undefined;
  private subs: Subscriptions | undefined;
  private readonly access: ConnectionAccess | undefined;
  /** The identity's grant; undefined until it authenticates (only with `access`). */
  private grant: Grant | undefined;
  /** Ends the connection when the grant expires, or when none came in time. */
  private grantTimer: NodeJS.Timeout | undefined;
  private authenticating = false;

  constructor(channel: SessionChannel, options: SessionOptions) {
    this.channel = channel;
    this.backend = options.backend;
    this.maxFrameBytes = options.maxFrameBytes ?? SESSION_DEFAULTS.maxFrameBytes;
    this.maxInFlight = options.maxInFlight ?? SESSION_DEFAULTS.maxInFlight;
    this.maxRunning = options.maxRunning ?? SESSION_DEFAULTS.maxRunning;
    this.maxUnsentBytes = options.maxUnsentBytes ?? SESSION_DEFAULTS.maxUnsentBytes;
    this.maxProduceBytes = options.maxProduceBytes ?? SESSION_DEFAULTS.maxProduceBytes;
    this.budget = options.budget;
    this.observer = options.observer ?? {};
    this.pool = options.framePool;
    this.alloc = this.pool?.take ?? Buffer.allocUnsafe;
    this.subscriptionRoute = options.subscriptions;
    this.access = options.access;
    if (this.access !== undefined) {
      const initial = this.access.initial;
      if (initial !== undefined) this.setGrant(initial);
      else this.armTimer(this.access.authenticateWithinMs, 'authentication required');
    }
  }

  /** Subscriptions open on this connection. */
  get subscriptions(): number {
    return this.subs?.size ?? 0;
  }

  /** Bytes handed to this connection's socket (replies and pushes) that it has not taken yet. */
  get unsentBytes(): number {
    return this.closed ? 0 : this.channel.unsentBytes;
  }

  /** Reply bytes this connection holds: made and not yet taken by its socket, plus room reserved. */
  get usage(): number {
    return this.reserved + this.held;
  }

  /** Bytes handed to the socket that it has not taken yet. */
  get unsent(): number {
    return this.handed;
  }

  stalledFor(now: number): number {
    return this.handed > 0 ? now - this.lastTaken : 0;
  }

  wake(): void {
    this.pump();
  }

  overloaded(): void {
    this.observer.overloaded?.();
    // Its subscriptions end as a slow consumer's would: it stopped reading.
    this.close(CLOSE_OVERLOADED, 'server overloaded: replies are not being read', 'slow_consumer');
  }

  /** Bytes of produce commands accepted and not yet answered. */
  get produceBytes(): number {
    return this.producing;
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
      request = decodeRequest(data, this.maxProduceBytes);
    } catch (e) {
      // Anything but FrameDecodeError would be our bug; it still must not take the process down.
      this.observer.command?.(INVALID, false);
      this.observer.failed?.(e instanceof FrameDecodeError ? e.code : 'ERR_UNEXPECTED', e);
      this.fill(this.push(), encodeErrorReply(0n, 'wrong command'));
      this.flush();
      return;
    }
    const { sequence, command } = request;
    if (command === undefined) return;
    const slot = this.push();
    if (this.access !== undefined && command.type !== 'ping') {
      const refusal = this.refusal(command);
      if (refusal !== undefined) {
        this.observer.command?.(command.type, false);
        this.fill(slot, encodeErrorReply(sequence, errorText(command, refusal)));
        this.flush();
        return;
      }
    }
    switch (command.type) {
      case 'ping':
        this.observer.command?.('ping', true);
        this.fill(slot, encodePongReply(sequence, command.state));
        break;
      case 'empty':
        this.observer.command?.('empty', false);
        this.fill(slot, encodeErrorReply(sequence, 'unknown command'));
        break;
      case 'fetch':
      case 'list_offset':
      case 'produce':
      case 'commit_offsets':
      case 'fetch_committed':
        if (this.inFlight >= this.maxInFlight) {
          this.observer.command?.(command.type, false);
          this.observer.failed?.('PUBSUB_ERR_TOO_MANY_IN_FLIGHT', undefined);
          this.fill(slot, encodeErrorReply(sequence, `too many commands in flight (limit ${this.maxInFlight})`));
          break;
        }
        if (command.type === 'produce') {
          if (command.bytes > this.maxProduceBytes) {
            const e = new ProduceTooLargeError(command.bytes, this.maxProduceBytes);
            this.observer.command?.('produce', false);
            this.observer.failed?.(e.code, e);
            this.fill(slot, encodeErrorReply(sequence, errorText(command, e.message)));
            break;
          }
          this.producing += command.bytes;
          this.observer.produceBytes?.(command.bytes);
        }
        this.inFlight++;
        this.waiting.push({ slot, sequence, command });
        this.pump();
        // Past the produce bound: no more frames are read until commands are answered.
        if (this.producing > this.maxProduceBytes) this.setPaused(true);
        return;
      case 'subscribe':
        this.subscribe(slot, sequence, command);
        return;
      case 'unsubscribe': {
        const reply = this.subs?.unsubscribe(sequence, command.subscription) ?? null;
        this.observer.command?.('unsubscribe', reply !== null);
        this.fill(slot, reply ?? encodeErrorReply(sequence, `failed to unsubscribe, subscription: ${command.subscription}, err: unknown subscription`));
        break;
      }
      case 'credit': {
        const err = this.subs === undefined ? 'unknown subscription' : this.subs.credit(command.subscription, command.bytes);
        this.observer.command?.('credit', err === undefined);
        // Granting credit is not answered; only a refusal is (in order, like any reply).
        if (err === undefined) this.queue.pop();
        else this.fill(slot, encodeErrorReply(sequence, `failed to grant credit, subscription: ${command.subscription}, err: ${err}`));
        break;
      }
      case 'authenticate':
        this.authenticate(slot, sequence, command.token);
        return;
      default:
        unhandled(command);
    }
    this.flush();
  }

  /**
   * Why a command may not run for this identity (undefined: it may): no grant yet, a grant past
   * its expiry whose timer has not fired, a topic its rules leave out, or over its command rate.
   */
  private refusal(command: Command): string | undefined {
    const access = this.access!;
    // Credit and unsubscribe are flow control the SDK sends as the loop runs, and cost nothing
    // on Kafka: refusing them would stall a subscription, not protect anything.
    const limited = command.type === 'credit' || command.type === 'unsubscribe' ? undefined : access.admitCommand();
    if (limited !== undefined) {
      this.observer.refused?.('rate_limited');
      return limited;
    }
    if (command.type === 'authenticate') return undefined;
    const grant = this.grant;
    if (grant === undefined || Date.now() >= grant.expiresAtMs) {
      this.observer.refused?.('unauthenticated');
      return 'authentication required';
    }
    switch (command.type) {
      case 'fetch':
      case 'list_offset':
      case 'subscribe':
        if (grant.consume(command.topic)) return undefined;
        break;
      case 'produce':
        if (grant.produce(command.topic)) return undefined;
        break;
      case 'commit_offsets':
      case 'fetch_committed':
        if (!grant.consume(command.topic)) break;
        if (grant.group(command.group)) return undefined;
        this.observer.refused?.('forbidden');
        return 'group not allowed';
      default:
        return undefined;
    }
    this.observer.refused?.('forbidden');
    return 'topic not allowed';
  }

  /**
   * cmd_authenticate: a first token, or a refresh of the current one (same subject; subscriptions
   * the new claims no longer allow end with `unauthorized`, the others go on untouched). A
   * connection with no grant whose token is refused is closed once the refusal is answered.
   */
  private authenticate(slot: Slot, sequence: bigint, token: string): void {
    const access = this.access;
    const fail = (err: string) => {
      this.observer.command?.('authenticate', false);
      this.fill(slot, encodeErrorReply(sequence, `failed to authenticate, err: ${err}`));
      this.flush();
    };
    if (access === undefined) {
      fail('authentication is not enabled on this route');
      return;
    }
    if (this.authenticating) {
      fail('an authentication is already running on this connection');
      return;
    }
    this.authenticating = true;
    this.inFlight++;
    access.authenticate(token, this.grant).then((grant) => {
      if (this.closed) return;
      const refresh = this.grant !== undefined;
      this.setGrant(grant);
      this.observer.command?.('authenticate', true);
      this.observer.authenticated?.(refresh);
      this.fill(slot, encodeAuthenticateReply(sequence, grant.subject, grant.expiresAtMs));
    }, (e: unknown) => {
      if (this.closed) return;
      this.observer.failed?.(codeOf(e), e);
      fail(e instanceof AccessError ? e.message : 'internal error');
      if (this.grant === undefined) this.drain(CLOSE_UNAUTHENTICATED, 'authentication failed', 'unauthorized');
    }).finally(() => {
      this.authenticating = false;
      this.inFlight--;
      this.flush();
    });
  }

  private setGrant(grant: Grant): void {
    const previous = this.grant;
    this.grant = grant;
    this.armTimer(grant.expiresAtMs - Date.now(), 'token expired');
    if (previous !== undefined) this.subs?.endWhere((topic) => !grant.consume(topic), 'unauthorized', 'topic not allowed for the refreshed token');
  }

  /** Closes the connection with 4401 after `ms` (nothing for Infinity); replaces the previous timer. */
  private armTimer(ms: number, reason: string): void {
    clearTimeout(this.grantTimer);
    this.grantTimer = undefined;
    if (ms === Infinity) return;
    // setTimeout waits at most 2^31-1 ms; a longer grant re-arms on the way.
    const step = Math.max(0, Math.min(ms, 0x7fffffff));
    const due = Date.now() + ms;
    this.grantTimer = setTimeout(() => {
      const left = due - Date.now();
      if (left > 0) this.armTimer(left, reason);
      else this.close(CLOSE_UNAUTHENTICATED, reason, 'unauthorized');
    }, step);
    this.grantTimer.unref();
  }

  private subscribe(slot: Slot, sequence: bigint, command: Extract<Command, { type: 'subscribe' }>): void {
    const own = this.grant?.own;
    const route = own !== undefined ? own.subscriptions : this.subscriptionRoute;
    const backend = own?.backend ?? this.backend;
    const fail = (partition: number, err: string) => {
      this.observer.command?.('subscribe', false);
      this.fill(slot, encodeErrorReply(sequence, `${COMMANDS.subscribe.errorPrefix}, topic: ${command.topic}, partition: ${partition}, err: ${err}`));
      this.flush();
    };
    if (route === undefined) {
      fail(-1, 'subscriptions are not enabled on this route');
      return;
    }
    if (this.inFlight >= this.maxInFlight) {
      this.observer.failed?.('PUBSUB_ERR_TOO_MANY_IN_FLIGHT', undefined);
      fail(-1, `too many commands in flight (limit ${this.maxInFlight})`);
      return;
    }
    const channel = this.channel;
    const observer = this.observer;
    this.subs ??= new Subscriptions(route, {
      push: (id, body) => {
        channel.push(id, body);
        observer.pushed?.(pushPrefixSize(id, body.length) + body.length);
      },
      opened: () => observer.subscribed?.(),
      closed: (reason) => observer.subscriptionEnded?.(reason),
      send: (frame) => channel.send(frame, () => {}),
      get unsentBytes() {
        return channel.unsentBytes;
      },
      get takenBytes() {
        return channel.takenBytes;
      },
      slowConsumer: () => this.slowConsumer(),
    });
    channel.onTaken(() => this.subs?.taken());
    this.inFlight++;
    this.subs.subscribe(sequence, command).then(({ reply, start }) => {
      this.observer.command?.('subscribe', true);
      slot.onSent = start;
      this.fill(slot, reply);
    }, (e: unknown) => {
      this.observer.failed?.(codeOf(e), e);
      const partition = e instanceof SubscribeError ? e.partition : -1;
      fail(partition, e instanceof SubscribeError ? e.message : backend.describeError(e));
    }).finally(() => {
      this.inFlight--;
      this.flush();
    });
  }

  /** The client does not read the pushes it granted credit for: every subscription ends, then the connection. */
  private slowConsumer(): void {
    if (this.closed) return;
    this.observer.failed?.('PUBSUB_ERR_SLOW_CONSUMER', undefined);
    this.close(CLOSE_SLOW_CONSUMER, 'slow consumer: pushed records are not being read', 'slow_consumer', SLOW_CONSUMER_CUT_MS);
  }

  /**
   * Stops taking commands, lets the ones accepted finish and be answered, then closes with `code`.
   * Used when a route is updated: old connections end gracefully.
   */
  drain(code: number, reason: string, end: EndReason = 'route_changed'): void {
    if (this.closed) return;
    this.subs?.endAll(end, reason);
    this.draining = { code, reason };
    this.flush();
  }

  /**
   * Closes at once; replies still pending are dropped. Open subscriptions are ended first, each
   * with a pushed SubscriptionEnd saying `end` and where it stopped.
   */
  close(code: number, reason: string, end: EndReason = 'shutting_down', cutAfterMs?: number): void {
    if (this.closed) return;
    this.subs?.endAll(end, reason);
    this.forget();
    this.channel.close(code, reason, cutAfterMs);
  }

  /** The peer went away: forget everything. */
  dispose(): void {
    if (this.closed) return;
    this.forget();
  }

  private forget(): void {
    this.closed = true;
    clearTimeout(this.grantTimer);
    this.access?.release();
    this.subs?.dispose();
    this.queue.length = 0;
    for (const w of this.waiting) this.doneProducing(w.command);
    this.waiting.length = 0;
    // What running commands reserved goes back when they finish (run's finally); the replies held
    // go back now, and their late `sent` callbacks give back nothing.
    const held = this.held;
    this.held = 0;
    this.handed = 0;
    this.budget?.release(this, held);
    if (this.reserved === 0) this.budget?.leave(this);
  }

  /** Starts waiting commands while the running cap and the reply room allow. */
  private pump(): void {
    while (!this.closed && this.waiting.length > 0 && this.running < this.maxRunning) {
      const next = this.waiting[0]!;
      const room = roomFor(next.command, this.maxFrameBytes);
      // One command always may run when nothing else is held, even if its room exceeds the bound
      // (max_frame_bytes above max_unsent_bytes): the connection must progress.
      if (this.usage + room > this.maxUnsentBytes && this.usage > 0) return;
      if (this.budget !== undefined && !this.budget.tryReserve(this, room)) return;
      this.waiting.shift();
      this.reserved += room;
      this.running++;
      void this.run(next.slot, next.sequence, next.command).finally(() => {
        this.reserved -= room;
        this.running--;
        this.inFlight--;
        this.doneProducing(next.command);
        this.budget?.release(this, room);
        if (this.closed) {
          if (this.reserved === 0) this.budget?.leave(this);
          return;
        }
        this.flush();
        this.pump();
      });
    }
  }

  /** A produce command was answered (or dropped): its frame is no longer held. */
  private doneProducing(command: BackendCommand): void {
    if (command.type !== 'produce') return;
    this.producing -= command.bytes;
    this.observer.produceBytes?.(-command.bytes);
  }

  private async run(slot: Slot, sequence: bigint, command: BackendCommand): Promise<void> {
    const { topic, partition } = command;
    const backend = this.grant?.own?.backend ?? this.backend;
    let frame: Buffer;
    try {
      switch (command.type) {
        case 'fetch': {
          const batch = await backend.fetch(topic, command.partition, command.offset);
          try {
            frame = encodeFetchReply(sequence, batch, this.maxFrameBytes, this.alloc).frame;
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
          frame = encodeListOffsetReply(sequence, await backend.listOffset(topic, command.partition, command.timestamp));
          break;
        case 'produce': {
          if (backend.produce === undefined) throw new ProduceDisabledError();
          frame = encodeProduceReply(sequence, await backend.produce(topic, partition, command.records, command.idempotencyKey, this.grant?.subject ?? ''));
          break;
        }
        case 'commit_offsets': {
          if (backend.commitOffsets === undefined) throw new GroupNotAllowedError(command.group);
          const seen = new Set<number>();
          for (const o of command.offsets) {
            if (seen.has(o.partition)) throw new PartitionRepeatedError(o.partition);
            seen.add(o.partition);
          }
          await backend.commitOffsets(command.group, topic, command.offsets);
          frame = encodeCommitOffsetsReply(sequence);
          break;
        }
        case 'fetch_committed': {
          if (backend.fetchCommitted === undefined) throw new GroupNotAllowedError(command.group);
          frame = encodeCommittedOffsetsReply(sequence, await backend.fetchCommitted(command.group, topic, [...new Set(command.partitions)]));
          break;
        }
        default:
          unhandled(command);
      }
      this.observer.command?.(command.type, true);
    } catch (e) {
      this.observer.command?.(command.type, false);
      this.observer.failed?.(codeOf(e), e);
      const what = COMMANDS[command.type].errorPrefix;
      const err = e instanceof RecordTooLargeError || e instanceof PartitionRepeatedError ? e.message : backend.describeError(e);
      frame = encodeErrorReply(sequence, `${what}, topic: ${topic}, partition: ${partition ?? -1}, err: ${err}`);
    }
    if (this.closed) this.pool?.release(frame);
    else this.fill(slot, frame);
  }

  /** A reply is made: it is held until the socket takes it. */
  private fill(slot: Slot, frame: Buffer): void {
    slot.frame = frame;
    this.held += frame.length;
    this.budget?.add(this, frame.length);
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
      const slot = q[n]!;
      const frame = slot.frame!;
      n++;
      if (this.handed === 0) this.lastTaken = performance.now();
      this.handed += frame.length;
      this.channel.send(frame, () => this.sent(frame));
      slot.onSent?.();
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
    this.pool?.release(frame);
    if (this.closed) return;
    this.observer.sent?.(frame.length);
    this.handed -= frame.length;
    this.held -= frame.length;
    this.lastTaken = performance.now();
    this.budget?.release(this, frame.length);
    this.pump();
    this.updatePause();
  }

  private updatePause(): void {
    if (this.closed) return;
    const over = this.held > this.maxUnsentBytes || this.queue.length >= 2 * this.maxInFlight || this.producing > this.maxProduceBytes;
    const under = this.held <= this.maxUnsentBytes / 2 && this.queue.length < this.maxInFlight && this.producing <= this.maxProduceBytes / 2;
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

/**
 * Room a backend command reserves: a fetch its largest reply; a produce a result per record (the
 * frame its records are views of counts against maxProduceBytes instead); anything else a small
 * reply.
 */
function roomFor(command: BackendCommand, maxFrameBytes: number): number {
  switch (command.type) {
    case 'fetch':
      return maxFrameBytes;
    case 'produce':
      return 32 * command.records.length + SMALL_REPLY_BYTES;
    case 'fetch_committed':
      // Empty asks for every partition of the topic: room for a thousand.
      return SMALL_REPLY_BYTES + 24 * (command.partitions.length === 0 ? 1024 : command.partitions.length);
    default:
      return SMALL_REPLY_BYTES;
  }
}

/** A commit naming one partition twice: which offset is meant cannot be known. */
class PartitionRepeatedError extends Error {
  readonly code = 'PUBSUB_ERR_BAD_COMMAND';
  constructor(partition: number) {
    super(`partition ${partition} is listed twice`);
  }
}

/** An error reply in the form each command's errors take (APISIX's for those that reach Kafka). */
function errorText(command: Command, err: string): string {
  switch (command.type) {
    case 'fetch':
    case 'list_offset':
    case 'subscribe':
      return `${COMMANDS[command.type].errorPrefix}, topic: ${command.topic}, partition: ${command.type === 'subscribe' ? -1 : command.partition}, err: ${err}`;
    case 'produce':
      return `${COMMANDS.produce.errorPrefix}, topic: ${command.topic}, partition: ${command.partition ?? -1}, err: ${err}`;
    case 'commit_offsets':
    case 'fetch_committed':
      return `${COMMANDS[command.type].errorPrefix}, topic: ${command.topic}, partition: -1, err: ${err}`;
    case 'unsubscribe':
      return `failed to unsubscribe, subscription: ${command.subscription}, err: ${err}`;
    case 'credit':
      return `failed to grant credit, subscription: ${command.subscription}, err: ${err}`;
    case 'authenticate':
      return `failed to authenticate, err: ${err}`;
    case 'ping':
    case 'empty':
      return err;
    default:
      return unhandled(command);
  }
}

function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_UNEXPECTED';
}
