/** Opening a benchmark client's WebSocket to the proxy (ws-worker.ts, flood.ts). */
import { WebSocket } from 'ws';

/**
 * Resolves once the upgrade is done; rejects with the HTTP status of a refused upgrade.
 * `localAddress` (e.g. 127.0.0.3) is the source address: each has its own 28,000 ephemeral ports.
 */
export function open(url: string, localAddress?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(localAddress !== undefined ? { localAddress } : {}) });
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

/** Opens `n` sockets, `parallel` handshakes at a time. Failures are counted, not thrown. */
export async function openMany(url: string, n: number, parallel: number, localAddress?: string): Promise<{ sockets: WebSocket[]; failed: number; firstError?: string }> {
  const sockets: WebSocket[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      next++;
      try {
        sockets.push(await open(url, localAddress));
      } catch (e) {
        failed++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
  return { sockets, failed, ...(firstError !== undefined ? { firstError } : {}) };
}
