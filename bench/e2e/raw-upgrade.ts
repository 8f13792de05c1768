/**
 * One short-lived WebSocket on a raw TCP socket, for the upgrade phase: the upgrade request written
 * in one piece (a token in the subprotocol as a browser sends it), a masked cmd_ping frame, its
 * pong, a close frame, and the server's close and FIN. The `ws` client builds an http.ClientRequest,
 * a random key and its SHA-1 check per connection: on the 2-core machine the clients then cost more
 * CPU than the proxy they measure. The proxy sees exactly what a WebSocket client sends (RFC 6455:
 * client frames masked; the all-zero mask is as valid as any, and a benchmark needs no secrecy).
 */
import { connect, type Socket } from 'node:net';
import { encodePing, scanReply } from './frames.js';

export interface Target {
  host: string;
  port: number;
  path: string;
}

/** Microseconds from connect() to the 101, and to the end of the close. */
export interface CycleTimes {
  upgradeUs: number;
  cycleUs: number;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const PING = frame(0x82, encodePing(1, Buffer.from('bench')));
const CLOSE = frame(0x88, Buffer.from([0x03, 0xe8])); // 1000, normal closure
const HEAD_END = Buffer.from('\r\n\r\n');

/** A final client frame of `opcode` with a zero mask (payloads here are < 126 bytes). */
function frame(opcode: number, payload: Buffer): Buffer {
  if (payload.length >= 126) throw new Error('payload too long for this client');
  return Buffer.concat([Buffer.from([opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

export function request(t: Target, token: string | undefined): Buffer {
  return Buffer.from(`GET ${t.path} HTTP/1.1\r\nHost: ${t.host}:${t.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: kafka-ws-proxy${token === undefined ? '' : `, bearer.${token}`}\r\n\r\n`, 'latin1');
}

/**
 * Runs one cycle. Rejects with the status line of a refused upgrade, a reply that is not the pong,
 * or a connection that ends early.
 */
export function cycle(t: Target, req: Buffer, localAddress: string | undefined): Promise<CycleTimes> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let upgradeUs = 0;
    let state: 'head' | 'pong' | 'close' = 'head';
    let buf: Buffer = Buffer.alloc(0);
    const socket: Socket = connect({ host: t.host, port: t.port, ...(localAddress !== undefined ? { localAddress } : {}) });
    socket.setNoDelay(true);
    const fail = (e: Error): void => {
      socket.destroy();
      reject(e);
    };
    socket.once('connect', () => socket.write(req));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (state === 'head') {
        const end = buf.indexOf(HEAD_END);
        if (end === -1) return;
        const status = buf.toString('latin1', 0, buf.indexOf('\r\n'));
        if (!status.startsWith('HTTP/1.1 101')) {
          fail(new Error(status));
          return;
        }
        upgradeUs = (performance.now() - t0) * 1000;
        buf = buf.subarray(end + 4);
        state = 'pong';
        socket.write(PING);
      }
      // The proxy's heartbeat may ping any socket (opcode 9): nothing to answer on one this short.
      while (state === 'pong' && buf.length >= 2 && buf.length >= 2 + (buf[1]! & 0x7f) && (buf[0] === 0x89 || buf[0] === 0x8a)) buf = buf.subarray(2 + (buf[1]! & 0x7f));
      if (state === 'pong') {
        if (buf.length < 2 || buf.length < 2 + (buf[1]! & 0x7f)) return;
        const len = buf[1]! & 0x7f;
        if (buf[0] === 0x88) {
          fail(new Error(`closed by the proxy before the pong: ${len >= 2 ? buf.readUInt16BE(2) : ''} ${buf.toString('utf8', 4, 2 + len)}`));
          return;
        }
        const s = buf[0] === 0x82 ? scanReply(buf.subarray(2, 2 + len)) : undefined;
        if (s?.kind !== 'pong') {
          fail(new Error(`ping answered with ${s === undefined ? `opcode ${buf[0]! & 0x0f}` : s.kind}${s !== undefined && s.error !== '' ? `: ${s.error}` : ''}`));
          return;
        }
        buf = buf.subarray(2 + len);
        state = 'close';
        socket.write(CLOSE);
      }
    });
    socket.once('end', () => {
      socket.destroy();
      if (state === 'close') resolve({ upgradeUs, cycleUs: (performance.now() - t0) * 1000 });
      else reject(new Error(`the connection ended before the ${state === 'head' ? 'upgrade' : 'pong'}`));
    });
    socket.once('error', fail);
  });
}
