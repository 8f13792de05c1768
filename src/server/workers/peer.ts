/**
 * Calls and replies over a node:cluster IPC channel, both ways: the primary calls a worker (apply
 * a route change, give your metrics) and a worker calls the primary (commit this admin write, the
 * group's metrics). Messages are tagged `kwp` so nothing else on the channel is mistaken for one.
 * The channel is ordered, which the route replicas rely on: a change sent before a reply arrives
 * before it.
 */
import { errorFromWire, errorToWire, type WireError } from './wire-errors.js';

export type PeerMessage =
  | { kwp: 'call'; id: number; kind: string; payload: unknown }
  | { kwp: 'reply'; id: number; ok: true; value: unknown }
  | { kwp: 'reply'; id: number; ok: false; error: WireError };

/** Answers one call; a thrown error is sent back and thrown at the caller. */
export type PeerHandler = (kind: string, payload: unknown) => unknown;

/** The other side of the channel went away (exited, or the channel closed) before replying. */
export class PeerGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerGoneError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class Peer {
  readonly #send: (message: PeerMessage, done: (error: Error | null) => void) => void;
  readonly #handler: PeerHandler;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #gone: Error | undefined;

  /** `send` writes one message to the channel and reports whether it could. */
  constructor(send: (message: PeerMessage, done: (error: Error | null) => void) => void, handler: PeerHandler) {
    this.#send = send;
    this.#handler = handler;
  }

  /**
   * Calls `kind` on the other side.
   * @throws PeerGoneError when the other side goes, or `timeoutMs` passes, before it replies;
   *   otherwise whatever its handler threw (wire-errors.ts).
   */
  call<T>(kind: string, payload: unknown, timeoutMs = 0): Promise<T> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.#settle(id, new PeerGoneError(`no reply to ${kind} within ${timeoutMs} ms`)), timeoutMs) : undefined;
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#send({ kwp: 'call', id, kind, payload }, (error) => {
        if (error !== null) this.#settle(id, new PeerGoneError(`cannot send ${kind}: ${error.message}`));
      });
    });
  }

  /** Handles a message from the channel; false when it is not one of ours. */
  receive(message: unknown): boolean {
    if (!isPeerMessage(message)) return false;
    if (message.kwp === 'reply') {
      this.#settle(message.id, message.ok ? undefined : errorFromWire(message.error), message.ok ? message.value : undefined);
      return true;
    }
    const { id, kind, payload } = message;
    let answer: Promise<unknown>;
    try {
      answer = Promise.resolve(this.#handler(kind, payload));
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.then(
      (value) => this.#reply({ kwp: 'reply', id, ok: true, value }),
      (e: unknown) => this.#reply({ kwp: 'reply', id, ok: false, error: errorToWire(e) }),
    );
    return true;
  }

  /** The other side is gone: every pending call fails with `error`, and later calls at once. */
  close(error: Error): void {
    this.#gone ??= error;
    for (const id of [...this.#pending.keys()]) this.#settle(id, this.#gone);
  }

  #reply(message: PeerMessage): void {
    if (this.#gone !== undefined) return;
    // A reply that cannot be sent has no one to tell: the channel is closing.
    this.#send(message, () => undefined);
  }

  #settle(id: number, error: Error | undefined, value?: unknown): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (error !== undefined) p.reject(error);
    else p.resolve(value);
  }
}

function isPeerMessage(m: unknown): m is PeerMessage {
  if (typeof m !== 'object' || m === null) return false;
  const k = (m as { kwp?: unknown }).kwp;
  return (k === 'call' || k === 'reply') && typeof (m as { id?: unknown }).id === 'number';
}
