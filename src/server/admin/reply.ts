import type { ServerResponse } from 'node:http';

/** Writes `body` as JSON. APISIX 3 marks admin replies with X-API-VERSION: v3. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'x-api-version': 'v3',
  });
  res.end(text);
}

/** `{"error_msg": message}`, APISIX's error shape. */
export function sendError(res: ServerResponse, status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error_msg: message, ...extra }, headers);
}
