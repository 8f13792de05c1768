/** Opening a benchmark client's WebSocket to the proxy (ws-worker.ts, flood.ts). */
import { WebSocket } from 'ws';

/** What a client may add to its upgrade: a token (in the subprotocol, as a browser sends it), a source address. */
export interface OpenOptions {
  token?: string | undefined;
  /** A 127.x address to connect from: more source addresses, more ephemeral ports. */
  localAddress?: string | undefined;
}

/** The subprotocols that carry `token` (docs/security.md, "Client identity"). */
export function tokenProtocols(token: string): string[] {
  return ['kafka-ws-proxy', `bearer.${token}`];
}

/** Resolves once the upgrade is done; rejects with the HTTP status of a refused upgrade. */
export function open(url: string, o: OpenOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const protocols = o.token === undefined ? [] : tokenProtocols(o.token);
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}) });
    ws.once('open', () => {
      ws.off('error', reject);
      // A socket error after the upgrade shows up as a close; nothing else to do with it here.
      ws.on('error', () => {});
      resolve(ws);
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode ?? '?'}`)));
  });
}

/** Closes with the WebSocket handshake, so the proxy sees an ordinary close; terminates after `graceMs`. */
export function close(ws: WebSocket, graceMs = 2000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(1000);
    setTimeout(() => ws.terminate(), graceMs).unref();
  });
}
