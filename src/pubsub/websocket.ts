import type { WebSocket } from 'ws';
import { sharedFramePool } from './frame-pool.js';
import { Session, type SessionOptions } from './session.js';

/**
 * Runs a PubSub session on an open `ws` WebSocket. WebSocket pings are answered by `ws` itself;
 * socket errors end the session without reaching the process's uncaught-error path. Fetch reply
 * frames come from the process's shared FramePool unless options say otherwise: `ws.send`'s
 * callback runs once the socket has taken the bytes, so the frame can be reused after it.
 */
export function attachSession(ws: WebSocket, options: SessionOptions): Session {
  const session = new Session({
    send(frame, done) {
      if (ws.readyState !== ws.OPEN) return done();
      ws.send(frame, { binary: true }, () => done());
    },
    close(code, reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
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
