import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { sharedFramePool } from './frame-pool.js';
import { pushPrefixSize, writePushPrefix } from './protocol/subscription-replies.js';
import { Session, type SessionOptions } from './session.js';

/**
 * Runs a PubSub session on an open `ws` WebSocket. WebSocket pings are answered by `ws` itself;
 * socket errors end the session without reaching the process's uncaught-error path. Fetch reply
 * frames come from the process's shared FramePool unless options say otherwise: `ws.send`'s
 * callback runs once the socket has taken the bytes, so the frame can be reused after it.
 *
 * Pushes bypass `ws.send`: a push's body is shared by every subscriber at that position, and
 * `ws.send` takes one buffer, so it would need a copy per subscriber. The channel writes the
 * WebSocket frame header and the subscription's prefix as one small buffer and the shared body
 * after it, straight to `socket` (the upgraded connection `ws` runs on). Pushes made in one turn
 * of the event loop go out in one corked write (one writev), and while the socket is behind they
 * wait for it to drain and then go out together: the write, not the record, is what costs.
 */
export function attachSession(ws: WebSocket, options: SessionOptions, socket?: Duplex): Session {
  const raw = socket ?? (ws as unknown as { _socket: Duplex })._socket;
  const pushes = new PushWriter(raw, () => ws.readyState === ws.OPEN);
  const session = new Session({
    send(frame, done) {
      if (ws.readyState !== ws.OPEN) return done();
      // Pushes made before this reply leave before it (a subscription's end after its records).
      pushes.flush(true);
      ws.send(frame, { binary: true }, () => done());
    },
    push: (subscription, body) => pushes.push(subscription, body),
    get unsentBytes() {
      return pushes.unsentBytes;
    },
    get takenBytes() {
      return pushes.takenBytes;
    },
    onTaken: (listener) => {
      pushes.onTaken = listener;
    },
    close(code, reason, cutAfterMs) {
      pushes.flush(true);
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
      if (cutAfterMs !== undefined) setTimeout(() => ws.terminate(), cutAfterMs).unref();
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  }, { framePool: sharedFramePool, ...options });
  ws.on('message', (data, isBinary) => session.onMessage(toBuffer(data), isBinary));
  ws.on('close', () => session.dispose());
  ws.on('error', () => session.dispose());
  return session;
}

/** ws hands over a Buffer for binaryType "nodebuffer" (the default); the other shapes for safety. */
function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Pushed frames of one connection, written as header + shared body, coalesced per turn. */
class PushWriter {
  private readonly socket: Duplex;
  private readonly open: () => boolean;
  /** Header, body, header, body, ... not yet written. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of pushes the socket has taken (handed to the kernel), since the start. */
  takenBytes = 0;
  /** Told each time the socket has taken a flush of pushes. */
  onTaken: (() => void) | undefined;
  private scheduled = false;
  private waitingForDrain = false;

  constructor(socket: Duplex, open: () => boolean) {
    this.socket = socket;
    this.open = open;
  }

  /** Bytes not yet taken by the socket: ours not yet written, and the socket's own buffer. */
  get unsentBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  push(subscription: number, body: Buffer): void {
    const payload = pushPrefixSize(subscription, body.length) + body.length;
    // RFC 6455 5.2: FIN + binary opcode, then the payload length (7 bits, or 126/127 and 16/64
    // bits); server frames are not masked.
    const lengthBytes = payload < 126 ? 0 : payload < 65536 ? 2 : 8;
    const prefix = pushPrefixSize(subscription, body.length);
    const header = Buffer.allocUnsafe(2 + lengthBytes + prefix);
    header[0] = 0x82;
    let p = 2;
    if (lengthBytes === 0) header[1] = payload;
    else if (lengthBytes === 2) {
      header[1] = 126;
      header.writeUInt16BE(payload, 2);
      p = 4;
    } else {
      header[1] = 127;
      header.writeUInt32BE(Math.floor(payload / 2 ** 32), 2);
      header.writeUInt32BE(payload >>> 0, 6);
      p = 10;
    }
    writePushPrefix(header, p, subscription, body.length);
    this.pending.push(header, body);
    this.pendingBytes += header.length + body.length;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush(false));
    }
  }

  /**
   * Writes what is pending in one corked write. Unless `now`, waits while the socket is behind
   * (the pushes made meanwhile then go out together when it drains).
   */
  flush(now: boolean): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    if (!this.open()) {
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    if (!now && this.socket.writableNeedDrain) {
      if (!this.waitingForDrain) {
        this.waitingForDrain = true;
        this.socket.once('drain', () => {
          this.waitingForDrain = false;
          this.flush(false);
        });
      }
      return;
    }
    const parts = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.cork();
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) this.socket.write(parts[i]!);
    // One callback per flush: it runs once everything before it is taken too.
    this.socket.write(parts[last]!, () => {
      this.takenBytes += bytes;
      this.onTaken?.();
    });
    this.socket.uncork();
  }
}
