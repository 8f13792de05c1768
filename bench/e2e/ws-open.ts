/** Opening a benchmark client's WebSocket to the proxy (ws-worker.ts, flood.ts). */
import { WebSocket } from 'ws';

/** Resolves once the upgrade is done; rejects with the HTTP status of a refused upgrade. */
export function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
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
