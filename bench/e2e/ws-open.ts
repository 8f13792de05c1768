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

/** Opens `n` sockets, `parallel` handshakes at a time; socket i presents tokens[i % tokens.length] if any. Failures are counted, not thrown. */
export async function openMany(url: string, n: number, parallel: number, o: { localAddress?: string | undefined; tokens?: readonly string[] | undefined } = {}): Promise<{ sockets: WebSocket[]; failed: number; firstError?: string }> {
  const sockets: WebSocket[] = [];
  const tokens = o.tokens ?? [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      try {
        sockets.push(await open(url, { localAddress: o.localAddress, token: tokens.length === 0 ? undefined : tokens[i % tokens.length] }));
      } catch (e) {
        failed++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
  return { sockets, failed, ...(firstError !== undefined ? { firstError } : {}) };
}
